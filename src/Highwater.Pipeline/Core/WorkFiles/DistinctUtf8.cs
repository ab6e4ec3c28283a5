using System.Text;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// The UTF-8 of a column's distinct values (<see cref="DistinctStrings.Entries"/>) by id, each encoded the first time it
/// is asked for: a block written from a partition's columns (<see cref="ColumnBlockWriter.DictionaryIds"/>) copies its
/// dictionary's bytes from here instead of encoding each value's string again, block after block (with tens of thousands
/// of values, a block's dictionary holds about one value per row). Valid while the values keep their ids: cleared with them.
/// </summary>
internal sealed class DistinctUtf8
{
    private byte[] _bytes = new byte[1024];
    private int[] _starts = new int[64], _lengths = new int[64];
    private int _known, _byteCount; // ids below _known have _lengths set: the length, or -1 while not yet encoded

    public void Clear()
    {
        _lengths.AsSpan(0, _known).Fill(-1);
        _known = 0;
        _byteCount = 0;
    }

    /// <summary>The UTF-8 of <paramref name="values"/>[<paramref name="id"/>] (as <see cref="Encoding.UTF8"/> encodes it).</summary>
    public ReadOnlySpan<byte> Of(int id, List<string> values)
    {
        if (id >= _known)
        {
            if (id >= _lengths.Length)
            {
                var size = Math.Max(id + 1, _lengths.Length * 2);
                Array.Resize(ref _starts, size);
                Array.Resize(ref _lengths, size);
            }
            _lengths.AsSpan(_known, id + 1 - _known).Fill(-1);
            _known = id + 1;
        }
        var length = _lengths[id];
        if (length < 0)
        {
            var value = values[id];
            length = Encoding.UTF8.GetByteCount(value);
            if (_byteCount + length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _byteCount + length));
            Encoding.UTF8.GetBytes(value, _bytes.AsSpan(_byteCount));
            (_starts[id], _lengths[id]) = (_byteCount, length);
            _byteCount += length;
        }
        return _bytes.AsSpan(_starts[id], length);
    }
}
