namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// A Bloom filter of the order_ids in one order-index segment, kept with the segment (in an earlier version's Parquet
/// footer under <see cref="MetadataKey"/>), so a run looking for its batch's orders skips a segment that holds none of
/// them without decoding its <c>order_id</c> column: the one-day run then costs what the day brings, not what the
/// index holds. A "no" is certain.
/// <para>
/// Two layouts. Filters written now are <b>blocked</b>: an id's 8 probes all fall in one 512-bit block (one cache
/// line) chosen by its hash, at 24 bits per id: about one false "maybe" in 20,000 lookups, one memory access per id.
/// Filters of earlier versions are <b>classic</b>: 14 probes anywhere in the array at 20 bits per id (about one in
/// 15,000), which costs up to 14 cache misses per id; they are still read.
/// Hashing: FNV-1a over the id's UTF-16 code units, finished with the MurmurHash3 64-bit mix; probes by double hashing
/// (within the block, for a blocked filter). Both forms carry the probe count with <see cref="BlockedFlag"/> set for a
/// blocked filter. Text form: <c>v1:&lt;probes&gt;:&lt;base64 of the bit array, little-endian 64-bit words&gt;</c>.
/// A segment without a filter (written by an earlier version) is read as before.
/// </para>
/// </summary>
public sealed class OrderIdFilter
{
    public const string MetadataKey = "highwater.order_id_filter";

    /// <summary>Set in the stored probe count of a blocked filter.</summary>
    public const int BlockedFlag = 0x100;

    private const int BitsPerId = 24, Probes = 8, BlockWords = 8;

    private readonly ulong[] _words; // the first _count are the filter's (more when rented from the pool)
    private readonly int _count;
    private readonly bool _rented;
    private readonly int _probes;
    private readonly bool _blocked;

    private readonly ulong _mask; // classic: bits - 1 when the bit count is a power of two, else 0 (probe by division)

    private OrderIdFilter(ulong[] words, int count, int probes, bool blocked, bool rented = false)
    {
        (_words, _count, _probes, _blocked, _rented) = (words, count, probes, blocked, rented);
        var bits = (ulong)count * 64;
        _mask = !blocked && System.Numerics.BitOperations.IsPow2(bits) ? bits - 1 : 0;
    }

    /// <summary>
    /// An empty (blocked) filter sized for <paramref name="ids"/> order_ids: 24 bits each, in whole blocks (a one-day run
    /// reads the filter of every held segment: rounding each up to a power of two made them up to twice the size).
    /// </summary>
    public static OrderIdFilter For(int ids)
    {
        var blocks = Math.Max(1L, ((long)ids * BitsPerId + 511) / 512);
        var words = Math.Min(1L << 30, blocks * BlockWords);
        return new(new ulong[words], (int)words, Probes, blocked: true);
    }

    /// <summary>Adds an id; only to a filter made by <see cref="For"/> (a classic filter of an earlier version is only read).</summary>
    public void Add(string orderId) => Set(Hash(orderId));

    /// <summary>As <see cref="Add(string)"/> for an id held as UTF-8 (the same bits: the hash is of its UTF-16 units).</summary>
    public void Add(ReadOnlySpan<byte> utf8) => Set(Hash(utf8));

    private void Set((ulong H1, ulong H2) hash)
    {
        if (!_blocked) throw new InvalidOperationException("An order_id filter of an earlier version is read, never added to.");
        var (h1, h2) = hash;
        var block = BlockOf(h1);
        for (var i = 0; i < _probes; i++)
        {
            var bit = BitInBlock(h1, h2, i);
            _words[block + (bit >> 6)] |= 1UL << (bit & 63);
        }
    }

    /// <summary>False only when the id is certainly not in the segment.</summary>
    public bool MayContain(string orderId)
    {
        var (h1, h2) = Hash(orderId);
        if (_blocked)
        {
            var block = BlockOf(h1);
            for (var i = 0; i < _probes; i++)
            {
                var bit = BitInBlock(h1, h2, i);
                if ((_words[block + (bit >> 6)] & (1UL << (bit & 63))) == 0) return false;
            }
            return true;
        }
        var bits = (ulong)_count * 64;
        for (var i = 0; i < _probes; i++)
        {
            var bit = BitOf(h1, h2, i, bits);
            if ((_words[bit >> 6] & (1UL << (int)(bit & 63))) == 0) return false;
        }
        return true;
    }

    private ulong BitOf(ulong h1, ulong h2, int probe, ulong bits)
    {
        var h = h1 + (ulong)probe * h2;
        return _mask != 0 ? h & _mask : h % bits;
    }

    /// <summary>
    /// The first word of the id's block: the high 32 bits of its hash scaled to the block count (a multiply and a shift,
    /// for any count, so a filter needs no rounding up to a power of two).
    /// </summary>
    private int BlockOf(ulong h1) => (int)(((h1 >> 32) * (ulong)(_count / BlockWords)) >> 32) * BlockWords;

    /// <summary>
    /// The probe's bit in the block (0..511): nine bits of the hashes each, probes 0 to 6 from h2 and probe 7 from the low
    /// bits of h1 (the block comes from its high bits). Double hashing in so small a space made ten times the false "maybe"s.
    /// </summary>
    private static int BitInBlock(ulong h1, ulong h2, int probe) => (int)((probe < 7 ? h2 >> (9 * probe) : h1) & 511);

    public string ToText() => $"v1:{StoredProbes}:{Convert.ToBase64String(WordBytes())}";

    /// <summary>The probe count as both forms store it: with <see cref="BlockedFlag"/> for a blocked filter.</summary>
    private int StoredProbes => _blocked ? _probes | BlockedFlag : _probes;

    /// <summary>
    /// The binary form order-index segments carry (<see cref="OrderIndexSegment"/>): int32 probes, int32 word count, then
    /// the bit array as little-endian 64-bit words. Read back by copying the words, with no text to parse: a one-day run
    /// reads the filter of every held segment, and the filters grow with the history.
    /// </summary>
    public byte[] ToBinary()
    {
        var words = WordBytes();
        var bytes = new byte[8 + words.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, StoredProbes);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), _count);
        words.CopyTo(bytes.AsSpan(8));
        return bytes;
    }

    /// <summary>
    /// The filter of <see cref="ToBinary"/>; null when the bytes are not of that form. <paramref name="rented"/>: its words
    /// are taken from the shared pool, for a filter read only for a moment (a one-day run reads one per held segment, each
    /// hundreds of kilobytes): give them back with <see cref="Return"/> and use it no more.
    /// </summary>
    public static OrderIdFilter? FromBinary(ReadOnlySpan<byte> bytes, bool rented = false)
    {
        if (bytes.Length < 16) return null;
        var probes = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes);
        var count = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        if (count < 1 || (long)count * 8 != bytes.Length - 8) return null;
        return Of(probes, bytes[8..], rented);
    }

    /// <summary>Gives a rented filter's words back to the pool (see <see cref="FromBinary"/>); nothing for any other.</summary>
    public void Return()
    {
        if (_rented) System.Buffers.ArrayPool<ulong>.Shared.Return(_words);
    }

    /// <summary>The filter in a segment's footer metadata, or null when there is none (or it is of an unknown form).</summary>
    public static OrderIdFilter? FromMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null || !metadata.TryGetValue(MetadataKey, out var text)) return null;
        var parts = text.Split(':', 3);
        if (parts.Length != 3 || parts[0] != "v1" || !int.TryParse(parts[1], out var probes)) return null;
        byte[] bytes;
        try { bytes = Convert.FromBase64String(parts[2]); }
        catch (FormatException) { return null; }
        return Of(probes, bytes);
    }

    /// <summary>The bit array as little-endian 64-bit words, as both forms hold it.</summary>
    private byte[] WordBytes()
    {
        var bytes = new byte[_count * 8];
        for (var i = 0; i < _count; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), _words[i]);
        return bytes;
    }

    /// <summary>A filter from its stored probe count and words; null when either is out of range.</summary>
    private static OrderIdFilter? Of(int stored, ReadOnlySpan<byte> wordBytes, bool rented = false)
    {
        var blocked = (stored & BlockedFlag) != 0;
        var probes = stored & ~BlockedFlag;
        if (probes is < 1 or > 64 || wordBytes.Length == 0 || wordBytes.Length % 8 != 0) return null;
        if (blocked && (probes > Probes || wordBytes.Length % (8 * BlockWords) != 0)) return null;
        var count = wordBytes.Length / 8;
        var words = rented ? System.Buffers.ArrayPool<ulong>.Shared.Rent(count) : new ulong[count];
        if (BitConverter.IsLittleEndian) wordBytes.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan(0, count)));
        else
            for (var i = 0; i < count; i++) words[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(wordBytes[(i * 8)..]);
        return new OrderIdFilter(words, count, probes, blocked, rented);
    }

    private static (ulong, ulong) Hash(string id)
    {
        var h = 14695981039346656037UL;
        foreach (var c in id) h = (h ^ c) * 1099511628211UL;
        var h1 = Mix(h);
        var h2 = Mix(h1 ^ 0x9E3779B97F4A7C15UL) | 1;
        return (h1, h2);
    }

    /// <summary><see cref="Hash(string)"/> of the string whose UTF-8 this is: an ASCII byte is its UTF-16 unit; anything else is decoded.</summary>
    private static (ulong, ulong) Hash(ReadOnlySpan<byte> utf8)
    {
        var h = 14695981039346656037UL;
        var i = 0;
        for (; i < utf8.Length && utf8[i] < 0x80; i++) h = (h ^ utf8[i]) * 1099511628211UL;
        if (i < utf8.Length)
        {
            var rest = utf8[i..];
            var chars = rest.Length <= 256 ? stackalloc char[rest.Length] : new char[rest.Length];
            var n = System.Text.Encoding.UTF8.GetChars(rest, chars);
            foreach (var c in chars[..n]) h = (h ^ c) * 1099511628211UL;
        }
        var h1 = Mix(h);
        var h2 = Mix(h1 ^ 0x9E3779B97F4A7C15UL) | 1;
        return (h1, h2);
    }

    private static ulong Mix(ulong k)
    {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdUL;
        k ^= k >> 33;
        k *= 0xc4ceb9fe1a85ec53UL;
        k ^= k >> 33;
        return k;
    }
}
