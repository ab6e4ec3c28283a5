using System.Text;
using System.Text.Unicode;

namespace Highwater.Staging;

/// <summary>
/// Interns short, low-cardinality UTF-8 values (currency, channel, sku) so that repeated values
/// share one string instead of allocating one per row. Bounded: past its capacity it stops caching.
/// Each entry keeps its UTF-8 bytes, so a lookup is a hash and a byte compare, with no decoding.
/// </summary>
public sealed class StringPool
{
    private const int MaxEntries = 65_536;
    private const int MaxValueBytes = 64;
    private readonly Dictionary<int, Entry[]> _byHash = new();
    private int _count;

    private readonly record struct Entry(byte[] Utf8, string Value);

    /// <summary>How many distinct values are cached.</summary>
    internal int Count => _count;

    public string Get(ReadOnlySpan<byte> utf8) => Get(utf8, validated: false);

    /// <summary>As <see cref="Get(ReadOnlySpan{byte})"/>; <paramref name="validated"/> says the caller already checked the bytes are valid UTF-8.</summary>
    internal string Get(ReadOnlySpan<byte> utf8, bool validated)
    {
        if (utf8.Length > MaxValueBytes) return Encoding.UTF8.GetString(utf8);
        var hash = HashOf(utf8);
        if (_byHash.TryGetValue(hash, out var bucket))
        {
            foreach (var candidate in bucket)
                if (utf8.SequenceEqual(candidate.Utf8)) return candidate.Value;
        }
        // Invalid UTF-8 decodes with replacement characters and would never match itself again: not cached.
        if (!validated && !Utf8.IsValid(utf8)) return Encoding.UTF8.GetString(utf8);
        var value = Encoding.UTF8.GetString(utf8);
        if (_count < MaxEntries)
        {
            var entry = new Entry(utf8.ToArray(), value);
            _byHash[hash] = bucket is null ? [entry] : [.. bucket, entry];
            _count++;
        }
        return value;
    }

    private static int HashOf(ReadOnlySpan<byte> utf8)
    {
        var h = new HashCode();
        h.AddBytes(utf8);
        return h.ToHashCode();
    }
}
