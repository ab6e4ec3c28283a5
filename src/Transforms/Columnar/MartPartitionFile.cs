using Highwater.Model;
using Parquet;
using static Highwater.Columnar.ParquetColumns;
using M = Highwater.Model.Schemas.SalesMart;

namespace Highwater.Columnar;

/// <summary>One Parquet file of a sales_mart partition: written whole, read whole.</summary>
public static class MartPartitionFile
{
    public static async Task WriteAsync(Stream stream, IReadOnlyList<MartRecord> rows)
    {
        await using var writer = await ParquetWriter.CreateAsync(M.Schema, stream, WriteOptions);
        for (var from = 0; from < rows.Count || from == 0; from += RowGroupRows)
        {
            var n = Math.Min(RowGroupRows, rows.Count - from);
            using var g = writer.CreateRowGroup();
            await WriteString(g, M.OrderId, rows, from, n, r => r.OrderId);
            await Write(g, M.UserId, rows, from, n, r => r.UserId);
            await Write(g, M.EventTs, rows, from, n, r => r.EventTs);
            await Write(g, M.ArrivalTs, rows, from, n, r => r.ArrivalTs);
            await WriteNullable(g, M.Qty, rows, from, n, r => r.Qty);
            await WriteNullable(g, M.UnitPrice, rows, from, n, r => r.UnitPrice);
            await WriteNullable(g, M.TotalPrice, rows, from, n, r => r.TotalPrice);
            await WriteString(g, M.Currency, rows, from, n, r => r.Currency);
            await WriteString(g, M.Sku, rows, from, n, r => r.Sku);
            await WriteString(g, M.Channel, rows, from, n, r => r.Channel);
            await WriteString(g, M.Country, rows, from, n, r => r.Country);
            await WriteString(g, M.Segment, rows, from, n, r => r.Segment);
            await WriteNullable(g, M.SignupDate, rows, from, n, r => r.SignupDate);
            await WriteString(g, M.SourceKey, rows, from, n, r => r.SourceKey);
            if (rows.Count == 0) break;
        }
    }

    public static async Task ReadAsync(Stream stream, string name, List<MartRecord> into)
    {
        await using var reader = await ParquetReader.CreateAsync(stream);
        var s = reader.Schema;
        for (var i = 0; i < reader.RowGroupCount; i++)
        {
            using var g = reader.OpenRowGroupReader(i);
            var orderId = await ReadString(g, s, M.OrderId, name);
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
            for (var r = 0; r < orderId.Length; r++)
                into.Add(new MartRecord(orderId[r], userId[r], UtcTimestamp.Normalize(eventTs[r]), UtcTimestamp.Normalize(arrivalTs[r]),
                    qty[r], unitPrice[r], totalPrice[r], currency[r], sku[r], channel[r], country[r], segment[r],
                    signup[r] is { } d ? DateTime.SpecifyKind(d.Date, DateTimeKind.Utc) : null, sourceKey[r]!));
        }
    }
}
