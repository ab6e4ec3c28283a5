using System.Buffers;

namespace Highwater.Parquet.Reading;

/// <summary>
/// A string column of one row group held as its characters: one arena of UTF-16 characters and a slice of it per
/// row (null rows marked), as <see cref="ColumnChunkDecoder"/> decodes a column of distinct values (order_id). The
/// checks that need only nullness or the characters (not_null, unique) read the slices; anything that needs string
/// objects (other checks, samples, quarantine, filtered copies) gets them from <see cref="Strings"/>, made once on
/// first use, each equal to what decoding the value into a string gives. A row group's 131k order_ids were as many
/// string objects, made, scanned once and collected.
/// </summary>
internal sealed class StringSlices
{
    private readonly ColumnBufferPool? _pool;
    private char[] _chars;
    private long[] _slices; // row r is _chars[start .. start + length], with _slices[r] = start << 32 | length
    private string?[]? _strings;

    /// <param name="chars">The arena (from <see cref="ArrayPool{T}.Shared"/>; this column returns it).</param>
    /// <param name="slices">Each row's <c>start &lt;&lt; 32 | length</c> in the arena (from <see cref="ArrayPool{T}.Shared"/>; returned too).</param>
    /// <param name="nulls">True where the row is null (its slice empty); null when no row is.</param>
    public StringSlices(char[] chars, long[] slices, bool[]? nulls, int rows, ColumnBufferPool? pool)
    {
        (_chars, _slices, Nulls, Rows, _pool) = (chars, slices, nulls, rows, pool);
    }

    public int Rows { get; }

    /// <summary>True where the row is null; null when no row is.</summary>
    public bool[]? Nulls { get; }

    public bool IsNull(int row) => Nulls is { } n && n[row];

    /// <summary>The characters of a row (empty for a null row).</summary>
    public ReadOnlySpan<char> this[int row]
    {
        get
        {
            long slice = _slices[row];
            return _chars.AsSpan((int)(slice >> 32), (int)(uint)slice);
        }
    }

    /// <summary>The rows as strings (null rows null), made on first use.</summary>
    public string?[] Strings
    {
        get
        {
            if (_strings is not null) return _strings;
            var strings = _pool?.Rent<string?>(Rows) ?? new string?[Rows];
            for (int r = 0; r < Rows; r++) strings[r] = IsNull(r) ? null : new string(this[r]);
            return _strings = strings;
        }
    }

    /// <summary>Whether <see cref="Strings"/> was made (the batch then holds it as the column's array).</summary>
    public bool HasStrings => _strings is not null;

    /// <summary>Gives the arrays back; the column must not be used afterwards.</summary>
    public void Release()
    {
        ArrayPool<char>.Shared.Return(_chars);
        ArrayPool<long>.Shared.Return(_slices);
        _chars = [];
        _slices = [];
        _pool?.Return(Nulls);
        _pool?.Return(_strings);
        _strings = null;
    }
}
