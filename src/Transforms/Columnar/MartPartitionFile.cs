using Highwater.Model;
using Parquet;
using static Highwater.Columnar.ParquetColumns;
using M = Highwater.Model.Schemas.SalesMart;

namespace Highwater.Columnar;

/// <summary>One Parquet file of a sales_mart partition: written whole, read whole.</summary>
public static class MartPartitionFile
{
    public static Task WriteAsync(Stream stream, IReadOnlyList<MartRecord> rows) => WriteAsync(stream, rows, withOrderIdFilter: false);

    /// <summary>Writes the rows; with <paramref name="withOrderIdFilter"/>, an <see cref="OrderIdFilter"/> of their order_ids goes in the footer.</summary>
    public static async Task WriteAsync(Stream stream, IReadOnlyList<MartRecord> rows, bool withOrderIdFilter)
    {
        await using var writer = await ParquetWriter.CreateAsync(M.Schema, stream, WriteOptions);
        if (withOrderIdFilter)
        {
            var filter = OrderIdFilter.For(rows.Count);
            for (var i = 0; i < rows.Count; i++)
                if (rows[i].OrderId is { } id) filter.Add(id);
            writer.CustomMetadata = new Dictionary<string, string> { [OrderIdFilter.MetadataKey] = filter.ToText() };
        }
        // Row-group buffers are large (14 arrays of up to a row group each): reused across files rather than
        // allocated per file, which at 10M rows was ~2 GB of large-object churn and the full GCs it triggers.
        var columns = SharedColumns.TryTake(out var held) && held.Capacity >= Math.Min(RowGroupRows, rows.Count) ? held
            : new MartColumns(Math.Min(RowGroupRows, Math.Max(rows.Count, 1)));
        try
        {
            for (var from = 0; from < rows.Count || from == 0; from += RowGroupRows)
            {
                var n = Math.Min(RowGroupRows, rows.Count - from);
                columns.Fill(rows, from, n);
                using var g = writer.CreateRowGroup();
                await g.WriteAsync(M.OrderId, Strings(columns.OrderId, n));
                await g.WriteAsync<long>(M.UserId, new ReadOnlyMemory<long>(columns.UserId, 0, n));
                await g.WriteAsync<DateTime>(M.EventTs, new ReadOnlyMemory<DateTime>(columns.EventTs, 0, n));
                await g.WriteAsync<DateTime>(M.ArrivalTs, new ReadOnlyMemory<DateTime>(columns.ArrivalTs, 0, n));
                await g.WriteAsync<int>(M.Qty, new ReadOnlyMemory<int?>(columns.Qty, 0, n));
                await g.WriteAsync<decimal>(M.UnitPrice, new ReadOnlyMemory<decimal?>(columns.UnitPrice, 0, n));
                await g.WriteAsync<decimal>(M.TotalPrice, new ReadOnlyMemory<decimal?>(columns.TotalPrice, 0, n));
                await g.WriteAsync(M.Currency, Strings(columns.Currency, n));
                await g.WriteAsync(M.Sku, Strings(columns.Sku, n));
                await g.WriteAsync(M.Channel, Strings(columns.Channel, n));
                await g.WriteAsync(M.Country, Strings(columns.Country, n));
                await g.WriteAsync(M.Segment, Strings(columns.Segment, n));
                await g.WriteAsync<DateTime>(M.SignupDate, new ReadOnlyMemory<DateTime?>(columns.SignupDate, 0, n));
                await g.WriteAsync(M.SourceKey, Strings(columns.SourceKey, n));
                if (rows.Count == 0) break;
            }
        }
        finally
        {
            columns.Clear();
            if (columns.Capacity == RowGroupRows || SharedColumns.IsEmpty) SharedColumns.Add(columns);
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentBag<MartColumns> SharedColumns = [];

    private static IReadOnlyCollection<string> Strings(string?[] values, int n) =>
        n == values.Length ? values! : new ArraySegment<string>(values!, 0, n);

    public static Task ReadAsync(Stream stream, string name, List<MartRecord> into) => ReadAsync(stream, name, into, keep: null);

    /// <summary>
    /// Reads the rows whose order_id <paramref name="keep"/> accepts (all rows when it is null). The order_id
    /// column is decoded first; a row group without a wanted row is skipped without decoding its other columns.
    /// </summary>
    public static Task ReadAsync(Stream stream, string name, List<MartRecord> into, Func<string?, bool>? keep) =>
        ReadAsync(stream, name, into, keep, wanted: null);

    /// <summary>
    /// As <see cref="ReadAsync(Stream, string, List{MartRecord}, Func{string?, bool}?)"/>; when the file's footer has an
    /// <see cref="OrderIdFilter"/> and it says none of <paramref name="wanted"/> is in the file, nothing is decoded.
    /// Returns false when the file was skipped that way.
    /// </summary>
    public static async Task<bool> ReadAsync(Stream stream, string name, List<MartRecord> into, Func<string?, bool>? keep, IReadOnlyCollection<string>? wanted)
    {
        await using var reader = await ParquetReader.CreateAsync(stream);
        if (wanted is not null && OrderIdFilter.FromMetadata(reader.CustomMetadata) is { } filter && !wanted.Any(filter.MayContain))
            return false;
        var s = reader.Schema;
        for (var i = 0; i < reader.RowGroupCount; i++)
        {
            using var g = reader.OpenRowGroupReader(i);
            var orderId = await ReadString(g, s, M.OrderId, name);
            if (keep is not null && !orderId.Any(keep)) continue;
            var userId = await Read<long>(g, s, M.UserId, name);
            var eventTs = await Read<DateTime>(g, s, M.EventTs, name);
            var arrivalTs = await Read<DateTime>(g, s, M.ArrivalTs, name);
            var qty = await ReadNullable<int>(g, s, M.Qty, name);
            var unitPrice = await ReadNullable<decimal>(g, s, M.UnitPrice, name);
            var totalPrice = await ReadNullable<decimal>(g, s, M.TotalPrice, name);
            var currency = await ReadString(g, s, M.Currency, name);
            var sku = await ReadString(g, s, M.Sku, name);
            var channel = await ReadString(g, s, M.Channel, name);
            var country = await ReadString(g, s, M.Country, name);
            var segment = await ReadString(g, s, M.Segment, name);
            var signup = await ReadNullable<DateTime>(g, s, M.SignupDate, name);
            var sourceKey = await ReadString(g, s, M.SourceKey, name);
            if (keep is null) into.EnsureCapacity(into.Count + orderId.Length);
            for (var r = 0; r < orderId.Length; r++)
            {
                if (keep is not null && !keep(orderId[r])) continue;
                into.Add(new MartRecord(orderId[r], userId[r], UtcTimestamp.Normalize(eventTs[r]), UtcTimestamp.Normalize(arrivalTs[r]),
                    qty[r], unitPrice[r], totalPrice[r], currency[r], sku[r], channel[r], country[r], segment[r],
                    signup[r] is { } d ? DateTime.SpecifyKind(d.Date, DateTimeKind.Utc) : null, sourceKey[r]!));
            }
        }
        return true;
    }
}
