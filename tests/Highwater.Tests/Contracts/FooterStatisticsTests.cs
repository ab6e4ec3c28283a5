using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.QualityGate;
using Parquet;
using Xunit;

namespace Highwater.Tests.Contracts;

/// <summary>
/// The gate passes a row group by its footer statistics when they settle a check (not_null by a null count of zero,
/// min and max by the chunk's bounds) and decodes the column only for the row groups they do not: the report, the
/// quarantine and the filtered files must be exactly those of a pass that scans every row.
/// </summary>
public sealed class FooterStatisticsTests : IDisposable
{
    private static readonly DateTime Day = new(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly ContractFixtures _fx = new();

    public void Dispose() => _fx.Dispose();

    private static List<SalesRow> Rows(int day, int count) => Enumerable.Range(0, count).Select(i => new SalesRow
    {
        OrderId = $"O-{day}-{i}",
        UserId = 1 + i % 50,
        EventTs = Day.AddDays(day - 1).AddSeconds(i * 13),
        ArrivalTs = Day.AddDays(day - 1).AddSeconds(i * 13 + 40),
        Qty = i % 7 == 0 ? null : 1 + i % 5,
        UnitPrice = i % 11 == 0 ? null : 0.5m + i % 40,
        TotalPrice = 1m + i % 90,
        SignupDate = i % 9 == 0 ? null : new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(i % 700),
        Currency = (i % 3) switch { 0 => "EUR", 1 => "USD", _ => "GBP" },
        Channel = i % 4 == 0 ? "app" : "web",
    }).ToList();

    [Fact]
    public async Task The_marts_writer_states_each_chunks_null_count_and_bounds_as_the_rows_read()
    {
        var rows = Rows(1, 500);
        var file = await _fx.WriteMartAsync("2024-03-01", rows);

        await using var reader = await ParquetReader.CreateAsync(file.Path);
        using var rg = reader.OpenRowGroupReader(0);
        ChunkStatistics Of(string column) =>
            ChunkStatistics.Of(file.Path, reader.Metadata, rg, reader.Schema.DataFields.Single(f => f.Name == column)) ?? throw new Xunit.Sdk.XunitException(column);

        void AssertChunk(string column, long nulls, object? min, object? max)
        {
            var s = Of(column);
            Assert.Equal(nulls, s.NullCount);
            Assert.Equal(min, s.Min);
            Assert.Equal(max, s.Max);
        }

        AssertChunk("qty", rows.Count(r => r.Qty is null), (decimal)rows.Min(r => r.Qty)!, (decimal)rows.Max(r => r.Qty)!);
        AssertChunk("unit_price", rows.Count(r => r.UnitPrice is null), rows.Min(r => r.UnitPrice), rows.Max(r => r.UnitPrice));
        AssertChunk("user_id", 0, (decimal)rows.Min(r => r.UserId), (decimal)rows.Max(r => r.UserId));
        AssertChunk("event_ts", 0, rows.Min(r => r.EventTs), rows.Max(r => r.EventTs));
        Assert.Equal(DateTimeKind.Utc, Assert.IsType<DateTime>(Of("event_ts").Max).Kind);
        AssertChunk("signup_date", rows.Count(r => r.SignupDate is null), rows.Min(r => r.SignupDate), rows.Max(r => r.SignupDate));

        // Strings get no bounds (UTF-8 byte order is not .NET's ordinal order); their null count still holds.
        var orderId = Of("order_id");
        Assert.Equal(0L, orderId.NullCount);
        Assert.Null(orderId.Min);
        Assert.Null(orderId.Max);
        Assert.Null(orderId.DictionaryStrings()); // PLAIN: no dictionary

        // A dictionary-encoded string column gives its dictionary: the values its rows use.
        var currency = Of("currency");
        Assert.Null(currency.Min);
        Assert.Equal(rows.Select(r => r.Currency).Distinct().Order(StringComparer.Ordinal), currency.DictionaryStrings()!.Order(StringComparer.Ordinal));
        Assert.Null(Of("qty").DictionaryStrings());
    }

    [Fact]
    public async Task A_file_that_declares_no_column_order_gives_null_counts_but_no_bounds()
    {
        // Parquet.Net writes min_value and max_value without the file's column_orders, which the format says to ignore.
        var file = await _fx.WriteSalesAsync("2024-03-01", Rows(1, 100));

        await using var reader = await ParquetReader.CreateAsync(file.Path);
        using var rg = reader.OpenRowGroupReader(0);
        var qty = ChunkStatistics.Of(file.Path, reader.Metadata, rg, reader.Schema.DataFields.Single(f => f.Name == "qty"))!;
        Assert.NotNull(rg.GetMetadata(reader.Schema.DataFields.Single(f => f.Name == "qty"))!.MetaData!.Statistics!.MinValue);
        Assert.Equal(15L, qty.NullCount);
        Assert.Null(qty.Min);
        Assert.Null(qty.Max);
    }

    private const string Checks = """
        - name: order_id_not_null
          column: order_id
          not_null: true
        - name: qty_at_least_1
          column: qty
          min: 1
        - name: qty_at_most_5
          column: qty
          max: 5
        - name: unit_price_below_40
          column: unit_price
          max: 40
          inclusive: false
        - name: signup_after_2020
          column: signup_date
          min: 2020-01-01
        - name: total_price_not_negative
          column: total_price
          min: 0
          severity: quarantine
        - name: signup_date_present
          column: signup_date
          not_null: true
          severity: warn
        - name: currency_iso_code
          column: currency
          pattern: '^[A-Z]{3}$'
        - name: channel_known
          column: channel
          accepted_values: [web, app]
          severity: quarantine
        """;

    [Fact]
    public async Task Row_groups_the_statistics_settle_are_not_scanned_and_the_report_is_that_of_a_full_scan()
    {
        var contract = ContractFixtures.SalesContract(Checks, "max_quarantined_fraction: 0.5");
        var bad = Rows(2, 400);
        bad[17] = bad[17] with { OrderId = null };
        bad[101] = bad[101] with { Qty = 0 };
        bad[102] = bad[102] with { Qty = 6 };
        bad[203] = bad[203] with { UnitPrice = 40m };
        bad[250] = bad[250] with { SignupDate = new DateTime(2019, 12, 31, 0, 0, 0, DateTimeKind.Utc) };
        bad[301] = bad[301] with { TotalPrice = -1m };
        bad[333] = bad[333] with { Currency = "eur" };
        bad[350] = bad[350] with { Channel = "fax" };
        var files = new List<DatasetFile>
        {
            await _fx.WriteMartAsync("2024-03-01", Rows(1, 300)),
            await _fx.WriteMartAsync("2024-03-02", bad),
            await _fx.WriteMartAsync("2024-03-03", Rows(3, 350)),
        };

        var scanned = await _fx.RunGateAsync(contract, files, new ContractGate { UseStatistics = false }, "scan");
        var proven = await _fx.RunGateAsync(contract, files, new ContractGate(), "stats");

        ContractFixtures.AssertSameRun(scanned, proven);

        var checks = proven.Report.Checks.ToDictionary(c => c.Name);
        foreach (var name in new[] { "order_id_not_null", "qty_at_least_1", "qty_at_most_5", "unit_price_below_40", "signup_after_2020", "total_price_not_negative",
                     "currency_iso_code", "channel_known" })
        {
            Assert.Equal(1, checks[name].FailingCount);
            // The quarantine check judges every row; the others, the rows it kept.
            Assert.Equal(name is "total_price_not_negative" or "channel_known" ? 1050 : 1048, checks[name].RowsChecked);
            // The two clean files pass by their footers; the one with the offending row is scanned and the row found.
            Assert.Equal(2, checks[name].RowGroupsByStatistics);
        }

        // Every file has null signup dates: the null counts prove nothing, and each is scanned.
        Assert.Equal(0, checks["signup_date_present"].RowGroupsByStatistics);
        Assert.True(checks["signup_date_present"].FailingCount > 0);
        Assert.Equal(1, checks["total_price_not_negative"].RowsQuarantined);
        Assert.Equal(1, checks["channel_known"].RowsQuarantined);
        Assert.All(scanned.Report.Checks, c => Assert.Equal(0, c.RowGroupsByStatistics));
    }

    [Fact]
    public async Task A_bound_the_statistics_do_not_settle_is_judged_row_by_row()
    {
        // Every file's smallest qty is 1 and largest 5: a min of 2 and a max of 4 fail somewhere in each, so each is scanned.
        var contract = ContractFixtures.SalesContract("""
            - name: qty_at_least_2
              column: qty
              min: 2
            - name: qty_at_most_4
              column: qty
              max: 4
            """);
        var files = new List<DatasetFile> { await _fx.WriteMartAsync("2024-03-01", Rows(1, 70)), await _fx.WriteMartAsync("2024-03-02", Rows(2, 35)) };

        var report = (await _fx.RunGateAsync(contract, files, new ContractGate(), "bounds")).Report;

        var rows = Rows(1, 70).Concat(Rows(2, 35)).ToList();
        var atLeast2 = report.Checks.Single(c => c.Name == "qty_at_least_2");
        var atMost4 = report.Checks.Single(c => c.Name == "qty_at_most_4");
        Assert.Equal(rows.Count(r => r.Qty < 2), atLeast2.FailingCount);
        Assert.Equal(rows.Count(r => r.Qty > 4), atMost4.FailingCount);
        Assert.Equal(0, atLeast2.RowGroupsByStatistics);
        Assert.Equal(0, atMost4.RowGroupsByStatistics);
    }
}
