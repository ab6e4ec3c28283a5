using Highwater.Model;
using Highwater.Staging;

namespace Highwater.Columnar;

/// <summary>
/// The staging batch Extract writes and Transform reads: valid events, split by the order-index bucket of their
/// order_id (<see cref="OrderBuckets"/>; rows without one in <see cref="Unkeyed"/>), as column blocks of a
/// <see cref="PartitionedSpool"/>. Transform then takes one bucket at a time — every version of an order is in
/// the same bucket — so its memory follows a bucket, not the batch. Within a bucket, rows keep the batch's
/// order (plan order, then line order), which the order index relies on for ties.
/// </summary>
public sealed class EventStagingWriter : IDisposable
{
    public const string Unkeyed = "unkeyed";

    /// <summary>Rows a bucket buffers before they are appended as a block.</summary>
    internal const int BlockRows = 8_192;

    private readonly PartitionedSpool.Writer _spool;
    private readonly EventColumns?[] _buffers = new EventColumns?[OrderBuckets.Count + 1];
    private readonly ColumnBlockWriter _block = new();

    private EventStagingWriter(PartitionedSpool.Writer spool) => _spool = spool;

    public long RowsWritten { get; private set; }

    public static EventStagingWriter Create(string path) => new(new PartitionedSpool.Writer(path));

    public static string PartitionOf(int bucket) => bucket < 0 ? Unkeyed : OrderBuckets.Name(bucket);

    /// <summary>Takes the rows of a parsed chunk, each to its bucket's buffer; full buffers are written.</summary>
    public void Append(EventColumns rows)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            var slot = rows.Bucket[i] < 0 ? OrderBuckets.Count : rows.Bucket[i];
            var buffer = _buffers[slot] ??= new EventColumns(BlockRows);
            buffer.AppendRow(rows, i);
            if (buffer.IsFull) Flush(slot);
        }
        RowsWritten += rows.Count;
    }

    /// <summary>Writes what is still buffered, bucket by bucket, then the spool's footer.</summary>
    public void Complete()
    {
        for (var slot = 0; slot < _buffers.Length; slot++) Flush(slot);
        _spool.Complete();
    }

    private void Flush(int slot)
    {
        if (_buffers[slot] is not { Count: > 0 } buffer) return;
        buffer.Encode(_block);
        _spool.Append(PartitionOf(slot == OrderBuckets.Count ? -1 : slot), _block.Written, buffer.Count);
        buffer.Clear();
    }

    public void Dispose() => _spool.Dispose();
}

/// <summary>Reads the staging batch back, one bucket (or every block) at a time.</summary>
public static class EventStagingReader
{
    /// <summary>The blocks of one partition (a bucket's two digits or <see cref="EventStagingWriter.Unkeyed"/>), in append order.</summary>
    public static IEnumerable<EventColumns> ReadPartition(PartitionedSpool.Reader spool, string partition, StringPool pool)
    {
        var buffer = Array.Empty<byte>();
        EventColumns? rows = null;
        foreach (var block in spool.BlocksOf(partition))
        {
            rows = EventColumns.Decode(spool.Read(block, ref buffer), pool, rows);
            yield return rows;
        }
    }

    /// <summary>Every staged row as records, partition by partition (tests and tools; Transform reads by bucket).</summary>
    public static async IAsyncEnumerable<EventRecord[]> ReadRowGroupsAsync(string path)
    {
        await Task.CompletedTask;
        using var spool = PartitionedSpool.Reader.Open(path);
        var pool = new StringPool();
        foreach (var partition in spool.Partitions)
            foreach (var block in ReadPartition(spool, partition, pool))
            {
                var rows = new EventRecord[block.Count];
                for (var i = 0; i < rows.Length; i++) rows[i] = block[i];
                yield return rows;
            }
    }
}
