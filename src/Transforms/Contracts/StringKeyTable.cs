namespace Highwater.Contracts;

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
    private int[] _batchHashes = [];
    private int[] _rowHashes = [];
    private int[] _batchOrder = [];
    private int[] _batchLengths = [];
    private char[] _batchChars = [];
    private int[] _bucketStarts = [];
    private int[] _bucketCharStarts = [];

    /// <summary>AddAll groups a batch's values by the cache line (eight slots) of the table their hash falls in.</summary>
    private const int SlotsPerGroupShift = 3;

    public StringKeyTable() : this(static s => string.GetHashCode(s))
    {
    }

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
    /// row would say. Probing a large table row after row misses the cache at almost every row, so the values are first
    /// sorted (a counting sort: rows, hashes and characters copied in two sequential passes) by the cache line of the
    /// table their hash falls in, keeping row order among equal lines, where every occurrence of a value lands; the
    /// probes then walk the table from start to end, which the processor prefetches, reading the copies in sequence.
    /// </summary>
    public void AddAll(string?[] values, bool[]? keep, List<int> duplicates)
    {
        int n = values.Length;
        EnsureCapacity(Count + n); // no rehash below: the groups stay regions of the table
        if (_batchHashes.Length < n)
        {
            _batchHashes = new int[n];
            _rowHashes = new int[n];
            _batchOrder = new int[n];
            _batchLengths = new int[n];
        }

        var hashes = _batchHashes;
        var rowHashes = _rowHashes; // each value is hashed once, in pass 1
        var order = _batchOrder;
        var lengths = _batchLengths;
        int mask = _slots.Length - 1;
        const int shift = SlotsPerGroupShift;
        int groups = _slots.Length >> shift;
        if (_bucketStarts.Length < groups + 1)
        {
            _bucketStarts = new int[groups + 1];
            _bucketCharStarts = new int[groups + 1];
        }

        var starts = _bucketStarts;
        var charStarts = _bucketCharStarts;
        Array.Clear(starts, 0, groups + 1);
        Array.Clear(charStarts, 0, groups + 1);
        // Pass 1, in row order: each group's number of values and characters.
        for (int r = 0; r < n; r++)
        {
            if (values[r] is not { } v || (keep is not null && !keep[r])) continue;
            int h = rowHashes[r] = _hash(v);
            int bucket = (h & mask) >> shift;
            starts[bucket + 1]++;
            charStarts[bucket + 1] += v.Length;
        }

        for (int b = 1; b <= groups; b++)
        {
            starts[b] += starts[b - 1];
            charStarts[b] += charStarts[b - 1];
        }

        int active = starts[groups];
        long totalChars = charStarts[groups];
        if (_batchChars.Length < totalChars) _batchChars = new char[Math.Max(totalChars, _batchChars.Length * 2L)];
        var chars = _batchChars;
        // Pass 2, in row order: rows, hashes and characters into their group's place.
        for (int r = 0; r < n; r++)
        {
            if (values[r] is not { } v || (keep is not null && !keep[r])) continue;
            int hash = rowHashes[r];
            int bucket = (hash & mask) >> shift;
            int i = starts[bucket]++;
            order[i] = r;
            hashes[i] = hash;
            lengths[i] = v.Length;
            v.CopyTo(chars.AsSpan(charStarts[bucket]));
            charStarts[bucket] += v.Length;
        }

        // Probe group after group, reading the copies in sequence.
        int first = duplicates.Count;
        int at = 0;
        for (int i = 0; i < active; i++)
        {
            var value = chars.AsSpan(at, lengths[i]);
            at += lengths[i];
            if (!Add(value, hashes[i])) duplicates.Add(order[i]);
        }

        if (duplicates.Count - first > 1) duplicates.Sort(first, duplicates.Count - first, null);
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
