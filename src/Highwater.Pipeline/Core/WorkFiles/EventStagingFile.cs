using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
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
    private readonly EventBlockBuilder?[] _buffers = new EventBlockBuilder?[OrderBuckets.Count + 1];

    private EventStagingWriter(PartitionedSpool.Writer spool) => _spool = spool;

    public long RowsWritten { get; private set; }

    /// <summary>A writer of the staging file at <paramref name="path"/>; its blocks (~0.7 MB) are written unbuffered.</summary>
    public static EventStagingWriter Create(string path) => new(new PartitionedSpool.Writer(path, BlockColumns.Events, bufferBytes: 0));

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
            var buffer = _buffers[slot] ??= new EventBlockBuilder(BlockRows);
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

/// <summary>
/// One bucket's next spool block, built from <see cref="ParsedEvents"/> rows by copying bytes: the same encoding as
/// <see cref="EventColumns.Encode"/> of the same rows (<see cref="ColumnBlockWriter"/>: order_id as plain UTF-8,
/// the low-cardinality strings as a per-block dictionary in order of first appearance), byte for byte.
/// </summary>
public sealed class EventBlockBuilder
{
    private readonly int[] _orderIdLength;
    private byte[] _orderIds = new byte[1 << 16];
    private int _orderIdBytes;
    private readonly long[] _userId, _sourceLine;
    private readonly DateTime[] _eventTs, _arrivalTs;
    private readonly int?[] _qty;
    private readonly decimal?[] _unitPrice;
    private readonly BlockDictionary _currency, _sku, _channel, _sourceKey;
    private byte[] _encoded = new byte[1 << 16];

    public EventBlockBuilder(int capacity)
    {
        Capacity = capacity;
        _orderIdLength = new int[capacity];
        _userId = new long[capacity];
        _sourceLine = new long[capacity];
        _eventTs = new DateTime[capacity];
        _arrivalTs = new DateTime[capacity];
        _qty = new int?[capacity];
        _unitPrice = new decimal?[capacity];
        _currency = new BlockDictionary(capacity);
        _sku = new BlockDictionary(capacity);
        _channel = new BlockDictionary(capacity);
        _sourceKey = new BlockDictionary(capacity);
    }

    public int Capacity { get; }
    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;

    /// <summary>Appends row <paramref name="i"/> of <paramref name="rows"/>.</summary>
    public void Add(ParsedEvents rows, int i) => AddRun(rows, new ReadOnlySpan<int>(in i));

    /// <summary>
    /// Appends the rows <paramref name="order"/> of <paramref name="rows"/>, in that order (at most the room left),
    /// a column at a time: a run of one bucket's rows is gathered column by column rather than row by row.
    /// </summary>
    public void AddRun(ParsedEvents rows, ReadOnlySpan<int> order)
    {
        var at = Count;
        var n = order.Length;
        if (n > Capacity - at) throw new ArgumentOutOfRangeException(nameof(order), $"{n} rows do not fit the {Capacity - at} left");
        var ids = rows.OrderIdBytes;
        for (var k = 0; k < n; k++)
        {
            var i = order[k];
            var length = rows.OrderIdLength[i];
            _orderIdLength[at + k] = length;
            if (length <= 0) continue;
            if (_orderIdBytes + length > _orderIds.Length)
                Array.Resize(ref _orderIds, Math.Max(_orderIds.Length * 2, _orderIdBytes + length));
            ids.Slice(rows.OrderIdStart[i], length).CopyTo(_orderIds.AsSpan(_orderIdBytes));
            _orderIdBytes += length;
        }
        Gather(rows.UserId, order, _userId.AsSpan(at));
        Gather(rows.EventTs, order, _eventTs.AsSpan(at));
        Gather(rows.ArrivalTs, order, _arrivalTs.AsSpan(at));
        Gather(rows.SourceLine, order, _sourceLine.AsSpan(at));
        for (var k = 0; k < n; k++)
        {
            var i = order[k];
            _qty[at + k] = rows.HasQty[i] ? rows.Qty[i] : null;
            _unitPrice[at + k] = rows.HasUnitPrice[i] ? rows.UnitPrice[i] : null;
        }
        for (var k = 0; k < n; k++) _currency.Add(at + k, rows, rows.Currency[order[k]]);
        for (var k = 0; k < n; k++) _sku.Add(at + k, rows, rows.Sku[order[k]]);
        for (var k = 0; k < n; k++) _channel.Add(at + k, rows, rows.Channel[order[k]]);
        for (var k = 0; k < n; k++) _sourceKey.Add(at + k, rows, rows.SourceKey);
        Count = at + n;
    }

    private static void Gather<T>(T[] from, ReadOnlySpan<int> order, Span<T> into)
    {
        for (var k = 0; k < order.Length; k++) into[k] = from[order[k]];
    }

    /// <summary>At least the length of the block's encoding.</summary>
    public int EncodedLengthBound
    {
        get
        {
            var n = Count;
            return 4 + 1 + 4 * n + _orderIdBytes + 8 * n * 3 + ColumnBlockWriter.NullableInt32Bound(n) + ColumnBlockWriter.NullableDecimalBound(n) + 8 * n
                   + _currency.EncodedLength + _sku.EncodedLength + _channel.EncodedLength + _sourceKey.EncodedLength;
        }
    }

    /// <summary>The block's bytes (valid until the builder changes).</summary>
    public ReadOnlySpan<byte> Encode()
    {
        if (_encoded.Length < EncodedLengthBound) _encoded = new byte[Math.Max(EncodedLengthBound, _encoded.Length * 2)];
        return _encoded.AsSpan(0, Encode(_encoded));
    }

    /// <summary>Encodes the block into <paramref name="into"/> (at least <see cref="EncodedLengthBound"/> bytes); returns its length.</summary>
    public int Encode(Span<byte> into)
    {
        var n = Count;
        var span = into;
        var at = 0;
        Int32(span, ref at, n);
        // order_id as ColumnBlockWriter.PlainStrings writes it: a form byte, then one-byte lengths when every id is short.
        var narrow = true;
        foreach (var length in _orderIdLength.AsSpan(0, n))
            if (length >= ColumnBlockWriter.NarrowLength) { narrow = false; break; }
        span[at++] = narrow ? ColumnBlockWriter.NarrowForm : ColumnBlockWriter.WideForm;
        var from = 0;
        for (var r = 0; r < n; r++)
        {
            var length = _orderIdLength[r];
            if (narrow) span[at++] = length < 0 ? (byte)ColumnBlockWriter.NarrowLength : (byte)length;
            else Int32(span, ref at, length);
            if (length <= 0) continue;
            _orderIds.AsSpan(from, length).CopyTo(span[at..]);
            from += length;
            at += length;
        }
        Raw(span, ref at, MemoryMarshal.AsBytes(_userId.AsSpan(0, n)));
        Raw(span, ref at, MemoryMarshal.AsBytes(_eventTs.AsSpan(0, n)));
        Raw(span, ref at, MemoryMarshal.AsBytes(_arrivalTs.AsSpan(0, n)));
        at += ColumnBlockWriter.NullableInt32s(_qty.AsSpan(0, n), span[at..]);
        at += ColumnBlockWriter.NullableDecimals(_unitPrice.AsSpan(0, n), span[at..]);
        _currency.Encode(span, ref at, n);
        _sku.Encode(span, ref at, n);
        _channel.Encode(span, ref at, n);
        _sourceKey.Encode(span, ref at, n);
        Raw(span, ref at, MemoryMarshal.AsBytes(_sourceLine.AsSpan(0, n)));
        return at;
    }

    public void Clear()
    {
        Count = 0;
        _orderIdBytes = 0;
        _currency.Clear();
        _sku.Clear();
        _channel.Clear();
        _sourceKey.Clear();
    }

    private static void Int32(Span<byte> span, ref int at, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], value);
        at += 4;
    }

    private static void Raw(Span<byte> span, ref int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[at..]);
        at += bytes.Length;
    }

    /// <summary>
    /// A dictionary string column of one block: the distinct values in order of first appearance and an id per row
    /// (-1 for null). Table ids map to block ids through an array; a value without a table id is found by its bytes.
    /// </summary>
    private sealed class BlockDictionary
    {
        private readonly int[] _rows;
        private readonly List<byte[]> _distinct = [];
        private readonly List<int> _tableIds = [];
        private int[] _blockIdOfTableId = new int[256]; // block id + 1; 0: not in this block
        private readonly Dictionary<byte[], int> _byBytes = new(Utf8BytesComparer.Instance);
        private int _valueBytes;
        private int _lastReference = ParsedEvents.Null, _lastId = -1;

        public BlockDictionary(int capacity) => _rows = new int[capacity];

        public int EncodedLength => 4 + 4 * _distinct.Count + _valueBytes + 4 * _rows.Length;

        public void Add(int row, ParsedEvents rows, int reference)
        {
            if (reference == ParsedEvents.Null) { _rows[row] = -1; return; }
            // The same table value as the row before (the source key, nearly always): no lookup at all. A chunk's own
            // values (< -1) are not remembered: a chunk is reused, and the same reference may then be another value.
            if (reference == _lastReference) { _rows[row] = _lastId; return; }
            var id = Lookup(rows, reference);
            _rows[row] = id;
            if (reference >= 0) (_lastReference, _lastId) = (reference, id);
        }

        private int Lookup(ParsedEvents rows, int reference)
        {
            if (reference >= 0 && reference < _blockIdOfTableId.Length && _blockIdOfTableId[reference] is var known and > 0)
                return known - 1;
            return Resolve(rows, reference);
        }

        /// <summary>
        /// A value new to the block. A table id stands for its bytes alone (the table gives equal bytes one id, and a
        /// chunk keeps only bytes the table has no id for), so only a chunk's own values are looked up by bytes.
        /// </summary>
        private int Resolve(ParsedEvents rows, int reference)
        {
            var bytes = rows.ValueBytes(reference);
            if (reference < 0 && _byBytes.TryGetValue(bytes, out var own)) return own;
            var id = _distinct.Count;
            _distinct.Add(bytes);
            _valueBytes += bytes.Length;
            if (reference < 0)
            {
                _byBytes[bytes] = id;
                return id;
            }
            if (reference >= _blockIdOfTableId.Length)
                Array.Resize(ref _blockIdOfTableId, Math.Max(reference + 1, _blockIdOfTableId.Length * 2));
            _blockIdOfTableId[reference] = id + 1;
            _tableIds.Add(reference);
            return id;
        }

        public void Encode(Span<byte> span, ref int at, int n)
        {
            Int32(span, ref at, _distinct.Count);
            foreach (var v in _distinct)
            {
                Int32(span, ref at, v.Length);
                Raw(span, ref at, v);
            }
            at += ColumnBlockWriter.RowIds(_rows.AsSpan(0, n), _distinct.Count, span[at..]);
        }

        public void Clear()
        {
            (_lastReference, _lastId) = (ParsedEvents.Null, -1);
            foreach (var t in _tableIds) _blockIdOfTableId[t] = 0;
            _tableIds.Clear();
            _distinct.Clear();
            _byBytes.Clear();
            _valueBytes = 0;
        }
    }
}

/// <summary>Reads the staging batch back, one bucket (or every block) at a time.</summary>
public static class EventStagingReader
{
    /// <summary>The blocks of one partition (a bucket's two digits or <see cref="EventStagingWriter.Unkeyed"/>), in append order.</summary>
    public static IEnumerable<EventColumns> ReadPartition(PartitionedSpool.Reader spool, string partition, StringPool pool)
    {
        var buffer = Array.Empty<byte>();
        EventColumns? rows = null;
        var plan = spool.PlanFor(BlockColumns.Events);
        foreach (var block in spool.BlocksOf(partition))
        {
            rows = EventColumns.Decode(spool.Read(block, ref buffer), pool, rows, plan);
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
