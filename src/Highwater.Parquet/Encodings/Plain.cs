using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Highwater.Parquet.Encodings;

/// <summary>
/// Parquet's PLAIN encoding, both directions. Fixed-width values (INT32, INT64, FLOAT, DOUBLE) are their little-endian
/// bytes back to back; a BYTE_ARRAY value is a 4-byte little-endian length, then that many bytes. Statistics bounds
/// (min_value, max_value) are one value in the same encoding without the length. Fixed-width values are read and
/// written as the machine's own bytes: callers run on little-endian machines only (the writer checks it).
/// Reading returns false on data that ends early or holds a negative length, never reads past the input.
/// </summary>
internal static class Plain
{
    /// <summary>Appends <paramref name="values"/> as their PLAIN bytes.</summary>
    public static void Write<T>(IBufferWriter<byte> into, ReadOnlySpan<T> values) where T : unmanaged =>
        into.Write(MemoryMarshal.AsBytes(values));

    /// <summary>One value's PLAIN bytes, as a statistics bound holds it.</summary>
    public static byte[] Bytes<T>(T value) where T : unmanaged => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();

    /// <summary>Appends <paramref name="s"/> as a BYTE_ARRAY of its UTF-8; returns the byte length (after the prefix).</summary>
    public static int WriteUtf8(IBufferWriter<byte> into, string s)
    {
        // Most values are ASCII: one vectorised narrowing into a span of the string's length; any other value is
        // encoded as UTF-8 in full.
        var span = into.GetSpan(4 + s.Length);
        int length;
        if (Ascii.FromUtf16(s, span.Slice(4, s.Length), out _) == OperationStatus.Done) length = s.Length;
        else
        {
            span = into.GetSpan(4 + Encoding.UTF8.GetMaxByteCount(s.Length));
            length = Encoding.UTF8.GetBytes(s, span[4..]);
        }
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        into.Advance(4 + length);
        return length;
    }

    /// <summary>The first <paramref name="count"/> fixed-width values of <paramref name="source"/>, without copying; false when it is too short.</summary>
    public static bool TryView<T>(ReadOnlySpan<byte> source, int count, out ReadOnlySpan<T> values) where T : unmanaged
    {
        var bytes = (long)count * Unsafe.SizeOf<T>();
        if (count < 0 || bytes > source.Length)
        {
            values = default;
            return false;
        }
        values = MemoryMarshal.Cast<byte, T>(source[..(int)bytes]);
        return true;
    }

    /// <summary>Fills <paramref name="values"/> from the start of <paramref name="source"/>; false when it is too short.</summary>
    public static bool TryRead<T>(ReadOnlySpan<byte> source, Span<T> values) where T : unmanaged
    {
        if (!TryView<T>(source, values.Length, out var read)) return false;
        read.CopyTo(values);
        return true;
    }

    /// <summary>The BYTE_ARRAY value at <paramref name="at"/>, which moves past it; false when it runs past <paramref name="source"/>.</summary>
    public static bool TryReadByteArray(ReadOnlySpan<byte> source, ref int at, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (source.Length - at < 4) return false;
        var length = BinaryPrimitives.ReadInt32LittleEndian(source[at..]);
        if (length < 0 || length > source.Length - at - 4) return false;
        value = source.Slice(at + 4, length);
        at += 4 + length;
        return true;
    }

    /// <summary>Where <paramref name="count"/> BYTE_ARRAY values from the start of <paramref name="source"/> end; false when they run past it.</summary>
    public static bool TryFindEnd(ReadOnlySpan<byte> source, int count, out int end)
    {
        end = 0;
        for (var i = 0; i < count; i++)
            if (!TryReadByteArray(source, ref end, out _)) return false;
        return true;
    }
}
