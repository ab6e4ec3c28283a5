using System.Buffers;
using CsCheck;
using Highwater.Parquet.Encodings;
using Xunit;

namespace Highwater.Parquet.Tests.Encodings;

/// <summary>PLAIN: the format's layout both ways (little-endian fixed width, length-prefixed byte arrays), damage refused.</summary>
public sealed class PlainTests
{
    [Fact]
    public void Fixed_width_values_and_byte_arrays_have_the_formats_layout()
    {
        var into = new ArrayBufferWriter<byte>();
        Plain.Write<int>(into, [1, -2]);
        Assert.Equal(2, Plain.WriteUtf8(into, "é"));
        Assert.Equal([1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0xC3, 0xA9], into.WrittenSpan.ToArray());
        Assert.Equal([0x2A, 0, 0, 0, 0, 0, 0, 0], Plain.Bytes(42L));
    }

    [Fact]
    public void Property_longs_and_strings_round_trip()
    {
        Gen.Long.Array[0, 300].Select(Gen.String.Array[0, 300]).Sample((longs, strings) =>
        {
            var into = new ArrayBufferWriter<byte>();
            Plain.Write<long>(into, longs);
            foreach (var s in strings) Plain.WriteUtf8(into, s);
            var bytes = into.WrittenSpan;
            var read = new long[longs.Length];
            Assert.True(Plain.TryRead(bytes, read.AsSpan()));
            Assert.Equal(longs, read);
            var at = longs.Length * 8;
            var rest = bytes[at..];
            Assert.True(Plain.TryFindEnd(rest, strings.Length, out var end));
            Assert.Equal(rest.Length, end);
            var offset = 0;
            foreach (var s in strings)
            {
                Assert.True(Plain.TryReadByteArray(rest, ref offset, out var value));
                Assert.Equal(s, System.Text.Encoding.UTF8.GetString(value));
            }
        }, iter: 300);
    }

    [Fact]
    public void Short_or_negative_lengths_are_refused_not_thrown()
    {
        Assert.False(Plain.TryRead([1, 2, 3], new int[1].AsSpan()));
        Assert.False(Plain.TryView<long>(new byte[15], 2, out _));
        var at = 0;
        Assert.False(Plain.TryReadByteArray([5, 0, 0, 0, 1, 2], ref at, out _)); // 5 bytes announced, 2 there
        Assert.False(Plain.TryReadByteArray([0xFF, 0xFF, 0xFF, 0xFF], ref at, out _)); // length -1
        Assert.False(Plain.TryReadByteArray([1, 0], ref at, out _)); // a partial length
        Assert.Equal(0, at);
        Assert.False(Plain.TryFindEnd([0, 0, 0, 0], 2, out _));
    }
}
