using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// One bucket's next spool block, built from <see cref="ParsedEvents"/> rows by copying bytes, with the columns of an
/// <see cref="EventLayout"/> in its order, one kernel per encoding (<see cref="StagedColumn.Encoding"/>): the order key as
/// plain UTF-8, strings as a per-block dictionary in order of first appearance, numbers and timestamps as
/// <see cref="ColumnBlockWriter"/> writes them: the same bytes <see cref="ColumnBlockWriter"/>'s own column methods give for
/// the same values.
/// </summary>
public sealed class EventBlockBuilder
{
    private readonly EventLayout _layout;
    private readonly int[] _orderIdLength;
    private byte[] _orderIds = new byte[1 << 16];
    private int _orderIdBytes;
    // Per column of the layout, the buffer its encoding uses (null otherwise).
    private readonly long[][] _longs;
    private readonly DateTime[][] _times;
    private readonly bool[][] _has;
    private readonly int?[][] _ints;
    private readonly decimal?[][] _decimals;
    private readonly BlockDictionary[] _strings;
    private byte[] _encoded = new byte[1 << 16];

    public EventBlockBuilder(int capacity, EventLayout? layout = null)
    {
        Capacity = capacity;
        _layout = layout ?? EventLayout.Default;
        var n = _layout.Columns.Count;
        _orderIdLength = new int[capacity];
        (_longs, _times, _has, _ints, _decimals, _strings) = (new long[n][], new DateTime[n][], new bool[n][], new int?[n][], new decimal?[n][], new BlockDictionary[n]);
        for (var c = 0; c < n; c++)
        {
            var column = _layout.Columns[c];
            switch (column.Kind)
            {
                case StagedKind.String or StagedKind.SourceKey: _strings[c] = new BlockDictionary(capacity); break;
                case StagedKind.Int32: _ints[c] = new int?[capacity]; break;
                case StagedKind.Decimal: _decimals[c] = new decimal?[capacity]; break;
                case StagedKind.Int64 or StagedKind.SourceLine: _longs[c] = new long[capacity]; break;
                case StagedKind.Timestamp: _times[c] = new DateTime[capacity]; break;
            }
            if (column.Nullable && column.Kind is StagedKind.Int64 or StagedKind.Timestamp) _has[c] = new bool[capacity];
        }
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
        for (var c = 0; c < _layout.Columns.Count; c++)
        {
            switch (_layout.Columns[c].Kind)
            {
                case StagedKind.OrderKey:
                    AddOrderIds(rows, order, at);
                    break;
                case StagedKind.String:
                    var refs = rows.Refs[c];
                    var strings = _strings[c];
                    for (var k = 0; k < n; k++) strings.Add(at + k, rows, refs[order[k]]);
                    break;
                case StagedKind.SourceKey:
                    for (var k = 0; k < n; k++) _strings[c].Add(at + k, rows, rows.SourceKey);
                    break;
                case StagedKind.Int32:
                    var (ints, intHas, intInto) = (rows.Ints[c], rows.Has[c], _ints[c]);
                    for (var k = 0; k < n; k++) intInto[at + k] = intHas[order[k]] ? ints[order[k]] : null;
                    break;
                case StagedKind.Decimal:
                    var (decimals, decimalHas, decimalInto) = (rows.Decimals[c], rows.Has[c], _decimals[c]);
                    for (var k = 0; k < n; k++) decimalInto[at + k] = decimalHas[order[k]] ? decimals[order[k]] : null;
                    break;
                case StagedKind.Int64 or StagedKind.SourceLine:
                    Gather(rows.Longs[c], order, _longs[c].AsSpan(at));
                    if (_has[c] is { } longHas) Gather(rows.Has[c], order, longHas.AsSpan(at));
                    break;
                case StagedKind.Timestamp:
                    Gather(rows.Times[c], order, _times[c].AsSpan(at));
                    if (_has[c] is { } timeHas) Gather(rows.Has[c], order, timeHas.AsSpan(at));
                    break;
            }
        }
        Count = at + n;
    }

    private void AddOrderIds(ParsedEvents rows, ReadOnlySpan<int> order, int at)
    {
        var ids = rows.OrderIdBytes;
        for (var k = 0; k < order.Length; k++)
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
            var bound = 4;
            for (var c = 0; c < _layout.Columns.Count; c++)
                bound += _layout.Columns[c].Encoding switch
                {
                    BlockEncoding.PlainString => 1 + 4 * n + _orderIdBytes,
                    BlockEncoding.DictionaryString => _strings[c].EncodedLength,
                    BlockEncoding.NullableInt32 => ColumnBlockWriter.NullableInt32Bound(n),
                    BlockEncoding.NullableDecimal => ColumnBlockWriter.NullableDecimalBound(n),
                    BlockEncoding.NullableInt64 or BlockEncoding.NullableTimestamp => 9 * n,
                    _ => 8 * n,
                };
            return bound;
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
        for (var c = 0; c < _layout.Columns.Count; c++)
        {
            switch (_layout.Columns[c].Encoding)
            {
                case BlockEncoding.PlainString: EncodeOrderIds(span, ref at, n); break;
                case BlockEncoding.DictionaryString: _strings[c].Encode(span, ref at, n); break;
                case BlockEncoding.NullableInt32: at += ColumnBlockWriter.NullableInt32s(_ints[c].AsSpan(0, n), span[at..]); break;
                case BlockEncoding.NullableDecimal: at += ColumnBlockWriter.NullableDecimals(_decimals[c].AsSpan(0, n), span[at..]); break;
                case BlockEncoding.Int64: Raw(span, ref at, MemoryMarshal.AsBytes(_longs[c].AsSpan(0, n))); break;
                case BlockEncoding.Timestamp: Raw(span, ref at, MemoryMarshal.AsBytes(_times[c].AsSpan(0, n))); break;
                case BlockEncoding.NullableInt64:
                    Presence(span, ref at, _has[c], n);
                    Raw(span, ref at, MemoryMarshal.AsBytes(_longs[c].AsSpan(0, n)));
                    break;
                case BlockEncoding.NullableTimestamp:
                    Presence(span, ref at, _has[c], n);
                    Raw(span, ref at, MemoryMarshal.AsBytes(_times[c].AsSpan(0, n)));
                    break;
            }
        }
        return at;
    }

    /// <summary>A presence byte per row; a null row's value slot is the type's default (as <see cref="ColumnBlockWriter"/> writes it).</summary>
    private void Presence(Span<byte> span, ref int at, bool[] has, int n)
    {
        for (var r = 0; r < n; r++) span[at + r] = has[r] ? (byte)1 : (byte)0;
        at += n;
    }

    /// <summary>The order key as <see cref="ColumnBlockWriter.PlainStrings"/> writes it: a form byte, then one-byte lengths when every id is short.</summary>
    private void EncodeOrderIds(Span<byte> span, ref int at, int n)
    {
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
    }

    public void Clear()
    {
        Count = 0;
        _orderIdBytes = 0;
        foreach (var d in _strings) d?.Clear();
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
