using System.Globalization;
using CsCheck;
using Highwater.Parquet.Reading;
using Highwater.Parquet.Writing;
using Parquet;
using Xunit;

namespace Highwater.Parquet.Tests.Writing;

/// <summary>
/// Every value kind the writer writes, read back by other readers: DuckDB and Parquet.Net read the same values, and the
/// codec's own chunk decoder reads each column as Parquet.Net does. Random columns (seeded; a failure prints its seed)
/// cover nulls, repeated strings (dictionary pages), unique strings (PLAIN), non-ASCII text and both integer encodings.
/// </summary>
public sealed class ParquetFileWriterReadersTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hw-codec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly ParquetColumnSpec[] Columns =
    [
        new("id", ParquetValueKind.Int64, false),
        new("created", ParquetValueKind.TimestampMicrosUtc, false),
        new("qty", ParquetValueKind.Int32, true),
        new("day", ParquetValueKind.Date, true),
        new("price", ParquetValueKind.Decimal, true, 18, 2),
        new("code", ParquetValueKind.Utf8, true),
        new("name", ParquetValueKind.Utf8, false),
        new("units", ParquetValueKind.Int64, true),
        new("amount", ParquetValueKind.Decimal, false, 15, 3),
    ];

    private sealed record Data(long[] Ids, DateTime[] Ats, int?[] Qtys, DateTime?[] Days, decimal?[] Prices, string?[] Codes, string?[] Names, long?[] Units, decimal[] Amounts)
    {
        public int Rows => Ids.Length;
    }

    private static Data Generate(int seed, int rows)
    {
        var r = new Random(seed);
        string[] codes = ["EUR", "USD", "GBP", "JPY", "Zürich", "東京"];
        var epoch = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        return new Data(
            Enumerable.Range(0, rows).Select(i => r.Next(3) == 0 ? r.NextInt64(long.MinValue, long.MaxValue) : 1_000_000L + i * 3).ToArray(),
            Enumerable.Range(0, rows).Select(i => epoch.AddTicks(r.NextInt64(0, TimeSpan.TicksPerDay * 400) / 10 * 10)).ToArray(),
            Enumerable.Range(0, rows).Select(i => r.Next(5) == 0 ? (int?)null : r.Next(int.MinValue, int.MaxValue) / (r.Next(2) == 0 ? 1 : 1_000_000)).ToArray(),
            Enumerable.Range(0, rows).Select(i => r.Next(4) == 0 ? (DateTime?)null : epoch.AddDays(r.Next(-20_000, 20_000))).ToArray(),
            Enumerable.Range(0, rows).Select(i => r.Next(6) == 0 ? (decimal?)null : r.NextInt64(-99_999_999_999, 99_999_999_999) / 100m).ToArray(),
            Enumerable.Range(0, rows).Select(i => r.Next(7) == 0 ? null : codes[r.Next(codes.Length)]).ToArray(),
            Enumerable.Range(0, rows).Select(i => $"order-{seed}-{i}-{(r.Next(9) == 0 ? "é" : "")}{new string('x', r.Next(0, 30))}").ToArray(),
            Enumerable.Range(0, rows).Select(i => r.Next(5) == 0 ? (long?)null : r.NextInt64(long.MinValue, long.MaxValue) / (r.Next(2) == 0 ? 1 : 1_000_000_000)).ToArray(),
            Enumerable.Range(0, rows).Select(i => r.NextInt64(-999_999_999_999_999, 999_999_999_999_999) / 1000m).ToArray());
    }

    private string Write(Data d, ParquetIntegerEncoding integers, int rowGroup)
    {
        var path = Path.Combine(_dir, $"{Guid.NewGuid():N}.parquet");
        using var s = File.Create(path);
        using var w = new ParquetFileWriter(s, Columns, new Dictionary<string, string> { ["written.by"] = "test" }, integers);
        for (var from = 0; from < d.Rows; from += rowGroup)
        {
            var n = Math.Min(rowGroup, d.Rows - from);
            w.BeginRowGroup(n);
            w.WriteInt64s(d.Ids.AsSpan(from, n));
            w.WriteTimestamps(d.Ats.AsSpan(from, n));
            w.WriteNullableInt32s(d.Qtys.AsSpan(from, n));
            w.WriteNullableDates(d.Days.AsSpan(from, n));
            w.WriteNullableDecimals(d.Prices.AsSpan(from, n));
            w.WriteStrings(d.Codes.AsSpan(from, n));
            w.WriteStrings(d.Names.AsSpan(from, n));
            w.WriteNullableInt64s(d.Units.AsSpan(from, n));
            w.WriteDecimals(d.Amounts.AsSpan(from, n));
            w.EndRowGroup();
        }
        w.Complete();
        return path;
    }

    private static string Expected(Data d, int i) => string.Join("|",
        d.Ids[i].ToString(CultureInfo.InvariantCulture),
        ((d.Ats[i].Ticks - DateTime.UnixEpoch.Ticks) / 10).ToString(CultureInfo.InvariantCulture),
        d.Qtys[i]?.ToString(CultureInfo.InvariantCulture) ?? "null",
        d.Days[i]?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "null",
        d.Prices[i]?.ToString("0.00", CultureInfo.InvariantCulture) ?? "null",
        d.Codes[i] ?? "null",
        d.Names[i],
        d.Units[i]?.ToString(CultureInfo.InvariantCulture) ?? "null",
        d.Amounts[i].ToString("0.000", CultureInfo.InvariantCulture));

    [Theory]
    [InlineData(ParquetIntegerEncoding.Delta)]
    [InlineData(ParquetIntegerEncoding.Plain)]
    public void DuckDB_reads_every_value_kind_the_writer_writes(ParquetIntegerEncoding integers)
    {
        Gen.Int[0, 1_000_000].Select(Gen.Int[1, 3_000]).Sample((seed, rows) =>
        {
            var d = Generate(seed, rows);
            var path = Write(d, integers, rowGroup: 1_024);
            using var db = new DuckDb();
            var read = db.Rows($"SELECT id, epoch_us(created), qty, day::VARCHAR, price::VARCHAR, code, name, units, amount::VARCHAR FROM read_parquet('{path}', file_row_number = true) ORDER BY file_row_number");
            Assert.Equal(Enumerable.Range(0, rows).Select(i => Expected(d, i)), read);
            Assert.Equal("test", db.Scalar<string>($"SELECT decode(value) FROM parquet_kv_metadata('{path}') WHERE decode(key) = 'written.by'"));
        }, iter: 12);
    }

    [Fact]
    public async Task Parquet_Net_reads_the_same_values_and_the_chunk_decoder_reads_them_as_Parquet_Net_does()
    {
        var seed = Environment.TickCount;
        Console.WriteLine($"seed {seed}"); // printed so a failure can be replayed
        var d = Generate(seed, 2_500);
        var path = Write(d, ParquetIntegerEncoding.Delta, rowGroup: 1_000);

        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var fields = reader.Schema.DataFields;
        Assert.Equal(Columns.Select(c => c.Name), fields.Select(f => f.Name));
        var at = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var rows = checked((int)rg.RowCount);
            var ids = new long[rows];
            await rg.ReadAsync<long>(fields[0], ids.AsMemory());
            var ats = new DateTime[rows];
            await rg.ReadAsync<DateTime>(fields[1], ats.AsMemory());
            var qtys = new int?[rows];
            await rg.ReadAsync<int>(fields[2], qtys.AsMemory());
            var days = new DateTime?[rows];
            await rg.ReadAsync<DateTime>(fields[3], days.AsMemory());
            var prices = new decimal?[rows];
            await rg.ReadAsync<decimal>(fields[4], prices.AsMemory());
            var codes = new string?[rows];
            await rg.ReadAsync(fields[5], codes.AsMemory());
            var names = new string?[rows];
            await rg.ReadAsync(fields[6], names.AsMemory());
            var units = new long?[rows];
            await rg.ReadAsync<long>(fields[7], units.AsMemory());
            var amounts = new decimal[rows];
            await rg.ReadAsync<decimal>(fields[8], amounts.AsMemory());
            Array[] byParquetNet = [ids, ats, qtys, days, prices, codes, names, units, amounts];

            Assert.Equal(d.Ids.AsSpan(at, rows).ToArray(), ids);
            Assert.Equal(d.Ats.AsSpan(at, rows).ToArray(), ats);
            Assert.Equal(d.Qtys.AsSpan(at, rows).ToArray(), qtys);
            Assert.Equal(d.Days.AsSpan(at, rows).ToArray(), days);
            Assert.Equal(d.Prices.AsSpan(at, rows).ToArray(), prices);
            Assert.Equal(d.Codes.AsSpan(at, rows).ToArray(), codes);
            Assert.Equal(d.Names.AsSpan(at, rows).ToArray(), names);
            Assert.Equal(d.Units.AsSpan(at, rows).ToArray(), units);
            Assert.Equal(d.Amounts.AsSpan(at, rows).ToArray(), amounts);
            for (var c = 0; c < fields.Length; c++)
            {
                var decoded = ColumnChunkDecoder.TryRead(path, reader.Metadata, rg, fields[c], rows, pool: null);
                Assert.NotNull(decoded); // every kind the writer writes is one the decoder reads
                Assert.Equal(byParquetNet[c].Cast<object?>(), decoded!.Cast<object?>());
            }
            at += rows;
        }
        Assert.Equal(d.Rows, at);
    }

    [Fact]
    public void A_decimal_that_does_not_fit_its_column_is_refused_with_the_column_named()
    {
        using var s = new MemoryStream();
        using var w = new ParquetFileWriter(s, [new("price", ParquetValueKind.Decimal, true, 4, 2)]);
        w.BeginRowGroup(1);
        var e = Assert.Throws<ArgumentException>(() => w.WriteNullableDecimals(new decimal?[] { 1.234m }));
        Assert.Contains("column 'price'", e.Message);
        Assert.Contains("DECIMAL(4,2)", e.Message);
        var required = new ParquetFileWriter(new MemoryStream(), [new("amount", ParquetValueKind.Decimal, false, 4, 2)]);
        required.BeginRowGroup(1);
        Assert.Contains("column 'amount': 100.00 does not fit DECIMAL(4,2)",
            Assert.Throws<ArgumentException>(() => required.WriteDecimals(new[] { 100.00m })).Message);
        required.Dispose();
    }
}
