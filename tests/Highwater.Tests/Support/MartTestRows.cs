using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using Highwater.Pipeline.Transform;

namespace Highwater.Tests.Support;

/// <summary>
/// One sales_mart row as the tests spell it (the shipped contract's columns): Highwater itself holds rows only as
/// columns (<see cref="PartitionColumns"/>), and <see cref="MartTestRows"/> moves rows between the two by column name.
/// <see cref="Dt"/> is the partition (UTC date of the event), not a file column.
/// </summary>
public record struct MartRecord(
    string? OrderId,
    long UserId,
    DateTime EventTs,
    DateTime ArrivalTs,
    int? Qty,
    decimal? UnitPrice,
    decimal? TotalPrice,
    string? Currency,
    string? Sku,
    string? Channel,
    string? Country,
    string? Segment,
    DateTime? SignupDate,
    string SourceKey)
{
    public DateOnly Dt => DateOnly.FromDateTime(EventTs);
}

/// <summary>Test rows (<see cref="MartRecord"/>) into and out of the pipeline's column holders and mart files.</summary>
internal static class MartTestRows
{
    public static PartitionColumns Columns(IEnumerable<MartRecord> rows)
    {
        var columns = new PartitionColumns();
        foreach (var row in rows) columns.Append(row);
        return columns;
    }

    public static void Append(this PartitionColumns columns, in MartRecord r) =>
        columns.AppendValues(new Dictionary<string, object?>
        {
            ["order_id"] = r.OrderId, ["user_id"] = r.UserId, ["event_ts"] = r.EventTs, ["arrival_ts"] = r.ArrivalTs,
            ["qty"] = r.Qty, ["unit_price"] = r.UnitPrice, ["total_price"] = r.TotalPrice, ["currency"] = r.Currency,
            ["sku"] = r.Sku, ["channel"] = r.Channel, ["country"] = r.Country, ["segment"] = r.Segment,
            ["signup_date"] = r.SignupDate, ["source_key"] = r.SourceKey,
        });

    public static MartRecord Row(this PartitionColumns columns, int i)
    {
        var v = columns.ValuesAt(i);
        return new MartRecord((string?)v["order_id"], (long)v["user_id"]!, (DateTime)v["event_ts"]!, (DateTime)v["arrival_ts"]!,
            (int?)v["qty"], (decimal?)v["unit_price"], (decimal?)v["total_price"], (string?)v["currency"], (string?)v["sku"],
            (string?)v["channel"], (string?)v["country"], (string?)v["segment"], (DateTime?)v["signup_date"], (string)v["source_key"]!);
    }

    public static List<MartRecord> Records(this PartitionColumns columns) => [.. Enumerable.Range(0, columns.Count).Select(columns.Row)];

    /// <summary>Writes the rows as one mart file, in their order.</summary>
    public static Task WriteAsync(Stream stream, IEnumerable<MartRecord> rows, ParquetIntegerEncoding integers = ParquetIntegerEncoding.Delta,
        bool withOrderIdFilter = false) =>
        MartPartitionFile.WriteAsync(stream, Columns(rows), integers: integers, withOrderIdFilter: withOrderIdFilter);

    /// <summary>Reads a mart file's rows (those whose order_id <paramref name="keep"/> accepts) into <paramref name="into"/>.</summary>
    public static async Task<bool> ReadAsync(Stream stream, string name, List<MartRecord> into, Func<string?, bool>? keep = null,
        IReadOnlyCollection<string>? wanted = null)
    {
        var columns = new PartitionColumns();
        var read = await MartPartitionFile.ReadAsync(stream, name, columns, keep, wanted);
        into.AddRange(columns.Records());
        return read;
    }

    /// <summary>Writes the rows as one order-index segment (every row one group, or the given groups).</summary>
    public static List<OrderIndexSegment.WrittenBlock> WriteSegment(Stream stream, IEnumerable<MartRecord> rows,
        IReadOnlyList<OrderIndexSegment.RowGroup>? groups = null)
    {
        var columns = Columns(rows);
        return OrderIndexSegment.Write(stream, columns, groups ?? [new(null, Enumerable.Range(0, columns.Count).ToList())], new ColumnBlockWriter());
    }

    /// <summary>Reads an order-index segment's rows (those whose order_id <paramref name="keep"/> accepts) into <paramref name="into"/>.</summary>
    public static async Task<bool> ReadSegmentAsync(Stream stream, string name, List<MartRecord> into, Func<string?, bool>? keep,
        IReadOnlyCollection<string>? wanted)
    {
        var columns = new PartitionColumns();
        var read = await OrderIndexSegment.ReadAsync(stream, name, columns, keep, wanted);
        into.AddRange(columns.Records());
        return read;
    }

    /// <summary>The KPIs of rows given as test rows.</summary>
    public static KpiTable Compute(this DailyKpi kpis, IEnumerable<MartRecord> rows) => kpis.Compute(Columns(rows));

    /// <summary>The winning candidate per order_id by the order winner rule, as test rows.</summary>
    public static Dictionary<string, MartRecord> Winners(IEnumerable<MartRecord> candidates)
    {
        var columns = Columns(candidates);
        return OrderWinner.WinnerIndexes(columns).ToDictionary(w => w.Key, w => columns.Row(w.Value), StringComparer.Ordinal);
    }

    /// <summary>Whether <paramref name="a"/> beats <paramref name="b"/> by the order winner rule.</summary>
    public static bool Beats(MartRecord a, MartRecord b) => OrderWinner.Beats(Columns([a, b]), 0, 1);

    /// <summary>A partition rebuilt as Transform rebuilds one: the added rows, then the held ones that stay, in the partition order.</summary>
    public static List<MartRecord> Rewrite(IEnumerable<MartRecord> existing, IReadOnlySet<string> removed, IEnumerable<MartRecord> added,
        IReadOnlySet<string> replaced)
    {
        var rows = Columns(added);
        var from = rows.Count;
        foreach (var row in existing) rows.Append(row);
        rows.KeepWhere(i => !PartitionRewrite.Leaves(rows, i, removed, replaced), from);
        var order = new int[rows.Count];
        PartitionRewrite.Order(rows, order);
        return [.. order.Select(rows.Row)];
    }

    public delegate long Key(in MartRecord row);
    public delegate OrdinalPrefix Prefix(in MartRecord row);
    public delegate int Comparison(in MartRecord a, in MartRecord b);

    /// <summary>Sorts test rows through <see cref="RowSort"/>'s entries: by key, then prefix and tie-break, then position.</summary>
    public static void SortByKey(List<MartRecord> rows, Key key, Prefix prefix, Comparison tieBreak)
    {
        var entries = rows.Select((r, i) => new RowSort.Entry(key(in r), prefix(in r), i)).ToArray();
        var order = new int[rows.Count];
        RowSort.Order(entries.AsSpan(), new TieBreak(rows, tieBreak), order);
        var sorted = order.Select(i => rows[i]).ToList();
        rows.Clear();
        rows.AddRange(sorted);
    }

    private readonly struct TieBreak(List<MartRecord> rows, Comparison compare) : RowSort.ITieBreak
    {
        public int Compare(int x, int y)
        {
            var (a, b) = (rows[x], rows[y]);
            return compare(in a, in b);
        }
    }
}
