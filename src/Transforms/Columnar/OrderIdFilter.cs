namespace Highwater.Columnar;

/// <summary>
/// A Bloom filter of the order_ids in one order-index segment, kept in the segment's Parquet footer (key
/// <see cref="MetadataKey"/>), so a run looking for its batch's orders skips a segment that holds none of them
/// without decoding its <c>order_id</c> column: the one-day run then costs what the day brings, not what the
/// index holds. 20 bits and 14 hash probes per id: about one false "maybe" in 15,000 lookups. A "no" is certain.
/// Hashing: FNV-1a over the id's UTF-16 code units, finished with the MurmurHash3 64-bit mix; probes by double
/// hashing. Text form: <c>v1:&lt;probes&gt;:&lt;base64 of the bit array, little-endian 64-bit words&gt;</c>.
/// A segment without the key (written by an earlier version) is read as before.
/// </summary>
public sealed class OrderIdFilter
{
    public const string MetadataKey = "highwater.order_id_filter";
    private const int BitsPerId = 20, Probes = 14;

    private readonly ulong[] _words;
    private readonly int _probes;

    private readonly ulong _mask; // bits - 1 when the bit count is a power of two, else 0 (probe by division)

    private OrderIdFilter(ulong[] words, int probes)
    {
        (_words, _probes) = (words, probes);
        var bits = (ulong)words.Length * 64;
        _mask = System.Numerics.BitOperations.IsPow2(bits) ? bits - 1 : 0;
    }

    private ulong BitOf(ulong h1, ulong h2, int probe, ulong bits)
    {
        var h = h1 + (ulong)probe * h2;
        return _mask != 0 ? h & _mask : h % bits;
    }

    /// <summary>
    /// An empty filter sized for <paramref name="ids"/> order_ids: at least 20 bits each, rounded up to a power of two
    /// words, so a probe's bit is a mask of the hash instead of a 64-bit division (fourteen per id). Filters of other
    /// sizes (earlier versions) are read and probed by division, which gives the same bits for a power of two.
    /// </summary>
    public static OrderIdFilter For(int ids)
    {
        var words = Math.Max(1L, ((long)ids * BitsPerId + 63) / 64);
        return new(new ulong[(int)Math.Min(1L << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)words))], Probes);
    }

    public void Add(string orderId)
    {
        var (h1, h2) = Hash(orderId);
        var bits = (ulong)_words.Length * 64;
        for (var i = 0; i < _probes; i++)
        {
            var bit = BitOf(h1, h2, i, bits);
            _words[bit >> 6] |= 1UL << (int)(bit & 63);
        }
    }

    /// <summary>False only when the id is certainly not in the segment.</summary>
    public bool MayContain(string orderId)
    {
        var (h1, h2) = Hash(orderId);
        var bits = (ulong)_words.Length * 64;
        for (var i = 0; i < _probes; i++)
        {
            var bit = BitOf(h1, h2, i, bits);
            if ((_words[bit >> 6] & (1UL << (int)(bit & 63))) == 0) return false;
        }
        return true;
    }

    public string ToText() => $"v1:{_probes}:{Convert.ToBase64String(WordBytes())}";

    /// <summary>
    /// The binary form order-index segments carry (<see cref="OrderIndexSegment"/>): int32 probes, int32 word count, then
    /// the bit array as little-endian 64-bit words. Read back by copying the words, with no text to parse: a one-day run
    /// reads the filter of every held segment, and the filters grow with the history.
    /// </summary>
    public byte[] ToBinary()
    {
        var words = WordBytes();
        var bytes = new byte[8 + words.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, _probes);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), _words.Length);
        words.CopyTo(bytes.AsSpan(8));
        return bytes;
    }

    /// <summary>The filter of <see cref="ToBinary"/>; null when the bytes are not of that form.</summary>
    public static OrderIdFilter? FromBinary(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 16) return null;
        var probes = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes);
        var count = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        if (count < 1 || (long)count * 8 != bytes.Length - 8) return null;
        return Of(probes, bytes[8..]);
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
        var bytes = new byte[_words.Length * 8];
        for (var i = 0; i < _words.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), _words[i]);
        return bytes;
    }

    /// <summary>A filter from its probe count and words; null when either is out of range.</summary>
    private static OrderIdFilter? Of(int probes, ReadOnlySpan<byte> wordBytes)
    {
        if (probes is < 1 or > 64 || wordBytes.Length == 0 || wordBytes.Length % 8 != 0) return null;
        var words = new ulong[wordBytes.Length / 8];
        for (var i = 0; i < words.Length; i++) words[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(wordBytes[(i * 8)..]);
        return new OrderIdFilter(words, probes);
    }

    private static (ulong, ulong) Hash(string id)
    {
        var h = 14695981039346656037UL;
        foreach (var c in id) h = (h ^ c) * 1099511628211UL;
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
