using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Expressions;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using K = Highwater.Pipeline.Core.Schema.Schemas.KpiDaily;
using M = Highwater.Pipeline.Core.Schema.Schemas.SalesMart;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// The daily KPI table for one dt partition, as kpi_daily's contract derives it from sales_mart (its <c>derive:</c>
/// section, docs/contracts.md): Transform writes it with this, and the gate recomputes it for a partition it filtered.
/// The declaration is computed by one <see cref="GroupAggregator"/>; this class binds the mart's columns to it and
/// hands the groups to <see cref="KpiPartitionFile"/> as <see cref="KpiRecord"/>s, whose columns are kpi_daily's
/// (<see cref="Schemas.KpiDaily"/>).
/// </summary>
public sealed class DailyKpi
{
    private static readonly string[] Keys = [K.Country.Name, K.Segment.Name, K.Currency.Name];
    private static readonly string[] Outputs = [K.Orders.Name, K.Units.Name, K.Revenue.Name, K.Buyers.Name, K.AvgOrderValue.Name];

    /// <summary>
    /// How a mart column is bound for the aggregator, by its encoding: integers and decimals as numbers, low-cardinality
    /// strings as ids into their values; null for a column the KPIs cannot read (timestamps, mostly unique strings).
    /// </summary>
    private static Action<AggregateSource, ColumnVector>? BindingOf(BlockEncoding encoding) => encoding switch
    {
        BlockEncoding.Int64 => (s, v) => s.AddNumbers(v.Name, ((Int64Vector)v).Values),
        BlockEncoding.NullableInt32 => (s, v) => s.AddNumbers(v.Name, ((NullableInt32Vector)v).Values),
        BlockEncoding.NullableDecimal => (s, v) => s.AddNumbers(v.Name, ((NullableDecimalVector)v).Values),
        BlockEncoding.DictionaryString => (s, v) => s.AddStrings(v.Name, ((StringIdVector)v).Values, ((StringIdVector)v).Distinct.Entries),
        _ => null,
    };

    /// <summary>The mart's columns a declaration can read.</summary>
    private static readonly string[] Readable = [.. BlockColumns.Mart.Columns.Where(c => BindingOf(c.Kind) is not null).Select(c => c.Name)];

    private readonly GroupAggregator _aggregator;
    private readonly int[] _output; // KpiRecord's measures (Outputs order) → the declaration's output index

    private DailyKpi(GroupAggregator aggregator, int[] output) => (_aggregator, _output) = (aggregator, output);

    /// <summary>The KPIs as <paramref name="contracts"/>' kpi_daily declares them.</summary>
    public static DailyKpi From(IReadOnlyDictionary<string, DataContract> contracts) =>
        From(contracts.TryGetValue(K.Dataset, out var c) ? c : throw new ConfigurationException($"there is no data contract for {K.Dataset}; expected {K.Dataset}.yaml with a derive: section"));

    /// <summary>
    /// The KPIs as <paramref name="contract"/> declares them. Refused (<see cref="ConfigurationException"/>, exit 2) when
    /// the declaration is missing or computes other columns than the kpi_daily file holds, or reads a mart column that
    /// the mart's partitions do not hold as numbers or strings.
    /// </summary>
    public static DailyKpi From(DataContract contract)
    {
        var where = contract.SourcePath ?? contract.Dataset;
        var table = contract.Derive ?? throw new ConfigurationException($"{where}: {K.Dataset} has no derive: section; expected one saying how its columns are computed from {M.Dataset}");
        if (table.Source is not null)
            throw new ConfigurationException($"{where}: derive: is typed against {table.From} when the contracts are loaded together; load them with ContractLoader.LoadAll");
        if (table.From != M.Dataset)
            throw new ConfigurationException($"{where}: derive.from is '{table.From}'; {K.Dataset} is computed from {M.Dataset}");
        if (!table.GroupBy.SequenceEqual(Keys))
            throw new ConfigurationException($"{where}: derive.group_by is [{string.Join(", ", table.GroupBy)}]; the {K.Dataset} file is grouped by [{string.Join(", ", Keys)}]");
        var names = table.Outputs.Select(o => o.Name).ToList();
        var extra = names.FirstOrDefault(n => !Outputs.Contains(n));
        if (extra is not null || names.Count != Outputs.Length)
            throw new ConfigurationException($"{where}: derive.aggregates declares [{string.Join(", ", names)}]; the {K.Dataset} writer holds exactly [{string.Join(", ", Outputs)}]");
        var aggregator = new GroupAggregator(table);
        var missing = aggregator.SourceColumns.FirstOrDefault(c => !Readable.Contains(c));
        if (missing is not null)
            throw new ConfigurationException($"{where}: derive reads {M.Dataset}.{missing}; the KPIs can read [{string.Join(", ", Readable)}]");
        return new DailyKpi(aggregator, Outputs.Select(o => names.IndexOf(o)).ToArray());
    }

    /// <summary>The KPIs of a partition held as columns, ordered by country, segment and currency (ordinal, null first).</summary>
    internal List<KpiRecord> Compute(PartitionColumns rows)
    {
        var source = new AggregateSource { Count = rows.Count };
        foreach (var v in rows.Vectors)
            if (BindingOf(v.Column.Kind) is { } bind) bind(source, v);
        var t = _aggregator.Compute(source);
        var outputs = _aggregator.Table.Outputs;
        long Long(int measure, int g) => t.Longs[_output[measure]][g];
        decimal Money(int measure, int g) => outputs[_output[measure]].Aggregate.Kind == NumericKind.Decimal
            ? t.Decimals[_output[measure]][g]
            : t.Longs[_output[measure]][g];
        var result = new List<KpiRecord>(t.Count);
        for (int g = 0; g < t.Count; g++)
            result.Add(new KpiRecord(t.Keys[0][g], t.Keys[1][g], t.Keys[2][g], Long(0, g), Long(1, g), Money(2, g), Long(3, g), Money(4, g)));
        return result;
    }
}
