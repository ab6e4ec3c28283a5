using Highwater.Parquet.Reading;
using Parquet;
using Parquet.Schema;
using Xunit;
using static Highwater.Parquet.Tests.Support.ChunkDecoderComparison;

namespace Highwater.Parquet.Tests.Reading;

/// <summary>
/// The chunk decoder (<see cref="ColumnChunkDecoder"/>) on files Parquet.Net writes: every column it decodes must hold
/// exactly what Parquet.Net reads from the same chunk (same array type, values, decimal scale, DateTime kind, nulls);
/// any other column is left to Parquet.Net.
/// </summary>
public sealed class ColumnChunkDecoderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hw-chunks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Files_written_by_Parquet_Net_read_the_same_or_fall_back()
    {
        var schema = new ParquetSchema(
            new DataField<int>("i"), new DataField<int?>("ni"), new DataField<long>("l"), new DataField<long?>("nl"),
            new DecimalDataField("d", 18, 2, isNullable: true), new DecimalDataField("d9", 9, 3, isNullable: false),
            new DateTimeDataField("ts", DateTimeFormat.DateAndTime), new DateTimeDataField("nts", DateTimeFormat.DateAndTime, isNullable: true),
            new DateTimeDataField("date", DateTimeFormat.Date, isNullable: true),
            new DataField<string>("s", false), new DataField<string?>("ns"), new DataField<bool>("b"));
        var random = new Random(7);
        const int n = 3000;
        var path = Path.Combine(_dir, "parquet-net.parquet");
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream))
        {
            for (int group = 0; group < 2; group++)
            {
                using var g = writer.CreateRowGroup();
                var f = schema.DataFields;
                await g.WriteAsync<int>(f[0], Enumerable.Range(0, n).Select(_ => random.Next()).ToArray());
                await g.WriteAsync<int>(f[1], (ReadOnlyMemory<int?>)Enumerable.Range(0, n).Select(_ => random.Next(3) == 0 ? (int?)null : random.Next(-9, 9)).ToArray());
                await g.WriteAsync<long>(f[2], Enumerable.Range(0, n).Select(_ => random.NextInt64()).ToArray());
                await g.WriteAsync<long>(f[3], (ReadOnlyMemory<long?>)Enumerable.Range(0, n).Select(_ => random.Next(3) == 0 ? (long?)null : random.NextInt64(-99, 99)).ToArray());
                await g.WriteAsync<decimal>(f[4], (ReadOnlyMemory<decimal?>)Enumerable.Range(0, n).Select(_ => random.Next(3) == 0 ? (decimal?)null : random.Next(-99999, 99999) / 100m).ToArray());
                await g.WriteAsync<decimal>(f[5], Enumerable.Range(0, n).Select(_ => random.Next(-999999, 999999) / 1000m).ToArray());
                await g.WriteAsync<DateTime>(f[6], Enumerable.Range(0, n).Select(_ => new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc).AddMilliseconds(random.Next())).ToArray());
                await g.WriteAsync<DateTime>(f[7], (ReadOnlyMemory<DateTime?>)Enumerable.Range(0, n).Select(_ => random.Next(3) == 0 ? (DateTime?)null : new DateTime(1960, 5, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(random.NextInt64(0, 1L << 60) / 10 * 10)).ToArray());
                await g.WriteAsync<DateTime>(f[8], (ReadOnlyMemory<DateTime?>)Enumerable.Range(0, n).Select(_ => random.Next(3) == 0 ? (DateTime?)null : new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(random.Next(-3000, 3000))).ToArray());
                await g.WriteAsync(f[9], Enumerable.Range(0, n).Select(_ => random.Next(4) == 0 ? "" : $"v{random.Next(40)}").ToArray());
                await g.WriteAsync(f[10], Enumerable.Range(0, n).Select(i => random.Next(3) == 0 ? null : $"unique-{group}-{i}-ß").ToArray());
                await g.WriteAsync<bool>(f[11], Enumerable.Range(0, n).Select(_ => random.Next(2) == 0).ToArray());
            }
        }

        var (decoded, slices) = await AssertSameAsParquetNetWithSlicesAsync(path);

        Assert.True(slices >= 2, $"only {slices} string chunks were read as slices"); // ns, of distinct values
        Assert.True(decoded >= 2 * 11, $"only {decoded} chunks were decoded directly"); // all but the booleans
    }

    [Fact]
    public async Task Repeated_plain_strings_read_as_Parquet_Net_reads_them_and_share_one_string_each()
    {
        // A dimension's low-cardinality columns as Parquet.Net writes them (PLAIN, no dictionary), with values too long
        // to be remembered, non-ASCII ones, the empty string and nulls among them.
        string?[] choices = [null, "", "DE", "FR", "ünïcødé", "日本", new string('x', 65), new string('y', 200), .. Enumerable.Range(0, 600).Select(i => $"c{i}")];
        var random = new Random(11);
        var values = Enumerable.Range(0, 20_000).Select(_ => choices[random.Next(random.Next(2) == 0 ? 8 : choices.Length)]).ToArray();
        var field = new DataField<string?>("country");
        var path = Path.Combine(_dir, "repeated.parquet");
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(field), stream,
                         new ParquetOptions { DictionaryEncodingThreshold = 0 }))
        {
            using var g = writer.CreateRowGroup();
            await g.WriteAsync(field, values);
        }

        Assert.Equal(1, await AssertSameAsParquetNetAsync(path));
        await using var reader = await ParquetReader.CreateAsync(path);
        using var rg = reader.OpenRowGroupReader(0);
        Assert.DoesNotContain(global::Parquet.Meta.Encoding.RLE_DICTIONARY, rg.GetMetadata(reader.Schema.DataFields[0])!.MetaData!.Encodings);
        var read = (string?[])ColumnChunkDecoder.TryRead(path, reader.Metadata, rg, reader.Schema.DataFields[0], values.Length, null)!;
        Assert.Equal(values, read);
        var shortValues = read.Where(v => v is { Length: <= 32 }).ToList();
        var instances = shortValues.Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.True(instances == shortValues.Distinct().Count(), $"{instances:N0} strings for {shortValues.Distinct().Count()} distinct short values");
    }
}
