namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// One column of a <see cref="KpiTable"/>: its file column (name, Parquet type and nullability, from kpi_daily's
/// contract) and its values, one per group: <c>string?[]</c> for a UTF8 column (a group_by key), <c>long[]</c> for a
/// required INT64 one and <c>long?[]</c> for a nullable one, <c>decimal[]</c> and <c>decimal?[]</c> likewise for a
/// DECIMAL one (already at the column's scale: <see cref="DecimalColumnFit"/>).
/// </summary>
public sealed record KpiColumn(ParquetColumnSpec Spec, bool IsKey, Array Values)
{
    public string Name => Spec.Name;
}

/// <summary>
/// The kpi_daily rows of one dt partition as its file holds them: the contract's columns in its order, each a value
/// per group, groups in key order (<see cref="GroupAggregator"/>). Built by <see cref="DailyKpi.Compute(PartitionColumns)"/>,
/// written by <see cref="KpiPartitionFile"/>.
/// </summary>
public sealed class KpiTable
{
    internal KpiTable(int count, IReadOnlyList<KpiColumn> columns) => (Count, Columns) = (count, columns);

    /// <summary>The number of groups (rows).</summary>
    public int Count { get; }

    public IReadOnlyList<KpiColumn> Columns { get; }

    public KpiColumn this[string name] => Columns.FirstOrDefault(c => c.Name == name)
        ?? throw new KeyNotFoundException($"kpi_daily has no column '{name}'; it has [{string.Join(", ", Columns.Select(c => c.Name))}]");

    /// <summary>The values of a UTF8 column (a group_by key).</summary>
    public string?[] Strings(string name) => (string?[])this[name].Values;

    /// <summary>The values of a required INT64 column.</summary>
    public long[] Int64s(string name) => (long[])this[name].Values;

    /// <summary>The values of a DECIMAL column, nullable or not.</summary>
    public decimal?[] Decimals(string name) => this[name].Values switch
    {
        decimal?[] values => values,
        decimal[] values => values.Select(v => (decimal?)v).ToArray(),
        var other => throw new InvalidCastException($"kpi_daily column '{name}' holds {other.GetType().Name}, not decimals"),
    };
}
