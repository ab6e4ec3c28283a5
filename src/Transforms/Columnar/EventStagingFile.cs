using Highwater.Model;
using Parquet;
using static Highwater.Columnar.ParquetColumns;
using E = Highwater.Model.Schemas.Events;

namespace Highwater.Columnar;

/// <summary>
/// The columnar staging batch Extract writes and Transform reads: valid events as Parquet,
/// appended one row group at a time so memory stays bounded by the row group size.
/// </summary>
public sealed class EventStagingWriter : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly ParquetWriter _writer;

    private EventStagingWriter(Stream stream, ParquetWriter writer)
    {
        _stream = stream;
        _writer = writer;
    }

    public long RowsWritten { get; private set; }

    public static async Task<EventStagingWriter> CreateAsync(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var stream = File.Create(path);
        var writer = await ParquetWriter.CreateAsync(E.Schema, stream, WriteOptions);
        return new EventStagingWriter(stream, writer);
    }

    public async Task WriteRowGroupAsync(IReadOnlyList<EventRecord> rows)
    {
        if (rows.Count == 0) return;
        using var g = _writer.CreateRowGroup();
        var n = rows.Count;
        await WriteString(g, E.OrderId, rows, 0, n, r => r.OrderId);
        await Write(g, E.UserId, rows, 0, n, r => r.UserId);
        await Write(g, E.EventTs, rows, 0, n, r => r.EventTs);
        await Write(g, E.ArrivalTs, rows, 0, n, r => r.ArrivalTs);
        await WriteNullable(g, E.Qty, rows, 0, n, r => r.Qty);
        await WriteNullable(g, E.UnitPrice, rows, 0, n, r => r.UnitPrice);
        await WriteString(g, E.Currency, rows, 0, n, r => r.Currency);
        await WriteString(g, E.Sku, rows, 0, n, r => r.Sku);
        await WriteString(g, E.Channel, rows, 0, n, r => r.Channel);
        await WriteString(g, E.SourceKey, rows, 0, n, r => r.SourceKey);
        await Write(g, E.SourceLine, rows, 0, n, r => r.SourceLine);
        RowsWritten += n;
    }

    /// <summary>Writes the buffered rows as one row group, column by column, straight from the buffers.</summary>
    public async Task WriteRowGroupAsync(EventColumns rows)
    {
        var n = rows.Count;
        if (n == 0) return;
        using var g = _writer.CreateRowGroup();
        await g.WriteAsync(E.OrderId, new ArraySegment<string>(rows.OrderId!, 0, n));
        await g.WriteAsync<long>(E.UserId, new ReadOnlyMemory<long>(rows.UserId, 0, n));
        await g.WriteAsync<DateTime>(E.EventTs, new ReadOnlyMemory<DateTime>(rows.EventTs, 0, n));
        await g.WriteAsync<DateTime>(E.ArrivalTs, new ReadOnlyMemory<DateTime>(rows.ArrivalTs, 0, n));
        await g.WriteAsync<int>(E.Qty, new ReadOnlyMemory<int?>(rows.Qty, 0, n));
        await g.WriteAsync<decimal>(E.UnitPrice, new ReadOnlyMemory<decimal?>(rows.UnitPrice, 0, n));
        await g.WriteAsync(E.Currency, new ArraySegment<string>(rows.Currency!, 0, n));
        await g.WriteAsync(E.Sku, new ArraySegment<string>(rows.Sku!, 0, n));
        await g.WriteAsync(E.Channel, new ArraySegment<string>(rows.Channel!, 0, n));
        await g.WriteAsync(E.SourceKey, new ArraySegment<string>(rows.SourceKey, 0, n));
        await g.WriteAsync<long>(E.SourceLine, new ReadOnlyMemory<long>(rows.SourceLine, 0, n));
        RowsWritten += n;
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        await _stream.DisposeAsync();
    }
}

/// <summary>Reads the staging batch back, one row group at a time.</summary>
public static class EventStagingReader
{
    public static async IAsyncEnumerable<EventRecord[]> ReadRowGroupsAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var schema = reader.Schema;
        for (var i = 0; i < reader.RowGroupCount; i++)
        {
            using var g = reader.OpenRowGroupReader(i);
            var orderId = await ReadString(g, schema, E.OrderId, path);
            var userId = await Read<long>(g, schema, E.UserId, path);
            var eventTs = await Read<DateTime>(g, schema, E.EventTs, path);
            var arrivalTs = await Read<DateTime>(g, schema, E.ArrivalTs, path);
            var qty = await ReadNullable<int>(g, schema, E.Qty, path);
            var unitPrice = await ReadNullable<decimal>(g, schema, E.UnitPrice, path);
            var currency = await ReadString(g, schema, E.Currency, path);
            var sku = await ReadString(g, schema, E.Sku, path);
            var channel = await ReadString(g, schema, E.Channel, path);
            var sourceKey = await ReadString(g, schema, E.SourceKey, path);
            var sourceLine = await Read<long>(g, schema, E.SourceLine, path);
            var rows = new EventRecord[orderId.Length];
            for (var r = 0; r < rows.Length; r++)
                rows[r] = new EventRecord(orderId[r], userId[r], UtcTimestamp.Normalize(eventTs[r]), UtcTimestamp.Normalize(arrivalTs[r]),
                    qty[r], unitPrice[r], currency[r], sku[r], channel[r], sourceKey[r]!, sourceLine[r]);
            yield return rows;
        }
    }
}
