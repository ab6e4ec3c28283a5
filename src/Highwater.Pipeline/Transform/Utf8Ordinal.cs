using System.Buffers.Binary;
using System.Text;

namespace Highwater.Pipeline.Transform;

/// <summary>
/// <see cref="string.CompareOrdinal(string, string)"/>'s order (by UTF-16 code units) for strings held as UTF-8, so a
/// partition sorted from its UTF-8 columns comes out exactly as one sorted from its records. UTF-8's byte order is code
/// point order, which differs from UTF-16's only where a character from U+E000 to U+FFFF meets one above U+FFFF (UTF-16
/// puts the latter, a surrogate pair from U+D800, first); both comparisons here allow for that.
/// </summary>
internal static class Utf8Ordinal
{
    /// <summary>Compares two valid UTF-8 values as <see cref="string.CompareOrdinal(string, string)"/> compares their strings.</summary>
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var i = a.CommonPrefixLength(b);
        if (i == a.Length || i == b.Length) return a.Length.CompareTo(b.Length);
        if (a[i] < 0xEE && b[i] < 0xEE && (a[i] & 0xC0) != 0x80) return a[i].CompareTo(b[i]); // two characters below U+E000 (or ASCII)
        // The characters that differ start at the same place in both (their bytes before it are the same).
        var start = i;
        while (start > 0 && (a[start] & 0xC0) == 0x80) start--;
        Rune.DecodeFromUtf8(a[start..], out var x, out _);
        Rune.DecodeFromUtf8(b[start..], out var y, out _);
        return Utf16Order(x.Value).CompareTo(Utf16Order(y.Value));
    }

    /// <summary>
    /// The first sixteen bytes of a UTF-8 value as a prefix that never contradicts <see cref="Compare"/>: packed as they
    /// are up to the first byte that starts a character from U+E000 (where the two orders can part), which with every
    /// byte after it packs as 0xFF; a value that ends packs zeros. Equal prefixes leave the values to <see cref="Compare"/>.
    /// </summary>
    public static OrdinalPrefix Prefix(ReadOnlySpan<byte> utf8)
    {
        // Most ids have no byte from 0xEE (no character from U+E000) in their first sixteen: those bytes, zero-padded,
        // read big-endian, in one vector test instead of a branch per byte.
        Span<byte> first = stackalloc byte[16];
        first.Clear();
        utf8[..Math.Min(16, utf8.Length)].CopyTo(first);
        if (!System.Runtime.Intrinsics.Vector128.GreaterThanOrEqualAny(System.Runtime.Intrinsics.Vector128.Create((ReadOnlySpan<byte>)first),
                System.Runtime.Intrinsics.Vector128.Create((byte)0xEE)))
            return new OrdinalPrefix(BinaryPrimitives.ReadUInt64BigEndian(first), BinaryPrimitives.ReadUInt64BigEndian(first[8..]));
        ulong high = 0, low = 0;
        var stopped = false;
        for (var i = 0; i < 16; i++)
        {
            ulong b;
            if (stopped) b = 0xFF;
            else if (i >= utf8.Length) b = 0;
            else if (utf8[i] >= 0xEE)
            {
                stopped = true;
                b = 0xFF;
            }
            else b = utf8[i];
            if (i < 8) high = high << 8 | b;
            else low = low << 8 | b;
        }
        return new OrdinalPrefix(high, low);
    }

    /// <summary>A code point's place in UTF-16 order: above U+FFFF it sorts as its high surrogate, then by code point.</summary>
    private static long Utf16Order(int codePoint) =>
        codePoint <= 0xFFFF ? (long)codePoint << 21 : ((long)(0xD800 + ((codePoint - 0x10000) >> 10)) << 21) | (uint)codePoint;
}
