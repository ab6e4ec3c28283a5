using System.Text;

namespace Highwater.Parquet.Writing;

/// <summary>
/// A string column kept as UTF-8: every value's bytes one after another in one buffer, and per row where its bytes
/// start and how many there are (-1 for null). No string is made for a value unless asked for (<see cref="StringAt"/>).
/// </summary>
internal sealed class Utf8Column
{
    private byte[] _bytes = new byte[1 << 16];
    private int _byteCount;
    private int[] _starts = new int[1024], _lengths = new int[1024];

    public int Count { get; private set; }

    public void Clear()
    {
        Count = 0;
        _byteCount = 0;
        MaxLength = 0;
    }

    /// <summary>At least the longest value's length in bytes (the longest added since <see cref="Clear"/>).</summary>
    public int MaxLength { get; private set; }

    /// <summary>The bytes of row <paramref name="i"/> (empty for null: see <see cref="IsNull"/>).</summary>
    public ReadOnlySpan<byte> this[int i] => _lengths[i] < 0 ? default : _bytes.AsSpan(_starts[i], _lengths[i]);

    public bool IsNull(int i) => _lengths[i] < 0;

    /// <summary>Row <paramref name="i"/>'s length in bytes, or -1 for null.</summary>
    public int LengthAt(int i) => _lengths[i];

    /// <summary>How many bytes past a value <see cref="CopyTo"/> may overwrite in its target: the target needs this much room beyond the value.</summary>
    public const int CopySlack = 16;

    /// <summary>
    /// Copies row <paramref name="i"/>'s bytes (not null) to the start of <paramref name="into"/>, which has room for them
    /// and <see cref="CopySlack"/> bytes more; returns their length. A value of up to 16 bytes moves as one 16-byte load and
    /// store, overwriting the bytes after it in <paramref name="into"/> (the caller's to write next): order_ids are short,
    /// and a copy call per value cost more than the copy.
    /// </summary>
    public int CopyTo(int i, Span<byte> into)
    {
        int start = _starts[i], length = _lengths[i];
        if (length <= 16 && start + 16 <= _bytes.Length && into.Length >= 16)
            System.Runtime.Intrinsics.Vector128.CopyTo(System.Runtime.Intrinsics.Vector128.Create((ReadOnlySpan<byte>)_bytes.AsSpan(start, 16)), into);
        else _bytes.AsSpan(start, length).CopyTo(into);
        return length;
    }

    public string? StringAt(int i) => _lengths[i] < 0 ? null : Encoding.UTF8.GetString(this[i]);

    public void Add(ReadOnlySpan<byte> utf8)
    {
        var row = NextRow();
        if (_byteCount + utf8.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _byteCount + utf8.Length));
        utf8.CopyTo(_bytes.AsSpan(_byteCount));
        _starts[row] = _byteCount;
        _lengths[row] = utf8.Length;
        if (utf8.Length > MaxLength) MaxLength = utf8.Length;
        _byteCount += utf8.Length;
    }

    public void Add(string? value)
    {
        if (value is null)
        {
            AddNull();
            return;
        }
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_byteCount + max > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _byteCount + max));
        var n = Encoding.UTF8.GetBytes(value, _bytes.AsSpan(_byteCount));
        var row = NextRow();
        _starts[row] = _byteCount;
        _lengths[row] = n;
        _byteCount += n;
        if (n > MaxLength) MaxLength = n;
    }

    /// <summary>Makes row <paramref name="to"/> the value of row <paramref name="from"/> (the bytes are shared, not copied).</summary>
    public void MoveRow(int from, int to)
    {
        _starts[to] = _starts[from];
        _lengths[to] = _lengths[from];
    }

    /// <summary>Keeps the first <paramref name="count"/> rows (their bytes stay where they are).</summary>
    public void Truncate(int count) => Count = count;

    public void AddNull()
    {
        var row = NextRow();
        _starts[row] = _byteCount;
        _lengths[row] = -1;
    }

    /// <summary>Makes room for <paramref name="rows"/> rows (their bytes still grow as they are added).</summary>
    public void EnsureRows(int rows)
    {
        if (_starts.Length >= rows) return;
        var size = Math.Max(rows, _starts.Length * 2);
        Array.Resize(ref _starts, size);
        Array.Resize(ref _lengths, size);
    }

    private int NextRow()
    {
        if (Count == _starts.Length)
        {
            Array.Resize(ref _starts, _starts.Length * 2);
            Array.Resize(ref _lengths, _lengths.Length * 2);
        }
        return Count++;
    }
}
