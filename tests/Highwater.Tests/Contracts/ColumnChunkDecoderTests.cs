using System.Globalization;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Parquet;
using Parquet.Schema;
using Xunit;

namespace Highwater.Tests.Contracts;

/// <summary>
/// The gate reads column chunks itself (<see cref="ColumnChunkDecoder"/>) where it can; every column it decodes must
/// hold exactly what Parquet.Net reads from the same chunk: same array type, same values, same decimal scale, same
/// DateTime kind, nulls in the same rows.
/// </summary>
public sealed class ColumnChunkDecoderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hw-chunks-" + Guid.NewGuid().ToString("N"));

    public ColumnChunkDecoderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(2, 200, 0)]
    [InlineData(3, 5000, 0)]
    [InlineData(4, 5000, 100)] // ASCII order_ids only, all shorter than 128 bytes: the page is widened whole
    [InlineData(5, 3000, 300)] // ASCII, some of 128 bytes or more (a length prefix that is not ASCII): value by value
    public async Task Mart_files_of_the_own_writer_read_as_Parquet_Net_reads_them(int seed, int rows, int asciiPadding)
    {
        var random = new Random(seed);
        string[] currencies = ["EUR", "USD", "GBP", "€ur", ""];
        var records = Enumerable.Range(0, rows).Select(i => new MartRecord(
            OrderId: random.Next(10) == 0 ? null : $"o-{seed}-{i}-{(random.Next(5) == 0 ? asciiPadding > 0 ? new string('x', random.Next(asciiPadding)) : "é✓" : "")}",
            UserId: random.NextInt64(-5, 1_000_000),
            EventTs: new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(random.NextInt64(0, TimeSpan.TicksPerDay) / 10 * 10),
            ArrivalTs: new DateTime(2025, 1, 2, 0, 0, 0, DateTimeKind.Utc).AddSeconds(random.Next(86_400)),
            Qty: random.Next(7) == 0 ? null : random.Next(-3, 50),
            UnitPrice: random.Next(7) == 0 ? null : random.Next(-1000, 100_000) / 100m,
            TotalPrice: random.Next(3) == 0 ? null : random.Next(0, 10_000_000) / 100m,
            Currency: random.Next(6) == 0 ? null : currencies[random.Next(currencies.Length)],
            Sku: $"sku-{random.Next(rows)}",
            Channel: random.Next(2) == 0 ? "web" : "app",
            Country: null,
            Segment: "retail",
            SignupDate: random.Next(4) == 0 ? null : new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(random.Next(2000)),
            SourceKey: $"events/2025-01-01/part-{random.Next(4)}.json")).ToList();
        var path = Path.Combine(_dir, $"mart-{seed}.parquet");
        await using (var stream = File.Create(path)) await MartPartitionFile.WriteAsync(stream, records);

        var (decoded, slices) = await AssertSameAsParquetNetWithSlicesAsync(path);

        Assert.Equal(Schemas.SalesMart.Schema.DataFields.Length, decoded); // every mart column is read here
        Assert.True(slices >= 1, "order_id was not read as slices"); // order_id (and sku when it does not repeat)
    }

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

    /// <summary>Compares every chunk the decoder reads with Parquet.Net's reading; returns how many it read.</summary>
    private static async Task<int> AssertSameAsParquetNetAsync(string path) => (await AssertSameAsParquetNetWithSlicesAsync(path)).Decoded;

    /// <summary>Also compares the string columns read as slices; returns how many chunks were read either way.</summary>
    private static async Task<(int Decoded, int DecodedSlices)> AssertSameAsParquetNetWithSlicesAsync(string path)
    {
        int decoded = 0, decodedSlices = 0;
        await using var reader = await ParquetReader.CreateAsync(path);
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            int rows = checked((int)rg.RowCount);
            foreach (var field in reader.Schema.DataFields)
            {
                if (ColumnChunkDecoder.TryReadSlices(path, reader.Metadata, rg, field, rows, new ColumnBufferPool()) is { } slices)
                {
                    // A string column without a dictionary: its slices hold the strings Parquet.Net reads.
                    decodedSlices++;
                    var strings = (string?[])await FieldColumns.ReadAsync(rg, field, rows, CancellationToken.None);
                    for (int i = 0; i < rows; i++)
                    {
                        Assert.Equal(strings[i] is null, slices.IsNull(i));
                        Assert.Equal(strings[i] ?? "", slices[i].ToString());
                    }

                    Assert.Equal(strings, slices.Strings);
                    slices.Release();
                }

                var direct = ColumnChunkDecoder.TryRead(path, reader.Metadata, rg, field, rows, new ColumnBufferPool());
                if (direct is null) continue;
                decoded++;
                var expected = await FieldColumns.ReadAsync(rg, field, rows, CancellationToken.None);
                Assert.Equal(expected.GetType(), direct.GetType());
                Assert.Equal(expected.Length, direct.Length);
                for (int i = 0; i < rows; i++)
                    Assert.True(Describe(expected.GetValue(i)) == Describe(direct.GetValue(i)),
                        $"{field.Name}[{i}] of row group {g}: {Describe(expected.GetValue(i))} read as {Describe(direct.GetValue(i))}");
            }
        }

        return (decoded, decodedSlices);
    }

    private static string Describe(object? value) => value switch
    {
        null => "null",
        DateTime d => $"{d.Ticks} {d.Kind}",
        decimal m => m.ToString(CultureInfo.InvariantCulture), // the scale shows: 1.50 is not 1.5
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => $"\"{value}\"",
    };
}
