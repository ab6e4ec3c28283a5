using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>What a staged event column holds, which decides its buffer and its block encoding.</summary>
public enum StagedKind : byte
{
    /// <summary>The order key (<see cref="EventLayout.OrderKeyName"/>): mostly unique strings, kept as plain UTF-8; it picks the order-index bucket.</summary>
    OrderKey,
    String,
    Int32,
    Int64,
    Decimal,
    Timestamp,
    /// <summary>The input object's key (<c>lineage: file</c>).</summary>
    SourceKey,
    /// <summary>The 1-based input line number (<c>lineage: line</c>).</summary>
    SourceLine,
}

/// <summary>One staged column: its name (the contract's), what it holds and whether it may be null.</summary>
public sealed record StagedColumn(string Name, StagedKind Kind, bool Nullable, int Precision = 0, int Scale = 0)
{
    /// <summary>
    /// The column's block encoding: strings as a per-block dictionary (the order key plain), 32-bit integers and
    /// decimals always with a presence byte, 64-bit integers and timestamps with one only when nullable.
    /// </summary>
    public BlockEncoding Encoding => Kind switch
    {
        StagedKind.OrderKey => BlockEncoding.PlainString,
        StagedKind.String or StagedKind.SourceKey => BlockEncoding.DictionaryString,
        StagedKind.Int32 => BlockEncoding.NullableInt32,
        StagedKind.Decimal => BlockEncoding.NullableDecimal,
        StagedKind.Int64 => Nullable ? BlockEncoding.NullableInt64 : BlockEncoding.Int64,
        StagedKind.Timestamp => Nullable ? BlockEncoding.NullableTimestamp : BlockEncoding.Timestamp,
        _ => BlockEncoding.Int64, // SourceLine
    };
}

/// <summary>
/// The columns of the staged events, in the events contract's order: what Extract's buffers (<see cref="ParsedEvents"/>)
/// hold and what the staging spool's column list says (<see cref="Block"/>). Built once from the contract.
/// </summary>
public sealed class EventLayout
{
    /// <summary>The column that keys the order index (its bucket, <see cref="OrderBuckets"/>): a rule, so named here.</summary>
    public const string OrderKeyName = "order_id";

    /// <summary>The largest decimal precision staged: decimals are read as a 64-bit count of units.</summary>
    public const int MaxDecimalPrecision = 18;

    public EventLayout(IEnumerable<StagedColumn> columns)
    {
        Columns = [.. columns];
        Block = new BlockColumns(Columns.Select(c => new BlockColumn(c.Name, c.Encoding)));
        OrderKey = Columns.ToList().FindIndex(c => c.Kind == StagedKind.OrderKey);
        SourceKey = Columns.ToList().FindIndex(c => c.Kind == StagedKind.SourceKey);
        SourceLine = Columns.ToList().FindIndex(c => c.Kind == StagedKind.SourceLine);
    }

    public IReadOnlyList<StagedColumn> Columns { get; }

    /// <summary>The staging spool's column list.</summary>
    public BlockColumns Block { get; }

    /// <summary>The positions of the order key and the lineage columns, -1 when not declared.</summary>
    public int OrderKey { get; }
    public int SourceKey { get; }
    public int SourceLine { get; }

    /// <summary>The layout of an events contract.</summary>
    /// <exception cref="ContractDefinitionException">A column has a type Extract cannot stage, or the order key is missing (naming the place).</exception>
    public static EventLayout From(DataContract events)
    {
        var path = events.SourcePath ?? events.Dataset;
        var columns = new List<StagedColumn>();
        foreach (var c in events.Columns)
        {
            var t = c.Type;
            var kind = c.Lineage switch
            {
                ColumnLineage.File => StagedKind.SourceKey,
                ColumnLineage.Line => StagedKind.SourceLine,
                _ when c.Derivation is not null => throw new ContractDefinitionException(path, c.SourceLine, c.SourceColumn,
                    $"column '{c.Name}' is derived, but the events are read from their input as they are; expected a field of the line"),
                _ when c.Name == OrderKeyName => t.Kind == ColumnKind.String ? StagedKind.OrderKey
                    : throw new ContractDefinitionException(path, c.SourceLine, c.SourceColumn,
                        $"column '{OrderKeyName}' keys the order index and must be a string, but is declared {t}"),
                _ => t.Kind switch
                {
                    ColumnKind.String => StagedKind.String,
                    ColumnKind.Int32 => StagedKind.Int32,
                    ColumnKind.Int64 => StagedKind.Int64,
                    ColumnKind.Timestamp => StagedKind.Timestamp,
                    ColumnKind.Decimal when t.Precision <= MaxDecimalPrecision => StagedKind.Decimal,
                    _ => throw new ContractDefinitionException(path, c.SourceLine, c.SourceColumn,
                        $"column '{c.Name}' is declared {t}, which Extract does not read from JSON; expected one of: string, int32, int64, " +
                        $"decimal(p,s) with p <= {MaxDecimalPrecision}, timestamp"),
                },
            };
            columns.Add(new StagedColumn(c.Name, kind, c.Nullable, t.Precision, t.Scale));
        }
        if (!columns.Any(c => c.Kind == StagedKind.OrderKey))
            throw new ContractDefinitionException(path, 1, 1, $"the events contract declares no column '{OrderKeyName}'; it keys the order index: expected a string column of that name");
        return new EventLayout(columns);
    }

    /// <summary>The layout of the shipped events schema (<see cref="Schemas.Events"/>): tests and tools that build rows in code.</summary>
    public static readonly EventLayout Default = From(DefaultContract());

    /// <summary><see cref="Schemas.Events"/> as a contract: every field read from the line of its name, the lineage columns from the input.</summary>
    public static DataContract DefaultContract() => new()
    {
        Dataset = Schemas.Events.Dataset,
        Version = "1",
        Columns = [.. Schemas.Events.Schema.DataFields.Select(f => ContractColumn.FromField(f) with
        {
            Lineage = f.Name == Schemas.Events.SourceKey.Name ? ColumnLineage.File
                : f.Name == Schemas.Events.SourceLine.Name ? ColumnLineage.Line : ColumnLineage.None,
        })],
    };
}
