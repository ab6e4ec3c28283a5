using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// Reads a block written by <see cref="ColumnBlockWriter"/>. The caller asks for its columns in the order of the
/// plan's wanted columns (<see cref="BlockPlan.Wanted"/>), one call per column and block, each call the kernel of the
/// column's kind; the plan finds each in the file's block by name. A block of exactly the wanted columns is read
/// straight through; otherwise the block's column offsets are found once (skipping each column by its kind), a wanted
/// column the file lacks reads as null (the kind's default for a non-null kind), and a column no one asks for is never decoded.
/// </summary>
public ref struct ColumnBlockReader : IColumnCodec
{
    private readonly ReadOnlySpan<byte> _block;
    private readonly StringPool _pool;
    private readonly bool _compact;
    private readonly BlockPlan? _plan;
    private int _at;
    private int _next;
    private int[]? _offsets;
    private int _offsetsFound, _scanned; // _offsets[0.._offsetsFound) are known; the column after them starts at _scanned

    /// <param name="pool">Interns dictionary values across blocks, so a value read in every block is one string.</param>
    /// <param name="plan">
    /// Where the wanted columns are in the file's blocks, and the blocks' layout. Without one, the block is read straight
    /// through in the order the caller asks, in the Compact layout.
    /// </param>
    public ColumnBlockReader(ReadOnlySpan<byte> block, StringPool pool, BlockPlan? plan = null)
    {
        _block = block;
        _pool = pool;
        _plan = plan;
        _compact = (plan?.Layout ?? ColumnBlockLayout.Compact) == ColumnBlockLayout.Compact;
        Rows = Int32();
        if (Rows < 0) throw new InvalidDataException($"a spool block says it holds {Rows} rows: the work area is damaged; run the stage that wrote it again.");
    }

    public int Rows { get; }

    /// <summary>
    /// Moves to the next wanted column, of kind <paramref name="kind"/>; false when the file lacks it. The kind is the
    /// caller's: a caller that asks for columns out of the plan's order is a bug, not damage.
    /// </summary>
    private bool Enter(BlockEncoding kind)
    {
        if (_plan is null) return true;
        var w = _next++;
        if ((uint)w >= (uint)_plan.Wanted.Count || _plan.Wanted.Columns[w].Kind != kind)
            throw new InvalidOperationException($"column {w + 1} was read as {kind}, but the plan's columns are {_plan.Wanted}");
        if (_plan.InOrder) return true;
        var f = _plan.FileIndex[w];
        if (f < 0) return false;
        _at = OffsetOf(f);
        return true;
    }

    /// <summary>
    /// Where the file's column <paramref name="f"/> starts in the block, found by skipping the columns before it one after
    /// another (once: each offset found is kept, and no column after the last one asked for is skipped).
    /// </summary>
    private int OffsetOf(int f)
    {
        _offsets ??= new int[_plan!.File.Count];
        for (; _offsetsFound <= f; _offsetsFound++)
        {
            _at = _offsets[_offsetsFound] = _offsetsFound == 0 ? 4 : _scanned;
            Skip(_plan!.File.Columns[_offsetsFound].Kind);
            _scanned = _at;
        }
        return _offsets[f];
    }

    private void Skip(BlockEncoding kind)
    {
        var n = Rows;
        switch (kind)
        {
            case BlockEncoding.Int64 or BlockEncoding.Timestamp: Take(n * 8); break;
            case BlockEncoding.NullableTimestamp or BlockEncoding.NullableInt64: Take(n * 9); break;
            case BlockEncoding.NullableDecimal: Take(n * 17); break;
            case BlockEncoding.NullableInt32: Take(n * (Form() == ColumnBlockWriter.NarrowForm ? 2 : 5)); break;
            case BlockEncoding.DictionaryString:
                var count = DictionaryCount();
                for (var i = 0; i < count; i++) DictionaryValue();
                Take(_compact && count <= ColumnBlockWriter.NarrowDictionary ? n : n * 4);
                break;
            case BlockEncoding.PlainString:
                var narrow = Form() == ColumnBlockWriter.NarrowForm;
                for (var i = 0; i < n; i++)
                    if (PlainLength(narrow) is var length and > 0) Take(length);
                break;
            default: throw new InvalidDataException($"a spool block's column has kind {(byte)kind}");
        }
    }

    public void Int64s(Span<long> into)
    {
        if (Enter(BlockEncoding.Int64)) Raw(MemoryMarshal.AsBytes(into));
        else into.Clear();
    }

    public void DateTimes(Span<DateTime> into)
    {
        if (Enter(BlockEncoding.Timestamp)) Raw(MemoryMarshal.AsBytes(into));
        else into.Clear();
    }

    public void NullableInt32s(Span<int?> into)
    {
        if (!Enter(BlockEncoding.NullableInt32))
        {
            into.Clear();
            return;
        }
        var n = into.Length;
        if (Form() == ColumnBlockWriter.NarrowForm)
        {
            var narrow = Take(n * 2);
            for (var i = 0; i < n; i++) into[i] = narrow[i] != 0 ? narrow[n + i] : null;
            return;
        }
        var span = Take(n * 5);
        for (var i = 0; i < n; i++)
            into[i] = span[i] != 0 ? BinaryPrimitives.ReadInt32LittleEndian(span[(n + i * 4)..]) : null;
    }

    public void NullableDecimals(Span<decimal?> into)
    {
        if (!Enter(BlockEncoding.NullableDecimal))
        {
            into.Clear();
            return;
        }
        var span = Take(into.Length * 17);
        for (var i = 0; i < into.Length; i++)
            into[i] = span[i] != 0 ? MemoryMarshal.Read<decimal>(span[(into.Length + i * 16)..]) : null;
    }

    public void NullableDateTimes(Span<DateTime?> into)
    {
        if (!Enter(BlockEncoding.NullableTimestamp))
        {
            into.Clear();
            return;
        }
        var span = Take(into.Length * 9);
        for (var i = 0; i < into.Length; i++)
            into[i] = span[i] != 0 ? MemoryMarshal.Read<DateTime>(span[(into.Length + i * 8)..]) : null;
    }

    public void NullableInt64s(Span<long?> into)
    {
        if (!Enter(BlockEncoding.NullableInt64))
        {
            into.Clear();
            return;
        }
        var span = Take(into.Length * 9);
        for (var i = 0; i < into.Length; i++)
            into[i] = span[i] != 0 ? MemoryMarshal.Read<long>(span[(into.Length + i * 8)..]) : null;
    }

    public void DictionaryStrings(Span<string?> into)
    {
        if (!TryDictionary(out var count))
        {
            into.Clear();
            return;
        }
        var values = new string[count];
        for (var i = 0; i < count; i++) values[i] = _pool.Get(DictionaryValue());
        MapRowIds<string?>(count, values, none: null, into);
    }

    /// <summary>The form byte of a compact column (the wide form in a <see cref="ColumnBlockLayout.Wide"/> block, which has none).</summary>
    private byte Form()
    {
        if (!_compact) return ColumnBlockWriter.WideForm;
        var form = Take(1)[0];
        if (form > ColumnBlockWriter.NarrowForm)
            throw new InvalidDataException($"a spool block's column has form {form}: the work area is damaged; run the stage that wrote it again.");
        return form;
    }

    /// <summary>
    /// A <see cref="DictionaryStrings(Span{string})"/> column read in parts, without making its strings: false when the
    /// file lacks the column (every row null); else the number of its values, then each value's UTF-8
    /// (<see cref="DictionaryValue"/>), then the rows' ids (<see cref="DictionaryRowIds"/>).
    /// </summary>
    internal bool TryDictionary(out int count)
    {
        count = 0;
        if (!Enter(BlockEncoding.DictionaryString)) return false;
        count = DictionaryCount();
        return true;
    }

    private int DictionaryCount()
    {
        var count = Int32();
        if (count < 0) throw new InvalidDataException($"a spool block's dictionary says it holds {count} values: the work area is damaged; run the stage that wrote it again.");
        return count;
    }

    /// <summary>The next dictionary value's UTF-8 (see <see cref="TryDictionary"/>).</summary>
    internal ReadOnlySpan<byte> DictionaryValue() => Take(Int32());

    /// <summary>
    /// The rows' ids into the dictionary of <paramref name="count"/> values just read, each mapped through
    /// <paramref name="map"/> (-1 for null) into <paramref name="into"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A row points outside the dictionary.</exception>
    internal void DictionaryRowIds(int count, scoped ReadOnlySpan<int> map, scoped Span<int> into) => MapRowIds(count, map, none: -1, into);

    /// <summary>
    /// The rows' ids into the dictionary of <paramref name="count"/> values just read, in the width the dictionary's size
    /// says, each as its entry of <paramref name="map"/> (one per value) or <paramref name="none"/> for null.
    /// </summary>
    private void MapRowIds<T>(int count, scoped ReadOnlySpan<T> map, T none, scoped Span<T> into)
    {
        if (_compact && count <= ColumnBlockWriter.NarrowDictionary)
        {
            var narrow = Take(into.Length);
            for (var i = 0; i < into.Length; i++)
            {
                var id = narrow[i] - 1;
                if (id < 0) into[i] = none;
                else if (id < map.Length) into[i] = map[id];
                else throw OutsideDictionary(id, map.Length);
            }
            return;
        }
        var ids = MemoryMarshal.Cast<byte, int>(Take(into.Length * 4));
        for (var i = 0; i < into.Length; i++)
        {
            var id = ids[i];
            if (id < 0) into[i] = none;
            else if ((uint)id < (uint)map.Length) into[i] = map[id];
            else throw OutsideDictionary(id, map.Length);
        }
    }

    private static InvalidDataException OutsideDictionary(int id, int count) =>
        new($"a spool block's row points at dictionary value {id} of {count}: the work area is damaged; run the stage that wrote it again.");

    /// <summary>A <see cref="PlainStrings"/> column of <paramref name="rows"/> rows, appended to <paramref name="into"/> as its UTF-8 bytes.</summary>
    internal void PlainUtf8(int rows, Utf8Column into)
    {
        if (!Enter(BlockEncoding.PlainString))
        {
            for (var i = 0; i < rows; i++) into.AddNull();
            return;
        }
        var narrow = Form() == ColumnBlockWriter.NarrowForm;
        for (var i = 0; i < rows; i++)
        {
            var n = PlainLength(narrow);
            if (n < 0) into.AddNull();
            else into.Add(Take(n));
        }
    }

    /// <summary>
    /// Whether a value of the next wanted column (a <see cref="PlainStrings"/> one) is in <paramref name="values"/>, compared as
    /// UTF-8 bytes: the column is scanned, never decoded into strings. False when the file lacks the column.
    /// </summary>
    internal bool AnyPlainUtf8In(Utf8KeySet values)
    {
        if (!Enter(BlockEncoding.PlainString)) return false;
        var narrow = Form() == ColumnBlockWriter.NarrowForm;
        for (var i = 0; i < Rows; i++)
        {
            var n = PlainLength(narrow);
            if (n >= 0 && values.Contains(Take(n))) return true;
        }
        return false;
    }

    public void PlainStrings(Span<string?> into)
    {
        if (!Enter(BlockEncoding.PlainString))
        {
            into.Clear();
            return;
        }
        var narrow = Form() == ColumnBlockWriter.NarrowForm;
        for (var i = 0; i < into.Length; i++)
        {
            var n = PlainLength(narrow);
            into[i] = n < 0 ? null : Encoding.UTF8.GetString(Take(n));
        }
    }

    /// <summary>A plain string's length, in one byte or four as the column's form says; -1 for null.</summary>
    private int PlainLength(bool narrow)
    {
        if (!narrow) return Int32();
        int n = Take(1)[0];
        return n == ColumnBlockWriter.NarrowLength ? -1 : n;
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
