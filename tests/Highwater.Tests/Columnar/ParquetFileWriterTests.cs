using System.Globalization;
using CsCheck;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>
/// The mart's Parquet writer, read back by two independent readers: Parquet.Net (what Transform and the gate read
/// with) and DuckDB (types, values, statistics and row groups as another engine sees them).
/// </summary>
public sealed class ParquetFileWriterTests : IDisposable
{
    private static readonly DateTime T0 = new(2026, 1, 25, 8, 0, 0, DateTimeKind.Utc);
    private readonly string _dir = Directory.CreateTempSubdirectory("hw-parquet-").FullName;

    /// <summary>Rows with nulls in every nullable column, non-ASCII text, repeated and unique strings, extreme values.</summary>
    private static MartRecord Row(int i) => new(
        i % 7 == 0 ? null : i % 11 == 0 ? $"ö-{i}-€" : $"O-{i:D7}",
        i % 13 == 0 ? long.MinValue + i : 1000 + i,
        T0.AddTicks(i * 10_000_010L),                  // whole microseconds, some before others by less than a second
        T0.AddDays(-20_000).AddSeconds(i),             // before 1970: negative microseconds
        i % 5 == 0 ? null : i % 17 == 0 ? int.MinValue : i % 19 == 0 ? int.MaxValue : i % 9,
        i % 3 == 0 ? null : i % 23 == 0 ? -99_999_999_999_999.99m : 1.25m * (i % 400),
        i % 3 == 0 || i % 5 == 0 ? null : i % 29 == 0 ? 99_999_999_999_999.99m : 0.01m * i,
        i % 4 == 0 ? null : i % 2 == 0 ? "EUR" : "USD",
        $"SKU-{i % 300}",
        i % 10 == 0 ? "" : "web",
        null,                                          // a column of nulls only
        i % 6 == 0 ? "smb" : "日本",
        i % 8 == 0 ? null : new DateTime(1969 + i % 80, 1 + i % 12, 1 + i % 28, 0, 0, 0, DateTimeKind.Utc),
        $"events/2026-01-25/f{i % 3}.json");

    private static List<MartRecord> Rows(int count) => Enumerable.Range(0, count).Select(Row).ToList();

    private async Task<string> WriteAsync(List<MartRecord> rows, string name = "part.parquet")
    {
        var path = Path.Combine(_dir, name);
        await using var s = File.Create(path);
        await MartTestRows.WriteAsync(s, rows);
        return path;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(ParquetColumns.RowGroupRows + 777)] // two row groups
    public async Task Parquet_Net_reads_back_every_row_as_written(int count)
    {
        var rows = Rows(count);
        var path = await WriteAsync(rows);

        var read = new List<MartRecord>();
        await using (var s = File.OpenRead(path)) await MartTestRows.ReadAsync(s, path, read);

        Assert.Equal(rows, read);
    }

    [Fact]
    public async Task DuckDB_sees_the_mart_types_and_the_same_values()
    {
        var rows = Rows(ParquetColumns.RowGroupRows + 777);
        var path = await WriteAsync(rows);
        using var db = new DuckDb();

        var types = db.Rows($"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{path}'))");
        Assert.Equal([
            "order_id|VARCHAR", "user_id|BIGINT", "event_ts|TIMESTAMP WITH TIME ZONE", "arrival_ts|TIMESTAMP WITH TIME ZONE",
            "qty|INTEGER", "unit_price|DECIMAL(18,2)", "total_price|DECIMAL(18,2)", "currency|VARCHAR", "sku|VARCHAR",
            "channel|VARCHAR", "country|VARCHAR", "segment|VARCHAR", "signup_date|DATE", "source_key|VARCHAR"], types);

        var expected = rows.Select(r => string.Join("|",
            r.OrderId ?? "null", r.UserId.ToString(CultureInfo.InvariantCulture), Ts(r.EventTs), Ts(r.ArrivalTs),
            r.Qty?.ToString(CultureInfo.InvariantCulture) ?? "null", Money(r.UnitPrice), Money(r.TotalPrice),
            r.Currency ?? "null", r.Sku ?? "null", r.Channel ?? "null", r.Country ?? "null", r.Segment ?? "null",
            r.SignupDate is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "null", r.SourceKey)).ToList();
        var actual = db.Rows($"SELECT * EXCLUDE (file_row_number) FROM read_parquet('{path}', file_row_number = true) ORDER BY file_row_number");
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Row_groups_carry_min_max_and_null_counts_that_DuckDB_reads()
    {
        var rows = Rows(5000);
        var path = await WriteAsync(rows);
        using var db = new DuckDb();

        string Stat(string column, string what) => db.Scalar<string>(
            $"SELECT {what} FROM parquet_metadata('{path}') WHERE path_in_schema = '{column}'");

        Assert.Equal(rows.Count(r => r.Qty is null).ToString(CultureInfo.InvariantCulture), Stat("qty", "stats_null_count"));
        Assert.Equal(int.MinValue.ToString(CultureInfo.InvariantCulture), Stat("qty", "stats_min_value"));
        Assert.Equal(int.MaxValue.ToString(CultureInfo.InvariantCulture), Stat("qty", "stats_max_value"));
        Assert.Equal(rows.Count.ToString(CultureInfo.InvariantCulture), Stat("country", "stats_null_count"));
        Assert.Equal("0", Stat("event_ts", "stats_null_count"));
        // Statistics are used for filtering: a predicate on the timestamps and on a dictionary string agrees with a scan.
        var cut = rows[2500].EventTs;
        Assert.Equal(rows.Count(r => r.EventTs >= cut && r.Sku == "SKU-7"),
            db.Scalar<long>($"SELECT count(*) FROM read_parquet('{path}') WHERE event_ts >= TIMESTAMPTZ '{Ts(cut)}Z' AND sku = 'SKU-7'"));
        var orderIds = rows.Select(r => r.OrderId).OfType<string>().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(orderIds[0], Stat("order_id", "stats_min_value"));
        Assert.Equal(orderIds[^1], Stat("order_id", "stats_max_value"));
        Assert.Equal(rows.Min(r => r.EventTs), DateTime.Parse(Stat("event_ts", "stats_min_value"), CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal));
    }

    [Fact]
    public async Task Each_chunks_encoding_stats_name_its_pages_and_their_encodings()
    {
        var path = await WriteAsync(Rows(10_000));
        await using var reader = await global::Parquet.ParquetReader.CreateAsync(path);
        using var rg = reader.OpenRowGroupReader(0);
        string Pages(string column) => string.Join(" ", rg.GetMetadata(reader.Schema.DataFields.Single(f => f.Name == column))!.MetaData!.EncodingStats!
            .Select(p => $"{p.PageType}:{p.Encoding}:{p.Count}"));

        Assert.Equal("DICTIONARY_PAGE:PLAIN:1 DATA_PAGE:RLE_DICTIONARY:1", Pages("sku"));
        Assert.Equal("DATA_PAGE:PLAIN:1", Pages("order_id"));
        Assert.Equal("DATA_PAGE:DELTA_BINARY_PACKED:1", Pages("qty"));
        Assert.Equal("DATA_PAGE:PLAIN:1", Pages("event_ts"));
    }

    [Fact]
    public async Task Repeating_strings_are_dictionary_encoded_and_unique_ones_plain()
    {
        var path = await WriteAsync(Rows(10_000));
        using var db = new DuckDb();

        string Encodings(string column) => db.Scalar<string>($"SELECT encodings FROM parquet_metadata('{path}') WHERE path_in_schema = '{column}'");

        Assert.Contains("RLE_DICTIONARY", Encodings("sku"));
        Assert.Contains("RLE_DICTIONARY", Encodings("source_key"));
        Assert.DoesNotContain("DICTIONARY", Encodings("order_id"));
        Assert.Equal("SNAPPY", db.Scalar<string>($"SELECT DISTINCT compression FROM parquet_metadata('{path}')"));
    }

    [Fact]
    public async Task A_column_of_a_few_thousand_values_in_random_order_is_dictionary_encoded()
    {
        // As sku in the benchmark's data: 4,000 values drawn at random, so the first thousand rows are mostly distinct.
        var random = new Random(7);
        var rows = Rows(50_000).Select(r => r with { Sku = $"SKU-{1000 + random.Next(4000)}" }).ToList();
        var path = await WriteAsync(rows);
        using var db = new DuckDb();

        Assert.Contains("RLE_DICTIONARY", db.Scalar<string>($"SELECT encodings FROM parquet_metadata('{path}') WHERE path_in_schema = 'sku'"));
        Assert.Equal(rows.Select(r => r.Sku).Distinct().Count(), db.Scalar<long>($"SELECT count(DISTINCT sku) FROM '{path}'"));
        Assert.Equal(rows.Count(r => r.Sku == "SKU-1234"), db.Scalar<long>($"SELECT count(*) FROM '{path}' WHERE sku = 'SKU-1234'"));
    }

    [Fact]
    public async Task A_column_of_tens_of_thousands_of_values_in_random_order_is_dictionary_encoded_and_a_nearly_unique_one_plain()
    {
        // As sku in producers' data: 40,000 values at random, so the first run of the column is 95% distinct; and
        // channel replaced by 250,000 values at random in as many rows (nearly unique: plain).
        var random = new Random(11);
        var rows = Rows(200_000).Select(r => r with { Sku = $"SKU-{random.Next(40_000):D5}", Channel = $"C-{random.Next(250_000)}" }).ToList();
        var path = await WriteAsync(rows);
        using var db = new DuckDb();

        string Encodings(string column) => db.Scalar<string>($"SELECT encodings FROM parquet_metadata('{path}') WHERE path_in_schema = '{column}'");
        Assert.Contains("RLE_DICTIONARY", Encodings("sku"));
        Assert.DoesNotContain("DICTIONARY", Encodings("channel"));
        Assert.Equal(rows.Select(r => r.Sku).Distinct().Count(), db.Scalar<long>($"SELECT count(DISTINCT sku) FROM '{path}'"));
        Assert.Equal(rows.Count(r => r.Sku == "SKU-01234"), db.Scalar<long>($"SELECT count(*) FROM '{path}' WHERE sku = 'SKU-01234'"));
        Assert.Equal(rows.Count(r => r.Channel == rows[7].Channel), db.Scalar<long>($"SELECT count(*) FROM '{path}' WHERE channel = '{rows[7].Channel}'"));
    }

    [Fact]
    public async Task The_same_rows_give_the_same_bytes()
    {
        var a = await File.ReadAllBytesAsync(await WriteAsync(Rows(3000), "a.parquet"));
        var b = await File.ReadAllBytesAsync(await WriteAsync(Rows(3000), "b.parquet"));
        Assert.Equal(a, b);
    }

    [Fact]
    public async Task Footer_metadata_is_written_for_readers()
    {
        var rows = Rows(100);
        using var s = new MemoryStream();
        await MartTestRows.WriteAsync(s, rows, withOrderIdFilter: true);
        s.Position = 0;
        var read = new List<MartRecord>();
        Assert.True(await MartTestRows.ReadAsync(s, "x", read, keep: null, wanted: [rows[1].OrderId!]));
        s.Position = 0;
        Assert.False(await MartTestRows.ReadAsync(s, "x", read, keep: null, wanted: ["not-an-order"]));
    }

    [Fact]
    public void Values_that_do_not_fit_the_schema_are_refused_naming_the_column()
    {
        using var s = new MemoryStream();
        using var w = new ParquetFileWriter(s, [
            new("price", ParquetValueKind.Decimal, true, 18, 2),
            new("name", ParquetValueKind.Utf8, false),
        ]);
        w.BeginRowGroup(1);
        var e = Assert.Throws<ArgumentException>(() => w.WriteNullableDecimals([1.005m]));
        Assert.Contains("price", e.Message);
        Assert.Throws<ArgumentException>(() => w.WriteNullableDecimals([100_000_000_000_000_000m])); // 10^17 > DECIMAL(18,2)
        Assert.Throws<InvalidOperationException>(() => w.WriteStrings(["x"])); // out of schema order
        w.WriteNullableDecimals([1.25m]);
        var n = Assert.Throws<ArgumentException>(() => w.WriteStrings([null]));
        Assert.Contains("name", n.Message);
        Assert.Contains("required", n.Message);
    }

    [Fact]
    public async Task Property_money_round_trips_at_any_scale_of_the_decimal_and_is_refused_when_it_does_not_fit()
    {
        // Decimals of 0 to 4 places (1.5m, 1.50m and 1.500m are one value), signs, and magnitudes around DECIMAL(18,2)'s
        // limit of 10^16: the writer reads the unscaled value from the bits or refuses the value, as decimal arithmetic would.
        var gen = Gen.Int[0, 17].SelectMany(digits => Gen.Select(Gen.ULong[0, (ulong)Math.Pow(10, digits)], Gen.Int[0, 4], Gen.Int[0, 2], Gen.Bool,
            (m, places, trailing, negative) =>
            {
                var unscaled = m * (ulong)Math.Pow(10, trailing); // 1.5 written as 1.50 or 1.500 as well
                return new decimal((int)(uint)unscaled, (int)(uint)(unscaled >> 32), 0, negative, (byte)(places + trailing));
            }));
        var i = 0;
        await gen.SampleAsync(async price =>
        {
            var fits = decimal.Truncate(price * 100) == price * 100 && Math.Abs(price) < 10_000_000_000_000_000m;
            var row = Row(1) with { UnitPrice = price, TotalPrice = -price };
            if (!fits)
            {
                await Assert.ThrowsAsync<ArgumentException>(() => WriteAsync([row], $"p{Interlocked.Increment(ref i)}.parquet"));
                return;
            }
            var path = await WriteAsync([row], $"p{Interlocked.Increment(ref i)}.parquet"); // samples run on several threads
            var read = new List<MartRecord>();
            await using (var s = File.OpenRead(path)) await MartTestRows.ReadAsync(s, path, read);
            Assert.Equal(price, Assert.Single(read).UnitPrice);
            Assert.Equal(-price, read[0].TotalPrice);
        }, iter: 300);
    }

    private static string Ts(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private static string Money(decimal? m) => m is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "null";

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
