using System.Buffers;
using System.Globalization;
using CsCheck;
using Highwater.Parquet.Encodings;
using Highwater.Parquet.Writing;
using Xunit;

namespace Highwater.Parquet.Tests.Encodings;

/// <summary>
/// DELTA_BINARY_PACKED against the format's own examples, round trips at every width (deltas that wrap included), and
/// DuckDB reading what the mart's writer packs: an independent decoder of the same bytes.
/// </summary>
public sealed class DeltaBinaryPackedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hw-delta-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Encode<T>(params T[] values) where T : unmanaged, System.Numerics.IBinaryInteger<T>, System.Numerics.ISignedNumber<T>
    {
        var into = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.Encode<T>(values, into);
        return into.WrittenSpan.ToArray();
    }

    [Fact]
    public void The_formats_examples_encode_as_the_specification_gives_them()
    {
        // 1..5: header (128 values a block, 4 miniblocks, 5 values, first 1), one block: min delta 1, widths 0.
        Assert.Equal([0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0], Encode(1L, 2, 3, 4, 5));
        // 7, 5, 3, 1, 2, 3, 4, 5: deltas -2 -2 -2 1 1 1 1, min -2; relative 0 0 0 3 3 3 3 at 2 bits: one 8-byte miniblock.
        Assert.Equal([0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 2, 0, 0, 0, 0xC0, 0x3F, 0, 0, 0, 0, 0, 0], Encode(7, 5, 3, 1, 2, 3, 4, 5));
    }

    [Fact]
    public void Property_longs_round_trip_whatever_their_spread()
    {
        var values = Gen.OneOf(Gen.Long, Gen.Long[-5, 5], Gen.Long[long.MaxValue - 3, long.MaxValue], Gen.Long[long.MinValue, long.MinValue + 3])
            .Array[0, 700];
        values.Sample(v => RoundTrips(v), iter: 2000);
    }

    [Fact]
    public void Property_ints_round_trip_with_deltas_that_wrap_in_32_bits()
    {
        var values = Gen.OneOf(Gen.Int, Gen.Int[-3, 3], Gen.Int[int.MaxValue - 2, int.MaxValue], Gen.Int[int.MinValue, int.MinValue + 2])
            .Array[0, 700];
        values.Sample(v =>
        {
            if (!RoundTrips(v)) return false;
            // Every miniblock width fits the column's 32 bits, as INT32 readers require.
            return Widths(Encode(v), v.Length).All(w => w <= 32);
        }, iter: 2000);
    }

    [Fact]
    public void Sorted_timestamps_pack_into_a_few_bytes_a_value()
    {
        var micros = Enumerable.Range(0, 10_000).Select(i => 1_700_000_000_000_000L + i * 259_000L + i % 7 * 1_000_000L).ToArray();
        var bytes = Encode(micros);
        Assert.True(bytes.Length < micros.Length * 3, $"{bytes.Length:N0} bytes for {micros.Length:N0} values");
        Assert.True(RoundTrips(micros));
    }

    [Theory]
    [InlineData(0, 5)]    // header only
    [InlineData(3, 5)]    // a short first miniblock
    [InlineData(10, 33)]  // a second miniblock of one value
    [InlineData(1, 100)]  // cut inside the block
    public void Damaged_or_short_encodings_are_refused_not_thrown(int cut, int count)
    {
        var values = Enumerable.Range(0, count).Select(i => (long)i * i * 7919).ToArray();
        var bytes = Encode(values);
        var into = new long[count];
        Assert.False(DeltaBinaryPacked.TryDecode<long>(bytes.AsSpan(0, Math.Min(cut, bytes.Length - 1)), into));
        Assert.False(DeltaBinaryPacked.TryDecode<long>(bytes, new long[count + 1])); // another number of values
        Assert.True(DeltaBinaryPacked.TryDecode<long>(bytes, into));
        Assert.Equal(values, into);
    }

    [Fact]
    public void DuckDB_reads_the_packed_integer_columns_the_writer_writes()
    {
        var rows = 5_000;
        var longs = Enumerable.Range(0, rows).Select(i => i % 97 == 0 ? long.MinValue + i : i % 89 == 0 ? long.MaxValue - i : (long)i * 1_000_003 % 999_983).ToArray();
        var ints = Enumerable.Range(0, rows).Select(i => i % 5 == 0 ? (int?)null : i % 41 == 0 ? int.MinValue : i % 43 == 0 ? int.MaxValue : i % 11).ToArray();
        var path = Path.Combine(_dir, "ints.parquet");
        using (var s = File.Create(path))
        using (var w = new ParquetFileWriter(s, [new("big", ParquetValueKind.Int64, false), new("small", ParquetValueKind.Int32, true)]))
        {
            foreach (var (from, n) in new[] { (0, 4_000), (4_000, 1_000) }) // two row groups
            {
                w.BeginRowGroup(n);
                w.WriteInt64s(longs.AsSpan(from, n));
                w.WriteNullableInt32s(ints.AsSpan(from, n));
                w.EndRowGroup();
            }
            w.Complete();
        }

        using var db = new DuckDb();
        Assert.Equal("DELTA_BINARY_PACKED", db.Scalar<string>($"SELECT any_value(encodings) FROM parquet_metadata('{path}') WHERE path_in_schema = 'big'"));
        Assert.Equal("UNCOMPRESSED", db.Scalar<string>($"SELECT any_value(compression) FROM parquet_metadata('{path}') WHERE path_in_schema = 'small'"));
        var expected = Enumerable.Range(0, rows).Select(i => string.Join("|", longs[i].ToString(CultureInfo.InvariantCulture),
            ints[i]?.ToString(CultureInfo.InvariantCulture) ?? "null")).ToList();
        Assert.Equal(expected, db.Rows($"SELECT big, small FROM read_parquet('{path}', file_row_number = true) ORDER BY file_row_number"));
    }

    [Fact]
    public void Plain_integer_encoding_writes_PLAIN_with_Snappy_for_readers_without_the_DELTA_encodings()
    {
        var path = Path.Combine(_dir, "plain.parquet");
        var values = Enumerable.Range(0, 3_000).Select(i => (long)i * 7).ToArray();
        using (var s = File.Create(path))
        using (var w = new ParquetFileWriter(s, [new("big", ParquetValueKind.Int64, false)], integers: ParquetIntegerEncoding.Plain))
        {
            w.BeginRowGroup(values.Length);
            w.WriteInt64s(values);
            w.EndRowGroup();
            w.Complete();
        }

        using var db = new DuckDb();
        Assert.Equal("PLAIN", db.Scalar<string>($"SELECT any_value(encodings) FROM parquet_metadata('{path}')"));
        Assert.Equal("SNAPPY", db.Scalar<string>($"SELECT any_value(compression) FROM parquet_metadata('{path}')"));
        Assert.Equal(values.Sum(), db.Scalar<long>($"SELECT sum(big)::BIGINT FROM read_parquet('{path}')"));
    }

    private static bool RoundTrips<T>(T[] values) where T : unmanaged, System.Numerics.IBinaryInteger<T>, System.Numerics.ISignedNumber<T>
    {
        var into = new T[values.Length];
        return DeltaBinaryPacked.TryDecode<T>(Encode(values), into) && into.AsSpan().SequenceEqual(values);
    }

    /// <summary>The miniblock widths of an encoding of <paramref name="count"/> values (its header is four varints).</summary>
    private static List<int> Widths(byte[] bytes, int count)
    {
        var at = 0;
        for (var i = 0; i < 4; i++) Varint(bytes, ref at);
        var widths = new List<int>();
        for (var left = count - 1; left > 0; left -= DeltaBinaryPacked.BlockValues)
        {
            Varint(bytes, ref at);
            var used = (Math.Min(left, DeltaBinaryPacked.BlockValues) + 31) / 32;
            var block = bytes.AsSpan(at, DeltaBinaryPacked.Miniblocks).ToArray();
            at += DeltaBinaryPacked.Miniblocks;
            for (var m = 0; m < used; m++)
            {
                widths.Add(block[m]);
                at += block[m] * 4;
            }
        }
        return widths;
    }

    private static void Varint(byte[] bytes, ref int at)
    {
        while (bytes[at++] >= 0x80) { }
    }
}
