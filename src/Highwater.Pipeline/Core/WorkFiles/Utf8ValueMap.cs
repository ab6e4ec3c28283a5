namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// A column's values by their UTF-8 bytes, each with its id in the column's <see cref="DistinctStrings"/>: how
/// <see cref="PartitionColumns"/> maps a block's dictionary onto the batch's values with one hash of the bytes per entry
/// (a string pool lookup and then a lookup of the string cost two, and a block brings most of a low-cardinality
/// column's values again). A value met for the first time becomes a string through
/// the pool and an id through <see cref="DistinctStrings.Add"/>, which knows values added as strings too.
/// Open addressing over the entries' positions + 1 (0: empty), linear probing, at most half full, each entry with its
/// full 64-bit hash so bytes are compared only when that matches.
/// </summary>
internal sealed class Utf8ValueMap
{
    private int[] _slots = new int[64];
    private ulong[] _hashes = new ulong[32];
    private int[] _starts = new int[32], _lengths = new int[32], _ids = new int[32];
    private byte[] _bytes = new byte[1024];
    private int _count, _byteCount;

    public void Clear()
    {
        if (_count == 0) return;
        Array.Clear(_slots);
        _count = 0;
        _byteCount = 0;
    }

    public int IdOf(ReadOnlySpan<byte> utf8, DistinctStrings values, StringPool pool)
    {
        var hash = SeededHash.Of(utf8);
        var mask = _slots.Length - 1;
        var at = (int)hash & mask;
        for (; _slots[at] != 0; at = (at + 1) & mask)
        {
            var e = _slots[at] - 1;
            if (_hashes[e] == hash && utf8.SequenceEqual(_bytes.AsSpan(_starts[e], _lengths[e]))) return _ids[e];
        }
        values.Add(pool.Get(utf8), out var id);
        if (_count == _hashes.Length)
        {
            Array.Resize(ref _hashes, _count * 2);
            Array.Resize(ref _starts, _count * 2);
            Array.Resize(ref _lengths, _count * 2);
            Array.Resize(ref _ids, _count * 2);
        }
        if (_byteCount + utf8.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _byteCount + utf8.Length));
        utf8.CopyTo(_bytes.AsSpan(_byteCount));
        (_hashes[_count], _starts[_count], _lengths[_count], _ids[_count]) = (hash, _byteCount, utf8.Length, id);
        _byteCount += utf8.Length;
        _slots[at] = ++_count;
        if (_count * 2 > _slots.Length) Rehash();
        return id;
    }

    private void Rehash()
    {
        _slots = new int[_slots.Length * 2];
        var mask = _slots.Length - 1;
        for (var e = 0; e < _count; e++)
        {
            var at = (int)_hashes[e] & mask;
            while (_slots[at] != 0) at = (at + 1) & mask;
            _slots[at] = e + 1;
        }
    }
}
