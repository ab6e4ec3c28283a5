using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Highwater.Staging;

namespace Highwater.Columnar;

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
}

/// <summary>
/// The encoding of one block of a <see cref="PartitionedSpool"/>: a row count, then one column after another,
/// each as plain little-endian values. It exists because the work area's intermediate batches (staged events,
/// Transform's spill) are written once and read once on the same machine, so they need no compression and no
/// statistics — only to be cheap: a fixed-width column is one copy, a nullable one a presence byte per row
/// plus the values, and a string column either a per-block dictionary (low-cardinality values such as
/// currency, sku or source key: each distinct value stored once, rows as 32-bit ids) or the UTF-8 bytes of
/// every row (unique values such as order_id). Parquet is what leaves the work area.
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

    /// <summary>Timestamps with their kind, as the 64 bits <see cref="DateTime.ToBinary"/> would carry.</summary>
    public void DateTimes(Span<DateTime> values) => Raw(MemoryMarshal.AsBytes(values));

    public void NullableInt32s(Span<int?> values)
    {
        var span = Reserve(values.Length * 5);
        for (var i = 0; i < values.Length; i++)
        {
            span[i] = values[i].HasValue ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteInt32LittleEndian(span[(values.Length + i * 4)..], values[i].GetValueOrDefault());
        }
    }

    public void NullableDecimals(Span<decimal?> values)
    {
        var span = Reserve(values.Length * 17);
        for (var i = 0; i < values.Length; i++)
        {
            span[i] = values[i].HasValue ? (byte)1 : (byte)0;
            // decimal is 16 bytes of plain data; the destination is not necessarily aligned, so write unaligned.
            MemoryMarshal.Write(span[(values.Length + i * 16)..], values[i].GetValueOrDefault());
        }
    }

    public void NullableDateTimes(Span<DateTime?> values)
    {
        var span = Reserve(values.Length * 9);
        for (var i = 0; i < values.Length; i++)
        {
            span[i] = values[i].HasValue ? (byte)1 : (byte)0;
            MemoryMarshal.Write(span[(values.Length + i * 8)..], values[i].GetValueOrDefault());
        }
    }

    /// <summary>A low-cardinality string column: the block's distinct values once, then a 32-bit id per row (-1 for null).</summary>
    public void DictionaryStrings(Span<string?> values)
    {
        _distinct.Clear();
        // Reused: a block's ids are 128 KB, and a fresh array per column and block was large-object churn.
        if (_ids.Length < values.Length) _ids = new int[values.Length];
        var ids = _ids.AsSpan(0, values.Length);
        _distinct.AddRange(values, ids);
        Int32(_distinct.Entries.Count);
        foreach (var v in _distinct.Entries) Utf8(v);
        Int32s(ids);
    }

    /// <summary>A string column of mostly unique values: per row a length (-1 for null) and the UTF-8 bytes.</summary>
    public void PlainStrings(Span<string?> values)
    {
        foreach (var v in values)
        {
            if (v is null) Int32(-1);
            else Utf8(v);
        }
    }

    /// <summary>
    /// A <see cref="DictionaryStrings"/> column given as ids into its distinct values (<paramref name="ids"/>[i] is row i's
    /// position in <paramref name="values"/>, -1 for null): the same bytes, with the block's values in first-use order.
    /// </summary>
    internal void DictionaryIds(ReadOnlySpan<int> ids, List<string> values)
    {
        if (_ids.Length < ids.Length) _ids = new int[ids.Length];
        var local = _ids.AsSpan(0, ids.Length);
        _firstUse.Reset(values.Count);
        for (var i = 0; i < ids.Length; i++) local[i] = ids[i] < 0 ? -1 : _firstUse.Map(ids[i]);
        Int32(_firstUse.Used.Count);
        foreach (var id in _firstUse.Used) Utf8(values[id]);
        Int32s(local);
    }

    /// <summary>A <see cref="PlainStrings"/> column given as UTF-8: the rows at <paramref name="rows"/> of <paramref name="values"/>.</summary>
    internal void PlainUtf8(Utf8Column values, ReadOnlySpan<int> rows)
    {
        foreach (var row in rows)
        {
            if (values.IsNull(row))
            {
                Int32(-1);
                continue;
            }
            var bytes = values[row];
            var span = Reserve(4 + bytes.Length);
            BinaryPrimitives.WriteInt32LittleEndian(span, bytes.Length);
            bytes.CopyTo(span[4..]);
        }
    }

    private void Utf8(string value)
    {
        // Most values are ASCII: one vectorised narrowing; any other value is encoded as UTF-8 in full.
        var ascii = Reserve(4 + value.Length);
        if (System.Text.Ascii.FromUtf16(value, ascii[4..], out _) == System.Buffers.OperationStatus.Done)
        {
            BinaryPrimitives.WriteInt32LittleEndian(ascii, value.Length);
            return;
        }
        _length -= 4 + value.Length;
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var span = Reserve(4 + max);
        var n = Encoding.UTF8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(span, n);
        _length -= max - n;
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

/// <summary>Reads a block written by <see cref="ColumnBlockWriter"/>, column by column, in the order written.</summary>
public ref struct ColumnBlockReader : IColumnCodec
{
    private readonly ReadOnlySpan<byte> _block;
    private readonly StringPool _pool;
    private int _at;

    /// <param name="pool">Interns dictionary values across blocks, so a value read in every block is one string.</param>
    public ColumnBlockReader(ReadOnlySpan<byte> block, StringPool pool)
    {
        _block = block;
        _pool = pool;
        Rows = Int32();
        if (Rows < 0) throw new InvalidDataException($"a spool block says it holds {Rows} rows: the work area is damaged; run the stage that wrote it again.");
    }

    public int Rows { get; }

    public void Int64s(Span<long> into) => Raw(MemoryMarshal.AsBytes(into));

    public void DateTimes(Span<DateTime> into) => Raw(MemoryMarshal.AsBytes(into));

    public void NullableInt32s(Span<int?> into)
    {
        var span = Take(into.Length * 5);
        for (var i = 0; i < into.Length; i++)
            into[i] = span[i] != 0 ? BinaryPrimitives.ReadInt32LittleEndian(span[(into.Length + i * 4)..]) : null;
    }

    public void NullableDecimals(Span<decimal?> into)
    {
        var span = Take(into.Length * 17);
        for (var i = 0; i < into.Length; i++)
            into[i] = span[i] != 0 ? MemoryMarshal.Read<decimal>(span[(into.Length + i * 16)..]) : null;
    }

    public void NullableDateTimes(Span<DateTime?> into)
    {
        var span = Take(into.Length * 9);
        for (var i = 0; i < into.Length; i++)
            into[i] = span[i] != 0 ? MemoryMarshal.Read<DateTime>(span[(into.Length + i * 8)..]) : null;
    }

    public void DictionaryStrings(Span<string?> into)
    {
        var count = Int32();
        var values = new string[count];
        for (var i = 0; i < count; i++)
        {
            var n = Int32();
            values[i] = _pool.Get(Take(n));
        }
        var ids = MemoryMarshal.Cast<byte, int>(Take(into.Length * 4));
        for (var i = 0; i < into.Length; i++)
            into[i] = ids[i] < 0 ? null : values[ids[i]];
    }

    /// <summary>
    /// A <see cref="DictionaryStrings(Span{string})"/> column read in parts, without making its strings: the number of
    /// its values, then each value's UTF-8 (<see cref="DictionaryValue"/>), then the rows' ids (<see cref="DictionaryRowIds"/>).
    /// </summary>
    internal int DictionaryCount()
    {
        var count = Int32();
        if (count < 0) throw new InvalidDataException($"a spool block's dictionary says it holds {count} values: the work area is damaged; run the stage that wrote it again.");
        return count;
    }

    /// <summary>The next dictionary value's UTF-8 (see <see cref="DictionaryCount"/>).</summary>
    internal ReadOnlySpan<byte> DictionaryValue() => Take(Int32());

    /// <summary>The rows' ids into the dictionary just read (-1 for null), unchecked, as the block holds them.</summary>
    internal ReadOnlySpan<int> DictionaryRowIds(int rows) => MemoryMarshal.Cast<byte, int>(Take(rows * 4));

    /// <summary>A <see cref="PlainStrings"/> column of <paramref name="rows"/> rows, appended to <paramref name="into"/> as its UTF-8 bytes.</summary>
    internal void PlainUtf8(int rows, Utf8Column into)
    {
        for (var i = 0; i < rows; i++)
        {
            var n = Int32();
            if (n < 0) into.AddNull();
            else into.Add(Take(n));
        }
    }

    public void PlainStrings(Span<string?> into)
    {
        for (var i = 0; i < into.Length; i++)
        {
            var n = Int32();
            into[i] = n < 0 ? null : Encoding.UTF8.GetString(Take(n));
        }
    }

    private int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    private void Raw(Span<byte> into) => Take(into.Length).CopyTo(into);

    private ReadOnlySpan<byte> Take(int bytes)
    {
        if (bytes < 0 || _at + bytes > _block.Length)
            throw new InvalidDataException($"a spool block ends early (wanted {bytes:N0} bytes at offset {_at:N0} of {_block.Length:N0}): the work area is damaged; run the stage that wrote it again.");
        var span = _block.Slice(_at, bytes);
        _at += bytes;
        return span;
    }
}
