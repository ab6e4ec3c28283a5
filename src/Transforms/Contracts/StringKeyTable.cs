namespace Highwater.Contracts;

/// <summary>
/// A set of strings (ordinal equality) that keeps no string objects alive: the characters of each distinct value are
/// copied into one growing character arena, and an open-addressing table of entry numbers (linear probing) finds
/// them by hash. A hash match is always confirmed by comparing the characters, so two values whose hashes collide
/// are still told apart exactly. A <c>HashSet&lt;string&gt;</c> of a day's 333k order_ids kept every string alive
/// until the day ended, and each garbage collection marked and moved them; here the whole set is a few flat arrays.
/// </summary>
internal sealed class StringKeyTable
{
    private const int MinCapacity = 16;

    private readonly Func<ReadOnlySpan<char>, int> _hash;
    private int[] _slots = new int[MinCapacity]; // entry number + 1; 0 = empty
    private int[] _entryHashes = new int[MinCapacity / 2];
    private int[] _entryStarts = new int[MinCapacity / 2];
    private int[] _entryLengths = new int[MinCapacity / 2];
    private char[] _chars = new char[256];
    private int _charCount;

    public StringKeyTable() : this(static s => string.GetHashCode(s))
    {
    }

    /// <summary>With a given hash function: tests use a poor one to force collisions.</summary>
    internal StringKeyTable(Func<ReadOnlySpan<char>, int> hash) => _hash = hash;

    public int Count { get; private set; }

    /// <summary>Makes room for <paramref name="count"/> values, so a large set is not rehashed as it grows.</summary>
    public void EnsureCapacity(int count)
    {
        if (count <= _entryHashes.Length) return;
        GrowEntries(count);
        int capacity = MinCapacity;
        while (capacity < count * 2) capacity *= 2;
        if (capacity > _slots.Length) Rehash(capacity);
    }

    /// <summary>Adds a value; false when it was there already.</summary>
    public bool Add(ReadOnlySpan<char> value)
    {
        int hash = _hash(value);
        int slot = Find(value, hash);
        if (_slots[slot] != 0) return false;

        if (Count == _entryHashes.Length) GrowEntries(Count + 1);
        if (_charCount + value.Length > _chars.Length)
            Array.Resize(ref _chars, Math.Max(checked(_charCount + value.Length), checked(_chars.Length * 2)));
        value.CopyTo(_chars.AsSpan(_charCount));
        _entryHashes[Count] = hash;
        _entryStarts[Count] = _charCount;
        _entryLengths[Count] = value.Length;
        _charCount += value.Length;
        _slots[slot] = ++Count;
        if (Count * 2 > _slots.Length) Rehash(_slots.Length * 2);
        return true;
    }

    public bool Contains(ReadOnlySpan<char> value) => _slots[Find(value, _hash(value))] != 0;

    /// <summary>Empties the set and keeps its arrays, for the next scope.</summary>
    public void Clear()
    {
        Array.Clear(_slots);
        Count = 0;
        _charCount = 0;
    }

    /// <summary>The slot holding <paramref name="value"/>, or the empty slot where it would go.</summary>
    private int Find(ReadOnlySpan<char> value, int hash)
    {
        var slots = _slots;
        int mask = slots.Length - 1;
        int slot = hash & mask;
        while (true)
        {
            int entry = slots[slot] - 1;
            if (entry < 0) return slot;
            if (_entryHashes[entry] == hash && _entryLengths[entry] == value.Length &&
                _chars.AsSpan(_entryStarts[entry], value.Length).SequenceEqual(value))
                return slot;
            slot = (slot + 1) & mask;
        }
    }

    private void GrowEntries(int atLeast)
    {
        int size = Math.Max(atLeast, _entryHashes.Length * 2);
        Array.Resize(ref _entryHashes, size);
        Array.Resize(ref _entryStarts, size);
        Array.Resize(ref _entryLengths, size);
    }

    private void Rehash(int capacity)
    {
        var slots = new int[capacity];
        int mask = capacity - 1;
        for (int e = 0; e < Count; e++)
        {
            int slot = _entryHashes[e] & mask;
            while (slots[slot] != 0) slot = (slot + 1) & mask;
            slots[slot] = e + 1;
        }

        _slots = slots;
    }
}
