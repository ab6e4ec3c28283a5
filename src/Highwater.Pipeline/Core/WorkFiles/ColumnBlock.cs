using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// One pass over a block's columns in order: writing them (<see cref="ColumnBlockWriter"/>) or reading them
/// (<see cref="ColumnBlockReader"/>). A column set lists its columns once, for both directions.
/// </summary>
public interface IColumnCodec
{
    void PlainStrings(Span<string?> values);
    void DictionaryStrings(Span<string?> values);
    void Int64s(Span<long> values);
    void DateTimes(Span<DateTime> values);
    void NullableInt32s(Span<int?> values);
    void NullableDecimals(Span<decimal?> values);
    void NullableDateTimes(Span<DateTime?> values);
    void NullableInt64s(Span<long?> values);
}

/// <summary>The layouts of a column block: what earlier versions wrote, and what is written now.</summary>
public enum ColumnBlockLayout
{
    /// <summary>
    /// The first layout (spool <c>HWSPOOL1</c>, order-index segments <c>HWIDX002</c>): every value at its full width —
    /// 32-bit dictionary ids and lengths, 16-byte decimals, 8-byte dates. Still read, for the segments a warehouse keeps.
    /// </summary>
    Wide = 1,

    /// <summary>
    /// The layout written now (spools <c>HWSPOOL2</c> and <c>HWSPOOL3</c>, segments <c>HWIDX003</c> and <c>HWIDX004</c>): one byte where a value fits it — the
    /// row ids of a dictionary of at most 255 values (its size says which), and, when a leading form byte says every
    /// value of the column fits, order_id lengths below 255 and quantities of 0 to 255: a mart row and a staged event
    /// shrink by their one-byte fields' spare bytes. Money and dates stay at full width: making money 64-bit integers
    /// costs more CPU in Transform than the bytes it saves.
    /// </summary>
    Compact = 2,
}

/// <summary>
/// The encoding of one block of a <see cref="PartitionedSpool"/> or an order-index segment: a row count, then one
/// column after another (in the order of the file's <see cref="BlockColumns"/>), as little-endian values
/// (<see cref="ColumnBlockLayout.Compact"/>); one method per <see cref="BlockEncoding"/>. It exists because the work
/// area's intermediate batches (staged events, Transform's spill) are written once and read once on the same machine,
/// and the order index only by Highwater, so they need no compression and no statistics — only to be cheap and small:
/// a fixed-width column is one copy, a nullable one a presence byte per row plus the values, and a string column either
/// a per-block dictionary (low-cardinality values such as currency, sku or source key: each distinct value stored once,
/// rows as ids) or the UTF-8 bytes of every row (unique values such as order_id). Parquet is what leaves the work area.
/// Invariants: the same rows give the same bytes; a narrow form is taken exactly when every value of the column fits it.
/// </summary>
public sealed class ColumnBlockWriter : IColumnCodec
{
    private byte[] _buffer = new byte[1 << 16];
    private int _length;
    private readonly DistinctStrings _distinct = new(maxReferences: 1 << 16);
    private int[] _ids = [];
    private readonly FirstUseIds _firstUse = new();

    /// <summary>The encoded block so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Starts a block of <paramref name="rows"/> rows.</summary>
    public void Begin(int rows)
    {
        _length = 0;
        Int32(rows);
    }

    public void Int64s(Span<long> values) => Raw(MemoryMarshal.AsBytes(values));

    private void Int32s(ReadOnlySpan<int> values) => Raw(MemoryMarshal.AsBytes(values));

    /// <summary>Timestamps as their in-memory 64 bits: the ticks in bits 0-61 and the <see cref="DateTimeKind"/> in bits 62-63 (not <see cref="DateTime.ToBinary"/>, which stores local times otherwise).</summary>
    public void DateTimes(Span<DateTime> values) => Raw(MemoryMarshal.AsBytes(values));

    public void NullableInt32s(Span<int?> values) => GiveBack(NullableInt32s(values, Reserve(NullableInt32Bound(values.Length))), NullableInt32Bound(values.Length));

    public void NullableDecimals(Span<decimal?> values) => GiveBack(NullableDecimals(values, Reserve(NullableDecimalBound(values.Length))), NullableDecimalBound(values.Length));

    /// <summary>Gives back the part of the last <see cref="Reserve"/> of <paramref name="reserved"/> bytes that was not written.</summary>
    private void GiveBack(int written, int reserved) => _length -= reserved - written;

    internal static int NullableInt32Bound(int rows) => 1 + rows * 5;

    internal static int NullableDecimalBound(int rows) => rows * 17;

    /// <summary>
    /// A nullable INT32 column into <paramref name="into"/> (at least <see cref="NullableInt32Bound"/> bytes); returns its
    /// length: a form byte, a presence byte per row, then per row one byte (<see cref="NarrowForm"/>: every value 0 to 255)
    /// or four.
    /// </summary>
    internal static int NullableInt32s(ReadOnlySpan<int?> values, Span<byte> into)
    {
        var n = values.Length;
        var narrow = true;
        foreach (var v in values)
            if ((uint)v.GetValueOrDefault() > byte.MaxValue) { narrow = false; break; }
        into[0] = narrow ? NarrowForm : WideForm;
        var data = into[(1 + n)..];
        for (var i = 0; i < n; i++)
        {
            into[1 + i] = values[i].HasValue ? (byte)1 : (byte)0;
            if (narrow) data[i] = (byte)values[i].GetValueOrDefault();
            else BinaryPrimitives.WriteInt32LittleEndian(data[(i * 4)..], values[i].GetValueOrDefault());
        }
        return 1 + n * (narrow ? 2 : 5);
    }

    /// <summary>A presence byte per row, then each decimal's 16 bytes (in either layout).</summary>
    /// <returns>The column's length in <paramref name="into"/> (at least <see cref="NullableDecimalBound"/> bytes).</returns>
    internal static int NullableDecimals(ReadOnlySpan<decimal?> values, Span<byte> into)
    {
        var n = values.Length;
        for (var i = 0; i < n; i++)
        {
            into[i] = values[i].HasValue ? (byte)1 : (byte)0;
            // decimal is 16 bytes of plain data; the destination is not necessarily aligned, so write unaligned.
            MemoryMarshal.Write(into[(n + i * 16)..], values[i].GetValueOrDefault());
        }
        return n * 17;
    }

    /// <summary>A presence byte per row, then each value's 8 bytes (in either layout).</summary>
    public void NullableDateTimes(Span<DateTime?> values)
    {
        var span = Reserve(values.Length * 9);
        for (var i = 0; i < values.Length; i++)
        {
            span[i] = values[i].HasValue ? (byte)1 : (byte)0;
            MemoryMarshal.Write(span[(values.Length + i * 8)..], values[i].GetValueOrDefault());
        }
    }

    /// <summary>A presence byte per row, then each value's 8 bytes (0 for null).</summary>
    public void NullableInt64s(Span<long?> values)
    {
        var span = Reserve(values.Length * 9);
        for (var i = 0; i < values.Length; i++)
        {
            span[i] = values[i].HasValue ? (byte)1 : (byte)0;
            MemoryMarshal.Write(span[(values.Length + i * 8)..], values[i].GetValueOrDefault());
        }
    }

    /// <summary>The form bytes of <see cref="ColumnBlockLayout.Compact"/>.</summary>
    internal const byte WideForm = 0, NarrowForm = 1;

    /// <summary>Dictionaries of at most this many values have one-byte row ids (id + 1; 0 for null).</summary>
    internal const int NarrowDictionary = byte.MaxValue;

    /// <summary>order_id lengths below this are one byte (this value for null); otherwise four (-1 for null).</summary>
    internal const int NarrowLength = byte.MaxValue;

    /// <summary>A low-cardinality string column: the block's distinct values once, then an id per row (<see cref="RowIds(ReadOnlySpan{int}, int, Span{byte})"/>).</summary>
    public void DictionaryStrings(Span<string?> values)
    {
        _distinct.Clear();
        // Reused: a block's ids are 128 KB, and a fresh array per column and block was large-object churn.
        if (_ids.Length < values.Length) _ids = new int[values.Length];
        var ids = _ids.AsSpan(0, values.Length);
        _distinct.AddRange(values, ids);
        Int32(_distinct.Entries.Count);
        foreach (var v in _distinct.Entries) Utf8(v);
        RowIds(ids, _distinct.Entries.Count);
    }

    private void RowIds(ReadOnlySpan<int> ids, int count) => GiveBack(RowIds(ids, count, Reserve(ids.Length * 4)), ids.Length * 4);

    /// <summary>
    /// A dictionary column's rows into <paramref name="into"/> (at least 4 bytes a row); returns their length: one byte each
    /// (id + 1, 0 for null) when the dictionary of <paramref name="count"/> values is narrow, else 32-bit ids (-1 for null).
    /// </summary>
    internal static int RowIds(ReadOnlySpan<int> ids, int count, Span<byte> into)
    {
        if (count > NarrowDictionary)
        {
            MemoryMarshal.AsBytes(ids).CopyTo(into);
            return ids.Length * 4;
        }
        for (var i = 0; i < ids.Length; i++) into[i] = (byte)(ids[i] + 1);
        return ids.Length;
    }

    /// <summary>
    /// A string column of mostly unique values: a form byte, then per row a length and the UTF-8 bytes; the lengths are one
    /// byte (<see cref="NarrowLength"/> for null) when every value is shorter than that, else four (-1 for null).
    /// </summary>
    public void PlainStrings(Span<string?> values)
    {
        var narrow = true;
        foreach (var v in values)
            if (v is not null && v.Length * 3 >= NarrowLength && Encoding.UTF8.GetByteCount(v) >= NarrowLength) { narrow = false; break; }
        Reserve(1)[0] = narrow ? NarrowForm : WideForm;
        foreach (var v in values)
        {
            if (v is null) NullLength(narrow);
            else Utf8(v, narrow);
        }
    }

    /// <summary>
    /// A <see cref="DictionaryStrings"/> column given as ids into its distinct values (<paramref name="ids"/>[i] is row i's
    /// position in <paramref name="values"/>, -1 for null): the same bytes, with the block's values in first-use order.
    /// </summary>
    /// <param name="utf8">The values' UTF-8, when the caller keeps it (else each used value is encoded from its string).</param>
    internal void DictionaryIds(ReadOnlySpan<int> ids, List<string> values, DistinctUtf8? utf8 = null)
    {
        if (_ids.Length < ids.Length) _ids = new int[ids.Length];
        var local = _ids.AsSpan(0, ids.Length);
        _firstUse.Reset(values.Count);
        if (values.Count <= NarrowDictionary)
        {
            // At most 255 values, so the block's dictionary is narrow: its rows' bytes are made as the ids are mapped.
            var narrow = _narrowIds.Length >= ids.Length ? _narrowIds : _narrowIds = new byte[ids.Length];
            for (var i = 0; i < ids.Length; i++) narrow[i] = ids[i] < 0 ? (byte)0 : (byte)(_firstUse.Map(ids[i]) + 1);
            DictionaryValues(values, utf8);
            Raw(narrow.AsSpan(0, ids.Length));
            return;
        }
        for (var i = 0; i < ids.Length; i++) local[i] = ids[i] < 0 ? -1 : _firstUse.Map(ids[i]);
        DictionaryValues(values, utf8);
        RowIds(local, _firstUse.Used.Count);
    }

    /// <summary>The block's dictionary: the number of values the run used, then each one's length and UTF-8, in first-use order.</summary>
    private void DictionaryValues(List<string> values, DistinctUtf8? utf8)
    {
        Int32(_firstUse.Used.Count);
        if (utf8 is null)
        {
            foreach (var id in _firstUse.Used) Utf8(values[id]);
            return;
        }
        foreach (var id in _firstUse.Used)
        {
            var bytes = utf8.Of(id, values);
            var span = Reserve(4 + bytes.Length);
            Length(span, bytes.Length, narrow: false);
            bytes.CopyTo(span[4..]);
        }
    }

    private byte[] _narrowIds = [];

    /// <summary>A <see cref="PlainStrings"/> column given as UTF-8: the rows at <paramref name="rows"/> of <paramref name="values"/>.</summary>
    internal void PlainUtf8(Utf8Column values, ReadOnlySpan<int> rows)
    {
        var narrow = values.MaxLength < NarrowLength;
        if (!narrow)
        {
            narrow = true;
            foreach (var row in rows)
                if (!values.IsNull(row) && values[row].Length >= NarrowLength) { narrow = false; break; }
        }
        Reserve(1)[0] = narrow ? NarrowForm : WideForm;
        var prefix = narrow ? 1 : 4;
        foreach (var row in rows)
        {
            var length = values.LengthAt(row);
            if (length < 0)
            {
                NullLength(narrow);
                continue;
            }
            // Room for the value's over-copy (Utf8Column.CopySlack), then only the value kept.
            var span = Reserve(prefix + length + Utf8Column.CopySlack);
            Length(span, length, narrow);
            values.CopyTo(row, span[prefix..]);
            _length -= Utf8Column.CopySlack;
        }
    }

    /// <summary>A value's length (four bytes, or one when <paramref name="narrow"/>), then its UTF-8.</summary>
    private void Utf8(string value, bool narrow = false)
    {
        var prefix = narrow ? 1 : 4;
        // Most values are ASCII: one vectorised narrowing; any other value is encoded as UTF-8 in full.
        var ascii = Reserve(prefix + value.Length);
        if (System.Text.Ascii.FromUtf16(value, ascii[prefix..], out _) == System.Buffers.OperationStatus.Done)
        {
            Length(ascii, value.Length, narrow);
            return;
        }
        _length -= prefix + value.Length;
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var span = Reserve(prefix + max);
        var n = Encoding.UTF8.GetBytes(value, span[prefix..]);
        Length(span, n, narrow);
        _length -= max - n;
    }

    private static void Length(Span<byte> into, int length, bool narrow)
    {
        if (narrow) into[0] = (byte)length;
        else BinaryPrimitives.WriteInt32LittleEndian(into, length);
    }

    /// <summary>A null value's length: <see cref="NarrowLength"/> in one byte, or -1 in four.</summary>
    private void NullLength(bool narrow)
    {
        if (narrow) Reserve(1)[0] = NarrowLength;
        else Int32(-1);
    }

    private void Int32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);

    private void Raw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    private Span<byte> Reserve(int bytes)
    {
        if (_length + bytes > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
        var span = _buffer.AsSpan(_length, bytes);
        _length += bytes;
        return span;
    }
}
