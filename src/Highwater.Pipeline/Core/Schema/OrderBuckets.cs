using System.Buffers;
using System.Text;

namespace Highwater.Pipeline.Core.Schema;

/// <summary>
/// The hash buckets of order_id that the order index and the staged batch are split by: FNV-1a of the id's
/// UTF-8 bytes, modulo <see cref="Count"/>. Named by two digits (<c>00</c>…<c>63</c>), as in the index's folders.
/// </summary>
public static class OrderBuckets
{
    public const int Count = 64;

    private static readonly string[] Names = Enumerable.Range(0, Count).Select(i => i.ToString("D2")).ToArray();

    public static string Name(int bucket) => Names[bucket];

    /// <summary>The bucket of an order_id, without allocating for ids of up to 256 characters.</summary>
    public static int IndexOf(string orderId)
    {
        var hash = 2166136261u;
        var ascii = true;
        foreach (var c in orderId)
        {
            if (c >= 0x80) { ascii = false; break; }
            hash = (hash ^ c) * 16777619u;
        }
        if (ascii) return (int)(hash % Count);

        var max = Encoding.UTF8.GetMaxByteCount(orderId.Length);
        byte[]? rented = null;
        Span<byte> utf8 = max <= 1024 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            return IndexOf(utf8[..Encoding.UTF8.GetBytes(orderId, utf8)]);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The bucket of an order_id given as its UTF-8 bytes: the same bucket as <see cref="IndexOf(string)"/> of the decoded id.</summary>
    public static int IndexOf(ReadOnlySpan<byte> utf8)
    {
        var hash = 2166136261u;
        foreach (var b in utf8) hash = (hash ^ b) * 16777619u;
        return (int)(hash % Count);
    }
}
