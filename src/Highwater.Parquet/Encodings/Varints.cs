using System.Buffers;

namespace Highwater.Parquet.Encodings;

/// <summary>
/// Unsigned LEB128 varints and zigzag, once for the codec: Thrift's compact protocol (field ids, i32, i64, lengths),
/// the RLE/bit-packed hybrid's run headers and DELTA_BINARY_PACKED's header and block minimums all use them.
/// </summary>
internal static class Varints
{
    /// <summary>Appends <paramref name="value"/> as an unsigned LEB128 varint (7 bits a byte, low bits first).</summary>
    public static void Write(IBufferWriter<byte> output, ulong value)
    {
        var span = output.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        output.Advance(n);
    }

    /// <summary>An unsigned LEB128 varint at <paramref name="at"/> (moved past it); false when the input ends first or it runs past 64 bits.</summary>
    public static bool TryRead(ReadOnlySpan<byte> input, ref int at, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= input.Length) return false;
            byte b = input[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return true;
        }

        return false;
    }

    /// <summary>A signed integer as zigzag (0, -1, 1, -2, … as 0, 1, 2, 3, …).</summary>
    public static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    /// <summary>The inverse of <see cref="ZigZag"/>.</summary>
    public static long UnZigZag(ulong n) => (long)(n >> 1) ^ -(long)(n & 1);
}
