using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Highwater.Parquet.Encodings;

/// <summary>
/// Parquet's DELTA_BINARY_PACKED encoding of INT32 and INT64 values, both directions. The layout, as the format
/// defines it: a header of ULEB128 varints (values per block, miniblocks per block, total value count) and the first
/// value as a zigzag varint; then, for the deltas between neighbours in blocks of <see cref="BlockValues"/>, each
/// block's smallest delta (zigzag varint), one bit-width byte per miniblock, and the miniblocks: 32 values each of
/// (delta − smallest delta), bit-packed least significant bit first at that width.
/// Invariants the writer keeps and the reader relies on only as the format allows:
/// <list type="bullet">
/// <item>Deltas wrap in the column's physical width (32 bits for INT32, 64 for INT64), so every miniblock width is at most that width.</item>
/// <item>A block that needs fewer miniblocks than it has still lists a width for each (zero here; readers accept any), with no bytes for them.</item>
/// <item>The last miniblock used is padded to 32 values (with the smallest delta, so its padding bits are zero).</item>
/// </list>
/// Sorted timestamps, ids drawn from a range and small quantities pack into a few bits a value, which is why
/// the mart's integer columns use it instead of PLAIN with Snappy: smaller, and cheaper to write and to read.
/// </summary>
public static class DeltaBinaryPacked
{
    /// <summary>Values per block and miniblocks per block: parquet-mr's and Arrow's defaults.</summary>
    public const int BlockValues = 128, Miniblocks = 4, MiniblockValues = BlockValues / Miniblocks;

    /// <summary>Appends the encoding of <paramref name="values"/> to <paramref name="into"/>.</summary>
    public static void Encode<T>(ReadOnlySpan<T> values, IBufferWriter<byte> into) where T : unmanaged, IBinaryInteger<T>, ISignedNumber<T>
    {
        var width = Unsafe.SizeOf<T>() * 8;
        Varints.Write(into, BlockValues);
        Varints.Write(into, Miniblocks);
        Varints.Write(into, (ulong)values.Length);
        if (values.IsEmpty)
        {
            Varints.Write(into, 0);
            return;
        }
        Varints.Write(into, Varints.ZigZag(long.CreateTruncating(values[0])));

        Span<T> deltas = stackalloc T[BlockValues];
        Span<ulong> packed = stackalloc ulong[BlockValues];
        Span<byte> chosen = stackalloc byte[Miniblocks];
        for (var from = 1; from < values.Length; from += BlockValues)
        {
            var n = Math.Min(BlockValues, values.Length - from);
            var min = values[from] - values[from - 1];
            for (var i = 0; i < n; i++)
            {
                // Wrapping subtraction in T: the difference of two INT32 values is an INT32 delta, as readers compute it.
                var d = values[from + i] - values[from + i - 1];
                deltas[i] = d;
                if (d < min) min = d;
            }
            // Padding to whole miniblocks packs as zeros.
            for (var i = 0; i < n; i++) packed[i] = Unsigned(deltas[i] - min, width);
            var used = (n + MiniblockValues - 1) / MiniblockValues;
            packed[n..(used * MiniblockValues)].Clear();
            Varints.Write(into, Varints.ZigZag(long.CreateTruncating(min)));
            var widths = into.GetSpan(Miniblocks)[..Miniblocks];
            widths.Clear();
            for (var m = 0; m < used; m++)
                widths[m] = (byte)(64 - BitOperations.LeadingZeroCount(OrOf(packed.Slice(m * MiniblockValues, MiniblockValues))));
            widths.CopyTo(chosen);
            into.Advance(Miniblocks);
            for (var m = 0; m < used; m++)
            {
                var bytes = chosen[m] * MiniblockValues / 8;
                Pack(packed.Slice(m * MiniblockValues, MiniblockValues), chosen[m], into.GetSpan(bytes)[..bytes]);
                into.Advance(bytes);
            }
        }
    }

    /// <summary>
    /// Decodes <paramref name="values"/>.Length values from the start of <paramref name="encoded"/>; false when the
    /// encoding is damaged, holds another number of values, or uses a layout or width this reader does not take.
    /// </summary>
    public static bool TryDecode<T>(ReadOnlySpan<byte> encoded, Span<T> values) where T : unmanaged, IBinaryInteger<T>, ISignedNumber<T>
    {
        var width = Unsafe.SizeOf<T>() * 8;
        var at = 0;
        if (!Varints.TryRead(encoded, ref at, out var blockValues) || !Varints.TryRead(encoded, ref at, out var miniblocks) ||
            !Varints.TryRead(encoded, ref at, out var total) || !Varints.TryRead(encoded, ref at, out var first)) return false;
        if (blockValues == 0 || blockValues % 128 != 0 || blockValues > 1 << 20 || miniblocks == 0 || blockValues % miniblocks != 0 ||
            blockValues / miniblocks % 32 != 0 || total != (ulong)values.Length) return false;
        if (values.IsEmpty) return true;
        var perMiniblock = (int)(blockValues / miniblocks);
        values[0] = T.CreateTruncating(Varints.UnZigZag(first));
        var previous = values[0];
        var done = 1;
        Span<ulong> unpacked = stackalloc ulong[MiniblockValues];
        while (done < values.Length)
        {
            if (!Varints.TryRead(encoded, ref at, out var zigzagMin) || encoded.Length - at < (int)miniblocks) return false;
            var min = T.CreateTruncating(Varints.UnZigZag(zigzagMin));
            var widths = encoded.Slice(at, (int)miniblocks);
            at += (int)miniblocks;
            for (var m = 0; m < (int)miniblocks && done < values.Length; m++)
            {
                int w = widths[m];
                if (w > width) return false;
                var bytes = w * perMiniblock / 8;
                if (encoded.Length - at < bytes) return false;
                var count = Math.Min(perMiniblock, values.Length - done);
                for (var part = 0; part < perMiniblock; part += MiniblockValues)
                {
                    var take = Math.Min(MiniblockValues, count - part);
                    if (take <= 0) break;
                    Unpack(encoded.Slice(at + part / 8 * w, w * MiniblockValues / 8), w, unpacked);
                    for (var i = 0; i < take; i++)
                    {
                        previous = previous + min + T.CreateTruncating(unpacked[i]);
                        values[done++] = previous;
                    }
                }
                at += bytes;
            }
        }
        return true;
    }

    private static ulong Unsigned<T>(T value, int width) where T : IBinaryInteger<T> =>
        width == 64 ? ulong.CreateTruncating(value) : ulong.CreateTruncating(value) & ((1UL << width) - 1);

    private static ulong OrOf(ReadOnlySpan<ulong> values)
    {
        ulong or = 0;
        foreach (var v in values) or |= v;
        return or;
    }

    /// <summary>32 values of <paramref name="width"/> bits into exactly 4 × width bytes, least significant bit first.</summary>
    private static void Pack(ReadOnlySpan<ulong> values, int width, Span<byte> into)
    {
        if (width == 0) return;
        ulong acc = 0;
        int bits = 0, o = 0;
        foreach (var x in values)
        {
            acc |= x << bits;
            if (bits + width >= 64)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(into[o..], acc);
                o += 8;
                acc = bits == 0 ? 0 : x >> (64 - bits);
                bits = bits + width - 64;
            }
            else bits += width;
        }
        if (bits > 0) BinaryPrimitives.WriteUInt32LittleEndian(into[o..], (uint)acc); // an odd width leaves half a word
    }

    /// <summary>The inverse of <see cref="Pack"/>: 32 values from 4 × <paramref name="width"/> bytes.</summary>
    private static void Unpack(ReadOnlySpan<byte> from, int width, Span<ulong> values)
    {
        if (width == 0)
        {
            values.Clear();
            return;
        }
        var mask = width == 64 ? ulong.MaxValue : (1UL << width) - 1;
        ulong acc = 0;
        int bits = 0, i = 0;
        for (var v = 0; v < MiniblockValues; v++)
        {
            if (bits >= width)
            {
                values[v] = acc & mask;
                acc = width == 64 ? 0 : acc >> width;
                bits -= width;
                continue;
            }
            int wordBits;
            ulong next;
            if (from.Length - i >= 8)
            {
                next = BinaryPrimitives.ReadUInt64LittleEndian(from[i..]);
                (i, wordBits) = (i + 8, 64);
            }
            else
            {
                next = BinaryPrimitives.ReadUInt32LittleEndian(from[i..]);
                (i, wordBits) = (i + 4, 32);
            }
            values[v] = (acc | (bits == 0 ? next : next << bits)) & mask;
            var taken = width - bits;
            acc = taken == 64 ? 0 : next >> taken;
            bits = wordBits - taken;
        }
    }
}
