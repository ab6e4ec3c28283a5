using System.Buffers;
using CsCheck;
using Highwater.Parquet.Encodings;
using Highwater.Parquet.Metadata;
using Xunit;

namespace Highwater.Parquet.Tests.Encodings;

/// <summary>The RLE/bit-packed hybrid: the format's layout decoded, bit-packed runs round-tripped at every width, damage refused.</summary>
public sealed class HybridRleTests
{
    [Fact]
    public void The_decoder_reads_runs_and_bit_packed_groups()
    {
        // RLE: 5 × 7 at width 3; then one bit-packed group of 8 values at width 3 (0..7).
        byte[] input = [5 << 1, 7, 0x03, 0b10_001_000, 0b1_100_011_0, 0b111_110_10];
        var output = new int[13];

        Assert.True(HybridRle.TryDecode(input, 3, output));

        Assert.Equal([7, 7, 7, 7, 7, 0, 1, 2, 3, 4, 5, 6, 7], output);
    }

    [Fact]
    public void The_encoder_packs_the_formats_example_as_the_specification_gives_it()
    {
        var into = new ArrayBufferWriter<byte>();
        HybridRle.BitPack(into, [0, 1, 2, 3, 4, 5, 6, 7], 3);
        Assert.Equal([0x03, 0b10_001_000, 0b1_100_011_0, 0b111_110_10], into.WrittenSpan.ToArray());
    }

    [Fact]
    public void Property_bit_packed_runs_round_trip_at_every_width()
    {
        Gen.Int[1, 31].SelectMany(width => Gen.Int[0, (1 << width) - 1].Array[1, 600].Select(values => (width, values)))
            .Sample(t =>
            {
                var into = new ArrayBufferWriter<byte>();
                HybridRle.BitPack(into, t.values, t.width);
                var decoded = new int[t.values.Length];
                return HybridRle.TryDecode(into.WrittenSpan, t.width, decoded) && decoded.AsSpan().SequenceEqual(t.values);
            }, iter: 2000);
    }

    [Fact]
    public void An_RLE_run_is_a_count_then_the_value_in_whole_bytes()
    {
        var into = new ArrayBufferWriter<byte>();
        HybridRle.WriteRun(into, 300, 0x1234, bitWidth: 13);
        Assert.Equal([0xD8, 0x04, 0x34, 0x12], into.WrittenSpan.ToArray()); // varint 600 (300 << 1), then 2 bytes LE

        var decoded = new int[300];
        Assert.True(HybridRle.TryDecode(into.WrittenSpan, 13, decoded));
        Assert.All(decoded, v => Assert.Equal(0x1234, v));
    }

    [Fact]
    public void Property_definition_levels_round_trip_as_a_run_or_bit_packed_flags()
    {
        Gen.Bool.Array[1, 700].Sample(flags =>
        {
            var into = new ArrayBufferWriter<byte>();
            if (flags.All(f => f) || !flags.Any(f => f)) HybridRle.WriteRun(into, flags.Length, flags[0] ? 1 : 0, bitWidth: 1);
            else HybridRle.BitPack(into, flags);
            var decoded = new int[flags.Length];
            return HybridRle.TryDecode(into.WrittenSpan, 1, decoded) && decoded.SequenceEqual(flags.Select(f => f ? 1 : 0));
        }, iter: 500);
    }

    [Fact]
    public void Truncated_or_malformed_page_data_is_refused_not_thrown()
    {
        Assert.False(HybridRle.TryDecode([], 1, new int[3]));
        Assert.False(HybridRle.TryDecode([0x03], 1, new int[8])); // a bit-packed group with no bytes
        Assert.False(HybridRle.TryDecode([0x06], 8, new int[3])); // an RLE run with no value
        Assert.False(ParquetPageHeader.TryParse([], out _));
        Assert.False(ParquetPageHeader.TryParse([0x15], out _)); // a field header, then nothing
        Assert.False(ParquetPageHeader.TryParse([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], out _));
    }
}
