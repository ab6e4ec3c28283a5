using System.Runtime.InteropServices;

namespace Highwater.Columnar;

/// <summary>
/// The order_ids of one order-index bucket, each with an int (Transform keeps the position of the order's first
/// candidate there): what Transform's first pass looks every staged row up in.
/// <para>
/// Layout: the keys and values in the order they were added (two plain arrays, read in order), and an open-addressing
/// table of 8-byte slots (the key's 31-bit hash and its position in those arrays; linear probing, at most half full).
/// A lookup is one random read of a slot, which a caller can ask for ahead with <see cref="Prefetch"/> (a bucket's table
/// is megabytes: each probe is a cache miss otherwise); the key itself is read only when the hashes are equal. The
/// slots hold no references, so the garbage collector does not scan them. Hashed with <see cref="Staging.SeededHash"/>.
/// Reusable through <see cref="Reset"/>, so a worker keeps one table across buckets instead of a large-object
/// allocation per bucket.
/// </para>
/// Invariants: no null key; the enumeration (the keys) and <see cref="Values"/> are in the order the keys were added.
/// </summary>
public sealed class OrderIdTable : IReadOnlyCollection<string>
{
    private long[] _slots = []; // 0: empty; otherwise hash << 32 | (position + 1)
    private string[] _keys = [];
    private int[] _values = [];
    private int _count;

    public OrderIdTable(int capacity = 0) => Reset(capacity);

    public int Count => _count;

    /// <summary>The values, in the order their keys were added.</summary>
    public ReadOnlySpan<int> Values => _values.AsSpan(0, _count);

    /// <summary>Empties the table and makes room for <paramref name="capacity"/> keys without growing.</summary>
    public void Reset(int capacity)
    {
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 2));
        if (_slots.Length < size || _slots.Length > 4 * size) // a much larger table than needed would be cleared for nothing
        {
            _slots = new long[size];
            _keys = new string[size / 2];
            _values = new int[size / 2];
            _count = 0;
        }
        else
        {
            Clear();
        }
    }

    /// <summary>Empties the table, keeping its memory (and no references to the keys).</summary>
    public void Clear()
    {
        if (_count == 0) return;
        Array.Clear(_slots);
        Array.Clear(_keys, 0, _count);
        _count = 0;
    }

    /// <summary>The hash a lookup of <paramref name="key"/> uses (non-negative); compute it ahead to <see cref="Prefetch"/>.</summary>
    public static int HashOf(string key) =>
        (int)(Staging.SeededHash.Of(MemoryMarshal.AsBytes(key.AsSpan())) & int.MaxValue);

    /// <summary>Asks for the slot a lookup of a key with this hash starts at, so it is in cache when the lookup comes.</summary>
    public void Prefetch(int hash) => MemoryHints.Prefetch(ref _slots[hash & (_slots.Length - 1)]);

    /// <summary>The value of <paramref name="key"/>, added (as 0) when it was not there; <paramref name="exists"/> says which.</summary>
    public ref int GetValueRefOrAdd(string key, out bool exists) => ref GetValueRefOrAdd(key, HashOf(key), out exists);

    /// <summary>As <see cref="GetValueRefOrAdd(string, out bool)"/>, with the key's <see cref="HashOf"/> already computed.</summary>
    public ref int GetValueRefOrAdd(string key, int hash, out bool exists)
    {
        var at = Find(key, hash, out var position);
        if (position >= 0)
        {
            exists = true;
            return ref _values[position];
        }
        exists = false;
        if ((_count + 1) * 2 > _slots.Length)
        {
            Grow();
            at = Find(key, hash, out _);
        }
        _slots[at] = (long)hash << 32 | (uint)(_count + 1);
        _keys[_count] = key;
        _values[_count] = 0;
        return ref _values[_count++];
    }

    public bool ContainsKey(string key)
    {
        Find(key, HashOf(key), out var position);
        return position >= 0;
    }

    /// <summary>The keys, in the order added.</summary>
    public IEnumerator<string> GetEnumerator()
    {
        for (var i = 0; i < _count; i++) yield return _keys[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The slot that holds the key (position: where it is in the arrays) or the empty slot where it would go (position -1).</summary>
    private int Find(string key, int hash, out int position)
    {
        var mask = _slots.Length - 1;
        for (var at = hash & mask; ; at = (at + 1) & mask)
        {
            var slot = _slots[at];
            if (slot == 0)
            {
                position = -1;
                return at;
            }
            if ((int)(slot >> 32) == hash && string.Equals(_keys[(int)(uint)slot - 1], key, StringComparison.Ordinal))
            {
                position = (int)(uint)slot - 1;
                return at;
            }
        }
    }

    private void Grow()
    {
        var size = Math.Max(32, _slots.Length * 2);
        _slots = new long[size];
        Array.Resize(ref _keys, size / 2);
        Array.Resize(ref _values, size / 2);
        var mask = size - 1;
        for (var i = 0; i < _count; i++)
        {
            var hash = HashOf(_keys[i]);
            var at = hash & mask;
            while (_slots[at] != 0) at = (at + 1) & mask;
            _slots[at] = (long)hash << 32 | (uint)(i + 1);
        }
    }
}
