using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using Highwater.Parquet.Encodings;
using Highwater.Parquet.Metadata;
using Highwater.Parquet.Thrift;

namespace Highwater.Parquet.Writing;

/// <summary> Value conversion: UTF-8 byte arrays, microseconds, unscaled decimals, and the min and max statistics of a chunk. </summary>
public sealed partial class ParquetFileWriter
{
    /// <summary>PLAIN byte arrays of the non-null strings (a 4-byte length, then the UTF-8); their min and max as statistics.</summary>
    private static ColumnStats AppendByteArrays(ArrayBufferWriter<byte> body, ReadOnlySpan<string?> values, long nulls)
    {
        int minAt = -1, minLength = 0, maxAt = -1, maxLength = 0;
        for (var i = 0; i < values.Length; i++)
        {
            // The strings of a sorted partition lie all over the heap: ask for a later one's characters now.
            if (i + PrefetchDistance < values.Length) MemoryHints.Prefetch(values[i + PrefetchDistance]);
            if (values[i] is not { } s) continue;
            var at = body.WrittenCount + 4;
            var length = Plain.WriteUtf8(body, s);
            var written = body.WrittenSpan;
            var bytes = written.Slice(at, length);
            if (minAt < 0 || bytes.SequenceCompareTo(written.Slice(minAt, minLength)) < 0) (minAt, minLength) = (at, length);
            if (maxAt < 0 || bytes.SequenceCompareTo(written.Slice(maxAt, maxLength)) > 0) (maxAt, maxLength) = (at, length);
        }
        return new ColumnStats(nulls, minAt < 0 ? null : body.WrittenSpan.Slice(minAt, minLength).ToArray(),
            maxAt < 0 ? null : body.WrittenSpan.Slice(maxAt, maxLength).ToArray());
    }

    /// <summary>Min and max statistics of integers, as their PLAIN (little-endian) bytes; the byte order is checked in the constructor.</summary>
    private static ColumnStats MinMax<T>(ReadOnlySpan<T> values, long nulls)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (values.IsEmpty) return new ColumnStats(nulls, null, null);
        T min = T.MaxValue, max = T.MinValue;
        foreach (var v in values)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return new ColumnStats(nulls, Plain.Bytes(min), Plain.Bytes(max));
    }

    private static long Micros(DateTime utc) => (utc.Ticks - EpochTicks) / 10;

    /// <summary>
    /// The value unscaled to <paramref name="scale"/> places, when it has at most that many and its magnitude is below
    /// <paramref name="bound"/> (10^precision, unscaled); false otherwise (the caller then decides with decimal arithmetic).
    /// </summary>
    private static bool TryUnscaled(decimal value, int scale, ulong bound, out long unscaled)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        unscaled = 0;
        var places = (bits[3] >> 16) & 0xFF;
        if (bits[2] != 0 || places > scale) return false;
        var magnitude = (uint)bits[0] | (ulong)(uint)bits[1] << 32;
        for (; places < scale; places++)
        {
            if (magnitude >= bound) return false; // also keeps the multiplication below from overflowing
            magnitude *= 10;
        }
        if (magnitude >= bound) return false;
        unscaled = bits[3] < 0 ? -(long)magnitude : (long)magnitude;
        return true;
    }

    private static decimal Pow10(int n)
    {
        var p = 1m;
        for (var i = 0; i < n; i++) p *= 10;
        return p;
    }

    private readonly record struct ColumnStats(long Nulls, byte[]? Min, byte[]? Max);

    /// <summary>
    /// A UTF-8 value's first 16 bytes as two big-endian integers, zero past its end: when two prefixes differ they order
    /// their values as their bytes do (a shorter value that the other starts with is padded with zeros, and is less);
    /// when they are equal the values may still differ, past the 16th byte or in length.
    /// </summary>
    private readonly record struct Utf8Prefix(ulong High, ulong Low)
    {
        /// <summary>The prefix of a value of <paramref name="length"/> bytes at the start of <paramref name="sixteen"/> (at least 16 bytes).</summary>
        public static Utf8Prefix Of(ReadOnlySpan<byte> sixteen, int length)
        {
            ulong high = BinaryPrimitives.ReadUInt64BigEndian(sixteen), low = BinaryPrimitives.ReadUInt64BigEndian(sixteen[8..]);
            if (length <= 0) return default;
            if (length < 8) (high, low) = (high & ~0UL << (8 * (8 - length)), 0);
            else if (length == 8) low = 0;
            else if (length < 16) low &= ~0UL << (8 * (16 - length));
            return new Utf8Prefix(high, low);
        }

        /// <summary>The order of rows <paramref name="row"/> and <paramref name="other"/> of <paramref name="values"/>, whose prefixes these are.</summary>
        public static int Compare(Utf8Prefix a, Utf8Prefix b, Utf8Column values, int row, int other)
        {
            if (a.High != b.High) return a.High < b.High ? -1 : 1;
            if (a.Low != b.Low) return a.Low < b.Low ? -1 : 1;
            return values[row].SequenceCompareTo(values[other]);
        }
    }
}
