using System.Runtime.InteropServices;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// Numbers the distinct short UTF-8 values of the low-cardinality event fields (currency, sku, channel, source
/// key) for one Extract run, shared by its parsers: the same bytes get the same id whichever parser met them
/// first, so the staging writer can build a block's dictionary from ids without looking at the bytes again.
/// Bounded: values longer than <see cref="MaxValueBytes"/>, or met once <see cref="MaxEntries"/> values are
/// numbered, get no id (the caller keeps their bytes itself). Thread-safe; parsers look ids up through a
/// <see cref="Utf8ValueIds"/> of their own, so the lock is only taken for a value a parser has not met yet.
/// </summary>
public sealed class Utf8ValueTable
{
    public const int MaxEntries = 1 << 16;
    public const int MaxValueBytes = 64;

    private readonly Lock _gate = new();
    private readonly Dictionary<byte[], int> _ids = new(Utf8BytesComparer.Instance);
    private byte[][] _values = new byte[256][];
    private int _count;

    /// <summary>How many values have an id.</summary>
    public int Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>The id of <paramref name="utf8"/>, numbering it when new; false when it is too long or the table is full.</summary>
    public bool TryGetOrAdd(ReadOnlySpan<byte> utf8, out int id, out byte[] stored)
    {
        if (utf8.Length > MaxValueBytes)
        {
            (id, stored) = (-1, []);
            return false;
        }
        lock (_gate)
        {
            var lookup = _ids.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (lookup.TryGetValue(utf8, out var existing, out id))
            {
                stored = existing;
                return true;
            }
            if (_count == MaxEntries)
            {
                (id, stored) = (-1, []);
                return false;
            }
            stored = utf8.ToArray();
            id = _count++;
            if (id == _values.Length)
            {
                var grown = new byte[_values.Length * 2][];
                _values.CopyTo(grown, 0);
                Volatile.Write(ref _values, grown);
            }
            _values[id] = stored;
            _ids[stored] = id;
            return true;
        }
    }

    /// <summary>
    /// The bytes of value <paramref name="id"/>, without the lock: an id handed to another thread (through a channel,
    /// which orders the two) was stored before, and a grown array is published only after the entries are copied.
    /// </summary>
    public byte[] this[int id] => Volatile.Read(ref _values)[id];
}

/// <summary>One parser's cache of <see cref="Utf8ValueTable"/> ids: a lookup without a lock or an allocation.</summary>
public sealed class Utf8ValueIds
{
    /// <summary>Values of up to this many bytes are keyed by two machine words; longer ones by their bytes.</summary>
    private const int PackedBytes = 15;

    private readonly Utf8ValueTable _table;
    private readonly Dictionary<byte[], int> _long = new(Utf8BytesComparer.Instance);
    private PackedEntry[] _packed = new PackedEntry[1024];
    private int _packedCount;

    /// <summary>A packed value and its id + 1 (0: a free slot), in one cache line's part.</summary>
    private struct PackedEntry
    {
        public ulong A, B;
        public int IdPlusOne;
    }

    public Utf8ValueIds(Utf8ValueTable table) => _table = table;

    public Utf8ValueTable Table => _table;

    /// <summary>The table id of <paramref name="utf8"/>, or -1 when the table gives it none (too long, or full).</summary>
    public int IdOf(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length <= PackedBytes)
        {
            Pack(utf8, out var a, out var b);
            var entries = _packed;
            var mask = entries.Length - 1;
            for (var slot = Hash(a, b) & mask; ; slot = (slot + 1) & mask)
            {
                ref var e = ref entries[slot];
                if (e.IdPlusOne == 0) break;
                if (e.A == a && e.B == b) return e.IdPlusOne - 1;
            }
            if (!_table.TryGetOrAdd(utf8, out var fresh, out _)) return -1;
            AddPacked(a, b, fresh);
            return fresh;
        }
        var lookup = _long.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.TryGetValue(utf8, out var known)) return known;
        if (!_table.TryGetOrAdd(utf8, out var added, out var stored)) return -1;
        _long[stored] = added;
        return added;
    }

    /// <summary>Up to 15 bytes and the length in two words: equal words, equal bytes.</summary>
    private static void Pack(ReadOnlySpan<byte> utf8, out ulong a, out ulong b)
    {
        b = (ulong)utf8.Length << 56;
        if (utf8.Length >= 8)
        {
            a = MemoryMarshal.Read<ulong>(utf8);
            for (var i = 8; i < utf8.Length; i++) b |= (ulong)utf8[i] << (8 * (i - 8));
            return;
        }
        a = 0;
        for (var i = 0; i < utf8.Length; i++) a |= (ulong)utf8[i] << (8 * i);
    }

    /// <summary>Every byte of both words reaches the low bits the table is indexed by (values often differ only in their last byte).</summary>
    private static int Hash(ulong a, ulong b)
    {
        var h = (a ^ (b * 0xC2B2AE3D27D4EB4FUL)) * 0x9E3779B97F4A7C15UL;
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9UL;
        return (int)((h ^ (h >> 32)) & 0x7FFFFFFF);
    }

    private void AddPacked(ulong a, ulong b, int id)
    {
        if ((_packedCount + 1) * 2 > _packed.Length)
        {
            var old = _packed;
            _packed = new PackedEntry[old.Length * 2];
            _packedCount = 0;
            foreach (var e in old)
                if (e.IdPlusOne != 0) AddPacked(e.A, e.B, e.IdPlusOne - 1);
        }
        var mask = _packed.Length - 1;
        var slot = Hash(a, b) & mask;
        while (_packed[slot].IdPlusOne != 0) slot = (slot + 1) & mask;
        _packed[slot] = new PackedEntry { A = a, B = b, IdPlusOne = id + 1 };
        _packedCount++;
    }
}

/// <summary>Ordinal equality of UTF-8 byte strings, also against a span (no allocation to look one up).</summary>
public sealed class Utf8BytesComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly Utf8BytesComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var h = new HashCode();
        h.AddBytes(alternate);
        return h.ToHashCode();
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
