using Highwater.Parquet.Writing;
using Highwater.Pipeline.Core.WorkFiles;
using Parquet;
using static Highwater.Pipeline.Core.Mart.ParquetColumns;
using M = Highwater.Pipeline.Core.Schema.Schemas.SalesMart;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// One Parquet file of a sales_mart partition, written from and read into rows held as columns
/// (<see cref="PartitionColumns"/>): each column by its vector, whatever its name.
/// </summary>
public static class MartPartitionFile
{
    /// <summary>
    /// Writes the rows with <see cref="ParquetFileWriter"/> (row groups of <see cref="ParquetColumns.RowGroupRows"/>,
    /// DELTA_BINARY_PACKED integers unless told otherwise, Snappy, dictionary pages for repeating strings), in the given
    /// order (<c>order[i]</c> is the position of the i-th row to write: the partition order), or as they are held when it
    /// is null; with <paramref name="withOrderIdFilter"/>, an <see cref="OrderIdFilter"/> of their order_ids goes in the
    /// footer (order-index segments of earlier versions were written so).
    /// </summary>
    internal static Task WriteAsync(Stream stream, PartitionColumns rows, int[]? order = null, ParquetIntegerEncoding integers = ParquetIntegerEncoding.Delta,
        bool withOrderIdFilter = false)
    {
        if (order is not null && order.Length < rows.Count) throw new ArgumentException($"the order holds {order.Length} positions for {rows.Count} rows", nameof(order));
        order ??= [.. Enumerable.Range(0, rows.Count)];
        Dictionary<string, string>? metadata = null;
        if (withOrderIdFilter)
        {
            var filter = OrderIdFilter.For(rows.Count);
            for (var i = 0; i < rows.Count; i++)
                if (!rows.OrderId.IsNull(i)) filter.Add(rows.OrderId[i]);
            metadata = new Dictionary<string, string> { [OrderIdFilter.MetadataKey] = filter.ToText() };
        }
        var specs = rows.Dataset.Parquet;
        using var writer = new ParquetFileWriter(stream, specs, metadata, integers);
        for (var from = 0; from < rows.Count; from += RowGroupRows)
        {
            var n = Math.Min(RowGroupRows, rows.Count - from);
            var positions = order.AsSpan(from, n);
            writer.BeginRowGroup(n);
            for (var c = 0; c < specs.Length; c++) rows.Vectors[c].WriteParquet(writer, specs[c], positions);
            writer.EndRowGroup();
        }
        writer.Complete();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Appends the file's rows whose order_id <paramref name="keep"/> accepts (all rows when it is null). The order_id
    /// column is decoded first; a row group without a wanted row is skipped without decoding its other columns. When the
    /// file's footer has an <see cref="OrderIdFilter"/> and it says none of <paramref name="wanted"/> is in the file,
    /// nothing is decoded and the answer is false. Columns are found by name: a nullable column the file lacks (a file
    /// written before the column was declared) reads as null; the file's other columns are not read.
    /// </summary>
    /// <exception cref="DataException">A required column is missing from the file, or a column has another type (naming both).</exception>
    internal static async Task<bool> ReadAsync(Stream stream, string name, PartitionColumns into, Func<string?, bool>? keep = null,
        IReadOnlyCollection<string>? wanted = null)
    {
        await using var reader = await ParquetReader.CreateAsync(stream);
        if (wanted is not null && OrderIdFilter.FromMetadata(reader.CustomMetadata) is { } filter && !wanted.Any(filter.MayContain))
            return false;
        var s = reader.Schema;
        var local = LocalChunks.Of(stream, reader); // a local file's chunks decoded directly where they can be
        var fields = into.Dataset.Fields;
        var absent = fields.Select(f => f.IsNullable && !s.DataFields.Any(d => d.Name == f.Name)).ToArray();
        var orderIdAt = into.Columns.IndexOf(M.OrderId.Name);
        var kept = new List<int>();
        for (var i = 0; i < reader.RowGroupCount; i++)
        {
            using var g = reader.OpenRowGroupReader(i);
            var orderId = await ReadString(g, s, fields[orderIdAt], name, local);
            kept.Clear();
            for (var r = 0; r < orderId.Length; r++)
                if (keep is null || keep(orderId[r])) kept.Add(r);
            if (kept.Count == 0) continue;
            into.Ensure(into.Count + kept.Count);
            var at = into.Count;
            for (var c = 0; c < fields.Count; c++)
            {
                var vector = into.Vectors[c];
                if (absent[c])
                {
                    vector.SetNull(at, kept.Count);
                    continue;
                }
                Array values = c == orderIdAt ? orderId : vector.Column.Kind switch
                {
                    BlockEncoding.Int64 => await Read<long>(g, s, fields[c], name, local),
                    BlockEncoding.Timestamp => await Read<DateTime>(g, s, fields[c], name, local),
                    BlockEncoding.NullableTimestamp => await ReadNullable<DateTime>(g, s, fields[c], name, local),
                    BlockEncoding.NullableInt32 => await ReadNullable<int>(g, s, fields[c], name, local),
                    BlockEncoding.NullableDecimal => await ReadNullable<decimal>(g, s, fields[c], name, local),
                    _ => await ReadString(g, s, fields[c], name, local),
                };
                vector.AppendArray(values, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(kept), at);
            }
            into.Grow(kept.Count);
        }
        return true;
    }
}
