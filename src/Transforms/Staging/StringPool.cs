using System.Text;
using System.Text.Unicode;

namespace Highwater.Staging;

/// <summary>
/// Interns short, low-cardinality UTF-8 values (currency, channel, sku) so that repeated values
/// share one string instead of allocating one per row. Bounded: past its capacity it stops caching.
/// </summary>
public sealed class StringPool
{
    private const int MaxEntries = 65_536;
    private const int MaxValueBytes = 64;
    private readonly Dictionary<int, string[]> _byHash = new();
    private int _count;

    /// <summary>How many distinct values are cached.</summary>
    internal int Count => _count;

    public string Get(ReadOnlySpan<byte> utf8)
    {
        // Invalid UTF-8 decodes with replacement characters and would never match itself again: not cached.
        if (utf8.Length > MaxValueBytes || !Utf8.IsValid(utf8)) return Encoding.UTF8.GetString(utf8);
        var hash = HashOf(utf8);
        if (_byHash.TryGetValue(hash, out var bucket))
        {
            foreach (var candidate in bucket)
                if (Matches(candidate, utf8)) return candidate;
        }
        var value = Encoding.UTF8.GetString(utf8);
        if (_count < MaxEntries)
        {
            _byHash[hash] = bucket is null ? [value] : [.. bucket, value];
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

    private static bool Matches(string candidate, ReadOnlySpan<byte> utf8)
    {
        Span<byte> buffer = stackalloc byte[MaxValueBytes * 3];
        return Encoding.UTF8.TryGetBytes(candidate, buffer, out var written) && buffer[..written].SequenceEqual(utf8);
    }
}
