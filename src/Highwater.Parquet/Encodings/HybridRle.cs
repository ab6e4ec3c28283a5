using System.Buffers;
using System.Buffers.Binary;

namespace Highwater.Parquet.Encodings;

/// <summary>
/// Parquet's RLE/bit-packed hybrid (definition levels, dictionary indices), both directions: runs of one repeated value
/// and groups of eight bit-packed values, LSB first. Decoding returns false on data that ends early or is malformed.
/// </summary>
internal static class HybridRle
{
    /// <summary>Fills <paramref name="output"/> with values of <paramref name="bitWidth"/> bits (0 to 32) from <paramref name="input"/>.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> input, int bitWidth, Span<int> output)
    {
        if (bitWidth is < 0 or > 32) return false;
        int at = 0, written = 0;
        int valueBytes = (bitWidth + 7) / 8;
        while (written < output.Length)
        {
            if (!Varints.TryRead(input, ref at, out ulong header)) return false;
            if ((header & 1) == 0)
            {
                // An RLE run: a count, then the value in ceil(bitWidth / 8) little-endian bytes.
                ulong count = header >> 1;
                if (count == 0 || at + valueBytes > input.Length) return false;
                int value = 0;
                for (int b = 0; b < valueBytes; b++) value |= input[at + b] << (8 * b);
                at += valueBytes;
                int n = (int)Math.Min(count, (ulong)(output.Length - written));
                output.Slice(written, n).Fill(value);
                written += n;
            }
            else
            {
                // Bit-packed: groups of eight values, the last group padded.
                ulong groups = header >> 1;
                if (groups == 0 || groups > int.MaxValue / 8) return false;
                long bytes = (long)groups * bitWidth;
                if (at + bytes > input.Length) return false;
                int values = (int)Math.Min(groups * 8, (ulong)(output.Length - written));
                Unpack(input.Slice(at, (int)bytes), bitWidth, output.Slice(written, values));
                at += (int)bytes;
                written += values;
            }
        }

        return true;
    }

    /// <summary>One RLE run: <paramref name="count"/> times <paramref name="value"/>, at <paramref name="bitWidth"/> bits (0 to 32).</summary>
    public static void WriteRun(IBufferWriter<byte> into, int count, int value, int bitWidth)
    {
        Varints.Write(into, (ulong)count << 1);
        var valueBytes = (bitWidth + 7) / 8;
        var span = into.GetSpan(valueBytes);
        for (var b = 0; b < valueBytes; b++) span[b] = (byte)(value >> (8 * b));
        into.Advance(valueBytes);
    }

    /// <summary>One bit-packed run of flags at bit width 1 (definition levels: true is 1), padded with zeros.</summary>
    public static void BitPack(IBufferWriter<byte> into, ReadOnlySpan<bool> flags)
    {
        var groups = (flags.Length + 7) / 8;
        Varints.Write(into, ((ulong)groups << 1) | 1);
        var bits = into.GetSpan(groups)[..groups];
        bits.Clear();
        for (var i = 0; i < flags.Length; i++)
            if (flags[i]) bits[i >> 3] |= (byte)(1 << (i & 7));
        into.Advance(groups);
    }

    /// <summary>One bit-packed run of the RLE/bit-packed hybrid: groups of eight values, LSB first, padded with zeros.</summary>
    public static void BitPack(IBufferWriter<byte> body, ReadOnlySpan<int> values, int width)
    {
        var groups = (values.Length + 7) / 8;
        Varints.Write(body, ((ulong)groups << 1) | 1);
        var bytes = groups * width;
        var span = body.GetSpan(bytes);
        ulong acc = 0;
        var bits = 0;
        var at = 0;
        for (var i = 0; i < groups * 8; i++)
        {
            var v = i < values.Length ? (uint)values[i] : 0u;
            acc |= (ulong)v << bits;
            bits += width;
            while (bits >= 8)
            {
                span[at++] = (byte)acc;
                acc >>= 8;
                bits -= 8;
            }
        }
        body.Advance(bytes);
    }

    private static void Unpack(ReadOnlySpan<byte> packed, int bitWidth, Span<int> output)
    {
        if (bitWidth == 0)
        {
            output.Clear();
            return;
        }

        if (bitWidth == 1)
        {
            // Definition levels of a nullable column: a bit per row.
            for (int i = 0; i < output.Length; i++) output[i] = (packed[i >> 3] >> (i & 7)) & 1;
            return;
        }

        ulong mask = bitWidth == 32 ? uint.MaxValue : (1UL << bitWidth) - 1;
        long bit = 0;
        for (int i = 0; i < output.Length; i++, bit += bitWidth)
        {
            int first = (int)(bit >> 3);
            int shift = (int)(bit & 7);
            // Up to 32 + 7 bits: read eight bytes where there are eight, else byte by byte.
            ulong word;
            if (first + 8 <= packed.Length) word = BinaryPrimitives.ReadUInt64LittleEndian(packed[first..]);
            else
            {
                word = 0;
                for (int b = 0; first + b < packed.Length && b < 8; b++) word |= (ulong)packed[first + b] << (8 * b);
            }

            output[i] = (int)((word >> shift) & mask);
        }
    }
}
