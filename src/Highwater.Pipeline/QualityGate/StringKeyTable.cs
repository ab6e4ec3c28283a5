namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// A set of strings (ordinal equality) that keeps no string objects alive: the characters of each distinct value are
/// copied into one growing character arena, and an open-addressing table (linear probing) of 64-bit slots, each the
/// value's 32-bit hash and its entry number, finds them; a probe reads only the slot unless the hashes match. A hash match is always confirmed by comparing the characters, so two values whose hashes collide
/// are still told apart exactly. A <c>HashSet&lt;string&gt;</c> of a day's 333k order_ids kept every string alive
/// until the day ended, and each garbage collection marked and moved them; here the whole set is a few flat arrays.
/// </summary>
internal sealed class StringKeyTable
{
    private const int MinCapacity = 16;

    private readonly Func<ReadOnlySpan<char>, int> _hash;
    private ulong[] _slots = new ulong[MinCapacity]; // hash << 32 | entry number + 1; 0 = empty
    private int[] _entryStarts = new int[MinCapacity / 2];
    private int[] _entryLengths = new int[MinCapacity / 2];
    private char[] _chars = new char[256];
    private int _charCount;

    // AddAll's work arrays, kept for the next batch.
    private int[] _rowHashes = [];

    /// <summary>
    /// With the process-seeded <see cref="SeededHash"/> of the characters' bytes: randomised per process as
    /// string.GetHashCode (Marvin) is, so values from upstream cannot be chosen to collide, and cheaper per value.
    /// </summary>
    public StringKeyTable() : this(static s => Fold(SeededHash.Of(System.Runtime.InteropServices.MemoryMarshal.AsBytes(s))))
    {
    }

    private static int Fold(ulong hash) => (int)(hash ^ hash >> 32);

    /// <summary>With a given hash function: tests use a poor one to force collisions.</summary>
    internal StringKeyTable(Func<ReadOnlySpan<char>, int> hash) => _hash = hash;

    public int Count { get; private set; }

    /// <summary>Makes room for <paramref name="count"/> values, so a large set is not rehashed as it grows.</summary>
    public void EnsureCapacity(int count)
    {
        if (count > _entryStarts.Length) GrowEntries(count);
        int capacity = MinCapacity;
        while (capacity < count * 2) capacity *= 2;
        if (capacity > _slots.Length) Rehash(capacity);
    }

    /// <summary>Adds a value; false when it was there already.</summary>
    public bool Add(ReadOnlySpan<char> value) => Add(value, _hash(value));

    private bool Add(ReadOnlySpan<char> value, int hash)
    {
        int slot = Find(value, hash);
        if (_slots[slot] != 0) return false;

        if (Count == _entryStarts.Length) GrowEntries(Count + 1);
        if (_charCount + value.Length > _chars.Length)
            Array.Resize(ref _chars, Math.Max(checked(_charCount + value.Length), checked(_chars.Length * 2)));
        value.CopyTo(_chars.AsSpan(_charCount));
        _entryStarts[Count] = _charCount;
        _entryLengths[Count] = value.Length;
        _charCount += value.Length;
        _slots[slot] = Slot(hash, ++Count);
        if (Count * 2 > _slots.Length) Rehash(_slots.Length * 2);
        return true;
    }

    public bool Contains(ReadOnlySpan<char> value) => _slots[Find(value, _hash(value))] != 0;

    /// <summary>
    /// Adds the non-null values of the rows where <paramref name="keep"/> is null or true, and appends to
    /// <paramref name="duplicates"/> (ascending) each row whose value was there already: what <see cref="Add"/> row after
    /// row would say, which is what it does, with each value hashed a few rows ahead and its slot's cache line
    /// requested then, so the probe of a large table finds it loaded. (Sorting a batch by slot first, as this did
    /// before, spent more on its scattered copies than the probes it saved.)
    /// </summary>
    public void AddAll(string?[] values, bool[]? keep, List<int> duplicates)
    {
        int n = values.Length;
        EnsureCapacity(Count + n); // no rehash below: a slot requested ahead is the slot probed
        if (_rowHashes.Length < n) _rowHashes = new int[n];
        var hashes = _rowHashes;
        int mask = _slots.Length - 1;
        for (int r = 0; r < Math.Min(PrefetchRows, n); r++) HashAhead(values, r, hashes, mask);
        for (int r = 0; r < n; r++)
        {
            if (r + PrefetchRows < n) HashAhead(values, r + PrefetchRows, hashes, mask);
            if (values[r] is not { } v || (keep is not null && !keep[r])) continue;
            if (!Add(v, hashes[r])) duplicates.Add(r);
        }
    }

    /// <summary>The same for a column read as slices of characters (null rows skipped).</summary>
    public void AddAll(StringSlices values, bool[]? keep, List<int> duplicates)
    {
        int n = values.Rows;
        EnsureCapacity(Count + n);
        if (_rowHashes.Length < n) _rowHashes = new int[n];
        var hashes = _rowHashes;
        int mask = _slots.Length - 1;
        var nulls = values.Nulls;
        for (int r = 0; r < Math.Min(PrefetchRows, n); r++) HashAhead(values, r, hashes, mask);
        for (int r = 0; r < n; r++)
        {
            if (r + PrefetchRows < n) HashAhead(values, r + PrefetchRows, hashes, mask);
            if ((nulls is not null && nulls[r]) || (keep is not null && !keep[r])) continue;
            if (!Add(values[r], hashes[r])) duplicates.Add(r);
        }
    }

    private void HashAhead(StringSlices values, int r, int[] hashes, int mask)
    {
        if (values.IsNull(r)) return;
        int hash = hashes[r] = _hash(values[r]);
        MemoryHints.Prefetch(_slots, (ulong)(hash & mask));
    }

    /// <summary>How many rows ahead a value is hashed and its slot requested.</summary>
    private const int PrefetchRows = 16;

    private void HashAhead(string?[] values, int r, int[] hashes, int mask)
    {
        if (values[r] is not { } v) return;
        int hash = hashes[r] = _hash(v);
        MemoryHints.Prefetch(_slots, (ulong)(hash & mask));
    }

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
        uint h = (uint)hash;
        while (true)
        {
            ulong s = slots[slot];
            if (s == 0) return slot;
            if ((uint)(s >> 32) == h)
            {
                int entry = (int)(uint)s - 1;
                if (_entryLengths[entry] == value.Length && _chars.AsSpan(_entryStarts[entry], value.Length).SequenceEqual(value))
                    return slot;
            }

            slot = (slot + 1) & mask;
        }
    }

    private static ulong Slot(int hash, int entryNumber) => (ulong)(uint)hash << 32 | (uint)entryNumber;

    private void GrowEntries(int atLeast)
    {
        int size = Math.Max(atLeast, _entryStarts.Length * 2);
        Array.Resize(ref _entryStarts, size);
        Array.Resize(ref _entryLengths, size);
    }

    private void Rehash(int capacity)
    {
        var slots = new ulong[capacity];
        int mask = capacity - 1;
        foreach (ulong s in _slots)
        {
            if (s == 0) continue;
            int slot = (int)(s >> 32) & mask;
            while (slots[slot] != 0) slot = (slot + 1) & mask;
            slots[slot] = s;
        }

        _slots = slots;
    }
}
