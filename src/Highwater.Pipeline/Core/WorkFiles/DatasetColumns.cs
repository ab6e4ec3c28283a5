using Highwater.Parquet.Writing;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Schema;
using Parquet.Schema;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// A dataset's columns as its data contract declares them, in the contract's order, each with how Highwater holds it:
/// its block encoding (rows in memory and work files, <see cref="BlockColumns"/>), the Parquet column its files are
/// written with (<see cref="ParquetColumnSpec"/>) and the field they are read back by. The one place a declared type
/// becomes a physical one, so a column added to a contract needs no code that names it.
/// </summary>
/// <remarks>
/// Types and their encodings: <c>string</c> as a per-block dictionary, or as plain UTF-8 for the one column of mostly
/// unique values the caller names (the order key); <c>int64</c> (required) as 64-bit integers; <c>int32</c> (nullable) with
/// a presence byte; <c>decimal(p,s)</c> (nullable, p at most 18) as 16-byte decimals; <c>timestamp</c> (required) as
/// 64-bit ticks; <c>date</c> (nullable) as a timestamp at midnight UTC. Other combinations have no encoding yet and are
/// refused with the column named.
/// </remarks>
public sealed class DatasetColumns
{
    private DatasetColumns(string dataset, IReadOnlyList<ContractColumn> declared, BlockColumns blocks, ParquetColumnSpec[] parquet, DataField[] fields)
    {
        Dataset = dataset;
        Declared = declared;
        Blocks = blocks;
        Parquet = parquet;
        Fields = fields;
    }

    public string Dataset { get; }

    /// <summary>The columns as the contract declares them.</summary>
    public IReadOnlyList<ContractColumn> Declared { get; }

    /// <summary>The columns' block encodings, in the same order.</summary>
    public BlockColumns Blocks { get; }

    /// <summary>The columns as the dataset's Parquet files hold them, in the same order.</summary>
    internal ParquetColumnSpec[] Parquet { get; }

    /// <summary>The Parquet.Net field each column is read back by, in the same order.</summary>
    public IReadOnlyList<DataField> Fields { get; }

    /// <summary>The columns of <paramref name="contract"/>; <paramref name="plain"/> names the string column of mostly unique values.</summary>
    /// <exception cref="ConfigurationException">A column's declared type has no encoding (naming the contract and the column).</exception>
    public static DatasetColumns From(DataContract contract, string? plain = null)
    {
        var blocks = new List<BlockColumn>();
        var parquet = new List<ParquetColumnSpec>();
        var fields = new List<DataField>();
        foreach (var c in contract.Columns)
        {
            var (encoding, spec, field) = Physical(c, c.Name == plain)
                ?? throw new ConfigurationException(
                    $"data contract '{contract.SourcePath ?? contract.Dataset}': column '{c.Name}' is {(c.Nullable ? "nullable" : "required")} {c.Type}, " +
                    $"which Highwater cannot hold yet; it holds {Supported} (docs/contracts.md, \"Column types\")");
            blocks.Add(new BlockColumn(c.Name, encoding));
            parquet.Add(spec);
            fields.Add(field);
        }
        return new DatasetColumns(contract.Dataset, contract.Columns, new BlockColumns(blocks), [.. parquet], [.. fields]);
    }

    /// <summary>The combinations of type and nullability a column may declare.</summary>
    public const string Supported = "string, required int64, nullable int32, nullable decimal(p,s) with p <= 18, required timestamp and nullable date";

    private static (BlockEncoding, ParquetColumnSpec, DataField)? Physical(ContractColumn c, bool plain) => (c.Type.Kind, c.Nullable) switch
    {
        (ColumnKind.String, _) => (plain ? BlockEncoding.PlainString : BlockEncoding.DictionaryString,
            new(c.Name, ParquetValueKind.Utf8, c.Nullable), new DataField<string>(c.Name, c.Nullable)),
        (ColumnKind.Int64, false) => (BlockEncoding.Int64, new(c.Name, ParquetValueKind.Int64, false), new DataField<long>(c.Name, false)),
        (ColumnKind.Int32, true) => (BlockEncoding.NullableInt32, new(c.Name, ParquetValueKind.Int32, true), new DataField<int?>(c.Name, true)),
        (ColumnKind.Decimal, true) when c.Type.Precision <= 18 => (BlockEncoding.NullableDecimal,
            new(c.Name, ParquetValueKind.Decimal, true, c.Type.Precision, c.Type.Scale),
            new DecimalDataField(c.Name, c.Type.Precision, c.Type.Scale, forceByteArrayEncoding: false, isNullable: true)),
        (ColumnKind.Timestamp, false) => (BlockEncoding.Timestamp, new(c.Name, ParquetValueKind.TimestampMicrosUtc, false), Schemas.Timestamp(c.Name)),
        (ColumnKind.Date, true) => (BlockEncoding.NullableTimestamp, new(c.Name, ParquetValueKind.Date, true), Schemas.Date(c.Name)),
        _ => null,
    };

    /// <summary>
    /// sales_mart's columns as its <paramref name="contract"/> declares them and its partitions hold them: order_id, the
    /// order key, as plain UTF-8, every other string with a dictionary. Every holder of mart rows takes them from here.
    /// </summary>
    public static DatasetColumns Mart(DataContract contract) => From(contract, plain: Schemas.SalesMart.OrderId.Name);

    /// <summary>
    /// sales_mart as this build ships it (<see cref="Schemas.SalesMart"/>): what rows are held as when no contract is at
    /// hand (tests and tools). A run holds them as its contract declares (<see cref="Mart"/>).
    /// </summary>
    public static readonly DatasetColumns ShippedMart = Mart(new DataContract
    {
        Dataset = Schemas.SalesMart.Dataset,
        Version = "shipped",
        Columns = [.. Schemas.SalesMart.Schema.DataFields.Select(ContractColumn.FromField)],
    });

    /// <summary>The column named <paramref name="name"/>'s position, or -1.</summary>
    public int IndexOf(string name) => Blocks.IndexOf(name);

    public override string ToString() => $"{Dataset}: {Blocks}";
}
