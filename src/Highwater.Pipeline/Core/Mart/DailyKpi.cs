using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Expressions;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using M = Highwater.Pipeline.Core.Schema.Schemas.SalesMart;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// The daily KPI table for one dt partition, as kpi_daily's contract derives it from sales_mart (its <c>derive:</c>
/// section, docs/contracts.md): Transform writes it with this, and the gate recomputes it for a partition it filtered.
/// The declaration is computed by one <see cref="GroupAggregator"/>; this class binds the mart's columns to it and
/// lays the groups out as the contract's columns (<see cref="KpiTable"/>), which <see cref="KpiPartitionFile"/> writes.
/// </summary>
public sealed class DailyKpi
{
    private const string Dataset = Schemas.KpiDaily.Dataset;

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

    /// <summary>The columns of the mart (<paramref name="source"/>'s, else this build's) a declaration can read.</summary>
    private static string[] Readable(DataContract? source) =>
        [.. (source is null ? BlockColumns.Mart : DatasetColumns.Mart(source).Blocks).Columns.Where(c => BindingOf(c.Kind) is not null).Select(c => c.Name)];

    private readonly GroupAggregator _aggregator;
    private readonly FileColumn[] _columns;

    /// <summary>A column of the file: its Parquet column and the group_by key (<c>Key</c>) or aggregate (<c>Output</c>) filling it, the other -1.</summary>
    private readonly record struct FileColumn(ParquetColumnSpec Spec, int Key, int Output);

    private DailyKpi(GroupAggregator aggregator, FileColumn[] columns) => (_aggregator, _columns) = (aggregator, columns);

    /// <summary>The KPIs as <paramref name="contracts"/>' kpi_daily declares them.</summary>
    public static DailyKpi From(IReadOnlyDictionary<string, DataContract> contracts)
    {
        var contract = contracts.TryGetValue(Dataset, out var c) ? c : throw new ConfigurationException($"there is no data contract for {Dataset}; expected {Dataset}.yaml with a derive: section");
        return From(contract, contract.Derive is { } d ? contracts.GetValueOrDefault(d.From) : null);
    }

    /// <summary>
    /// The KPIs as <paramref name="contract"/> declares them, over <paramref name="source"/>'s rows (sales_mart's contract;
    /// without it a group_by key is taken to be nullable). Refused (<see cref="ConfigurationException"/>, exit 2) when the
    /// declaration is missing, when a column of the file is not filled by exactly one key or aggregate of a type that
    /// fits it (<see cref="Bind"/>), or when it reads a mart column the mart's partitions do not hold as numbers or strings.
    /// </summary>
    public static DailyKpi From(DataContract contract, DataContract? source = null)
    {
        var where = contract.SourcePath ?? contract.Dataset;
        var table = contract.Derive ?? throw new ConfigurationException($"{where}: {Dataset} has no derive: section; expected one saying how its columns are computed from {M.Dataset}");
        if (table.Source is not null)
            throw new ConfigurationException($"{where}: derive: is typed against {table.From} when the contracts are loaded together; load them with ContractLoader.LoadAll");
        if (table.From != M.Dataset)
            throw new ConfigurationException($"{where}: derive.from is '{table.From}'; {Dataset} is computed from {M.Dataset}");
        var columns = Bind(contract, source, where);
        var aggregator = new GroupAggregator(table);
        var readable = Readable(source);
        var missing = aggregator.SourceColumns.FirstOrDefault(m => !readable.Contains(m));
        if (missing is not null)
            throw new ConfigurationException($"{where}: derive reads {M.Dataset}.{missing}; the KPIs can read [{string.Join(", ", readable)}]");
        return new DailyKpi(aggregator, columns);
    }

    /// <summary>
    /// The file's columns: the contract's, in its order, each a group_by key (a string column, nullable unless its mart
    /// column is not) or the aggregate of the same name (an int64 aggregate fills an int64 or a decimal(p,s) column, a
    /// decimal one a decimal(p,s) column), typed as <see cref="ParquetFileWriter"/> writes them: string as UTF8, int64 as
    /// INT64, decimal(p,s) with p at most 18 (an INT64 unscaled value) as DECIMAL(p,s), each nullable as declared.
    /// </summary>
    private static FileColumn[] Bind(DataContract contract, DataContract? source, string where)
    {
        var table = contract.Derive!;
        var groupBy = table.GroupBy.ToList();
        var outputs = table.Outputs.Select(o => o.Name).ToList();
        ConfigurationException Refuse(string problem) => new($"{where}: {problem}");
        var columns = new List<FileColumn>();
        foreach (var c in contract.Columns)
        {
            int key = groupBy.IndexOf(c.Name), output = outputs.IndexOf(c.Name);
            if (key < 0 && output < 0)
                throw Refuse($"column '{c.Name}' is neither a derive.group_by key nor a derive.aggregates entry; add it to one of them, or remove the column");
            if (key >= 0)
            {
                if (c.Type.Kind != ColumnKind.String)
                    throw Refuse($"column '{c.Name}' is a derive.group_by key declared {c.Type}; keys are strings: declare it string");
                if (!c.Nullable && source?.FindColumn(c.Name) is not { Nullable: false })
                    throw Refuse($"column '{c.Name}' is declared nullable: false, but its group_by key can be null in {table.From} (a null key is a group of its own): declare it nullable: true");
                columns.Add(new FileColumn(new ParquetColumnSpec(c.Name, ParquetValueKind.Utf8, c.Nullable), key, -1));
                continue;
            }
            var derived = table.Outputs[output];
            var a = derived.Aggregate;
            var text = $"derive.aggregates.{c.Name}: {derived.Text}";
            if (a.Nullable && !c.Nullable)
                throw Refuse($"{text} can be null but column '{c.Name}' is declared nullable: false; declare it nullable: true, or give the null a value with coalesce(..., 0)");
            switch (c.Type.Kind)
            {
                case ColumnKind.Int64 when a.Kind == NumericKind.Decimal:
                    throw Refuse($"{text} is decimal but column '{c.Name}' is declared int64; declare it decimal(p,s)");
                case ColumnKind.Int64:
                    columns.Add(new FileColumn(new ParquetColumnSpec(c.Name, ParquetValueKind.Int64, c.Nullable), -1, output));
                    break;
                case ColumnKind.Decimal when c.Type.Precision > 18:
                    throw Refuse($"column '{c.Name}' is declared {c.Type}; the {Dataset} file holds decimals of at most 18 digits: declare decimal(18,{Math.Min(c.Type.Scale, 18)}) or narrower");
                case ColumnKind.Decimal:
                    columns.Add(new FileColumn(new ParquetColumnSpec(c.Name, ParquetValueKind.Decimal, c.Nullable, c.Type.Precision, c.Type.Scale), -1, output));
                    break;
                default:
                    throw Refuse($"{text} fills column '{c.Name}', declared {c.Type}; an aggregate fills an int64 or a decimal(p,s) column: declare it so");
            }
        }
        var declared = contract.Columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        if (groupBy.FirstOrDefault(g => !declared.Contains(g)) is { } k)
            throw Refuse($"derive.group_by names '{k}', which is not a column of {Dataset}; declare it in columns: as a string, or remove it from group_by");
        if (outputs.FirstOrDefault(o => !declared.Contains(o)) is { } o)
            throw Refuse($"derive.aggregates.{o} has no column '{o}' in {Dataset}; declare it in columns: with its type, or remove the aggregate");
        return columns.ToArray();
    }

    /// <summary>The KPIs of a partition held as columns, one row per group in key order (ordinal, null first).</summary>
    internal KpiTable Compute(PartitionColumns rows)
    {
        var source = new AggregateSource { Count = rows.Count };
        foreach (var v in rows.Vectors)
            if (BindingOf(v.Column.Kind) is { } bind) bind(source, v);
        var t = _aggregator.Compute(source);
        var columns = new KpiColumn[_columns.Length];
        for (int i = 0; i < columns.Length; i++)
        {
            var (spec, key, output) = _columns[i];
            Array values = key >= 0 ? t.Keys[key]
                : spec.Kind == ParquetValueKind.Int64 ? (spec.Nullable ? NullableLongs(t, output) : t.Longs[output])
                : spec.Nullable ? Decimals(t, output, spec.Scale) : Decimals(t, output, spec.Scale).Select(v => v!.Value).ToArray();
            columns[i] = new KpiColumn(spec, key >= 0, values);
        }
        return new KpiTable(t.Count, columns);
    }

    private static long?[] NullableLongs(AggregateTable t, int output)
    {
        var values = new long?[t.Count];
        for (int g = 0; g < values.Length; g++) values[g] = t.Nulls[output][g] ? null : t.Longs[output][g];
        return values;
    }

    /// <summary>Output <paramref name="output"/> as the values of a DECIMAL column of <paramref name="scale"/> (<see cref="DecimalColumnFit.Round"/>).</summary>
    private decimal?[] Decimals(AggregateTable t, int output, int scale)
    {
        var values = new decimal?[t.Count];
        var nulls = t.Nulls[output];
        var isDecimal = _aggregator.Table.Outputs[output].Aggregate.Kind == NumericKind.Decimal;
        for (int g = 0; g < values.Length; g++)
            values[g] = nulls[g] ? null : DecimalColumnFit.Round(isDecimal ? t.Decimals[output][g] : t.Longs[output][g], scale);
        return values;
    }
}
