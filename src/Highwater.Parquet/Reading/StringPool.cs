using System.Text;
using System.Text.Unicode;

namespace Highwater.Parquet.Reading;

/// <summary>
/// Interns short, low-cardinality UTF-8 values (currency, channel, sku) so that repeated values
/// share one string instead of allocating one per row. Bounded: past its capacity it stops caching.
/// Each entry keeps its UTF-8 bytes, so a lookup is a hash and a byte compare, with no decoding.
/// </summary>
public sealed class StringPool
{
    private const int MaxEntries = 65_536;
    private const int MaxValueBytes = 64;

    // Open addressing over the entries' positions + 1 (0: empty), linear probing, at most half full; each entry keeps
    // its full 64-bit hash, so the bytes are compared only when that matches. A Dictionary<int, Entry[]> with
    // HashCode.AddBytes costs a dictionary lookup and a hash of the bytes per value, and each block of the spool brings
    // its dictionaries again.
    private int[] _slots = new int[64];
    private Entry[] _entries = new Entry[32];
    private int _count;

    private readonly record struct Entry(ulong Hash, byte[] Utf8, string Value);

    /// <summary>How many distinct values are cached.</summary>
    internal int Count => _count;

    public string Get(ReadOnlySpan<byte> utf8) => Get(utf8, validated: false);

    /// <summary>As <see cref="Get(ReadOnlySpan{byte})"/>; <paramref name="validated"/> says the caller already checked the bytes are valid UTF-8.</summary>
    internal string Get(ReadOnlySpan<byte> utf8, bool validated)
    {
        if (utf8.Length > MaxValueBytes) return Encoding.UTF8.GetString(utf8);
        var hash = SeededHash.Of(utf8);
        var mask = _slots.Length - 1;
        var at = (int)hash & mask;
        for (; _slots[at] != 0; at = (at + 1) & mask)
        {
            ref readonly var e = ref _entries[_slots[at] - 1];
            if (e.Hash == hash && utf8.SequenceEqual(e.Utf8)) return e.Value;
        }
        // Invalid UTF-8 decodes with replacement characters and would never match itself again: not cached.
        if (!validated && !Utf8.IsValid(utf8)) return Encoding.UTF8.GetString(utf8);
        var value = Encoding.UTF8.GetString(utf8);
        if (_count < MaxEntries)
        {
            if (_count == _entries.Length) Array.Resize(ref _entries, _count * 2);
            _entries[_count++] = new Entry(hash, utf8.ToArray(), value);
            if (_count * 2 > _slots.Length) Rehash();
            else _slots[at] = _count;
        }
        return value;
    }

    private void Rehash()
    {
        _slots = new int[_slots.Length * 2];
        var mask = _slots.Length - 1;
        for (var i = 0; i < _count; i++)
        {
            var at = (int)_entries[i].Hash & mask;
            while (_slots[at] != 0) at = (at + 1) & mask;
            _slots[at] = i + 1;
        }
    }
}
