using System.Buffers;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Core.WorkFiles;

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
    private readonly EventLayout _layout;
    private readonly EventBlockBuilder?[] _buffers = new EventBlockBuilder?[OrderBuckets.Count + 1];

    private EventStagingWriter(PartitionedSpool.Writer spool, EventLayout layout) => (_spool, _layout) = (spool, layout);

    public long RowsWritten { get; private set; }

    /// <summary>
    /// A writer of the staging file at <paramref name="path"/> with the columns of <paramref name="layout"/> (the events
    /// contract's; default the shipped schema's) as its column list; its blocks (~0.7 MB) are written unbuffered.
    /// </summary>
    public static EventStagingWriter Create(string path, EventLayout? layout = null)
    {
        layout ??= EventLayout.Default;
        return new(new PartitionedSpool.Writer(path, layout.Block, bufferBytes: 0), layout);
    }

    public static string PartitionOf(int bucket) => bucket < 0 ? Unkeyed : OrderBuckets.Name(bucket);

    /// <summary>
    /// Takes the rows of a parsed chunk, each to its bucket's buffer, one bucket after another (the chunk grouped
    /// by <see cref="ParsedEvents.GroupBySlot"/>); the blocks that fill up are appended in the order a row-by-row
    /// pass would have filled them, so the spool is the same whatever the grouping.
    /// </summary>
    public void Append(ParsedEvents rows)
    {
        rows.GroupBySlot();
        var order = rows.RowsBySlot;
        for (var slot = 0; slot < ParsedEvents.Slots; slot++)
        {
            var (from, to) = (rows.SlotStart(slot), rows.SlotStart(slot + 1));
            if (from == to) continue;
            var buffer = _buffers[slot] ??= new EventBlockBuilder(BlockRows, _layout);
            while (from < to)
            {
                var take = Math.Min(to - from, buffer.Capacity - buffer.Count);
                buffer.AddRun(rows, order.Slice(from, take));
                from += take;
                if (!buffer.IsFull) continue;
                var bytes = ArrayPool<byte>.Shared.Rent(buffer.EncodedLengthBound);
                _filled.Add(new FilledBlock(order[from - 1], slot, bytes, buffer.Encode(bytes), buffer.Count));
                buffer.Clear();
            }
        }
        if (_filled.Count > 0)
        {
            _filled.Sort((a, b) => a.FilledAtRow.CompareTo(b.FilledAtRow));
            foreach (var f in _filled)
            {
                _spool.Append(PartitionOf(f.Slot == OrderBuckets.Count ? -1 : f.Slot), f.Bytes.AsSpan(0, f.Length), f.Rows);
                ArrayPool<byte>.Shared.Return(f.Bytes);
            }
            _filled.Clear();
        }
        RowsWritten += rows.Count;
    }

    /// <summary>A block that filled up at a chunk's row <see cref="FilledAtRow"/>, waiting to be appended in row order.</summary>
    private readonly record struct FilledBlock(int FilledAtRow, int Slot, byte[] Bytes, int Length, int Rows);

    private readonly List<FilledBlock> _filled = [];

    /// <summary>Writes what is still buffered, bucket by bucket, then the spool's footer.</summary>
    public void Complete()
    {
        for (var slot = 0; slot < _buffers.Length; slot++) Flush(slot);
        _spool.Complete();
    }

    private void Flush(int slot)
    {
        if (_buffers[slot] is not { Count: > 0 } buffer) return;
        var bytes = ArrayPool<byte>.Shared.Rent(buffer.EncodedLengthBound);
        _spool.Append(PartitionOf(slot == OrderBuckets.Count ? -1 : slot), bytes.AsSpan(0, buffer.Encode(bytes)), buffer.Count);
        ArrayPool<byte>.Shared.Return(bytes);
        buffer.Clear();
    }

    public void Dispose() => _spool.Dispose();
}
