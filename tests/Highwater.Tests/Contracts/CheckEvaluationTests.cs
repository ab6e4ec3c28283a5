using Highwater.Pipeline;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.QualityGate;
using Xunit;

namespace Highwater.Tests.Contracts;

/// <summary>Every check type: its pass, its fail and its boundary, evaluated by the gate on real Parquet files.</summary>
public sealed class CheckEvaluationTests : IDisposable
{
    private readonly ContractFixtures _fx = new();

    public void Dispose() => _fx.Dispose();

    private static readonly SalesRow Row = new();

    private async Task<CheckResult> RunAsync(string checks, params SalesRow[] rows)
    {
        var report = await RunReportAsync(checks, rows);
        Assert.Equal(CheckStatus.Pass, report.Checks[0].Status); // schema
        return Assert.Single(report.Checks, c => c.Type != "schema" && c.Type != "quarantined_fraction");
    }

    private async Task<GateReport> RunReportAsync(string checks, SalesRow[] rows)
    {
        var contract = ContractFixtures.SalesContract(checks);
        var file = await _fx.WriteSalesAsync("2024-03-01", rows);
        return await new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None);
    }

    private static void AssertPass(CheckResult r, long rowsChecked)
    {
        Assert.Equal(CheckStatus.Pass, r.Status);
        Assert.Equal(0, r.FailingCount);
        Assert.Empty(r.Samples);
        Assert.Equal(rowsChecked, r.RowsChecked);
    }

    private static void AssertFail(CheckResult r, long failing)
    {
        Assert.Equal(CheckStatus.Fail, r.Status);
        Assert.Equal(failing, r.FailingCount);
        Assert.Equal((int)Math.Min(failing, CheckResult.MaxSamples), r.Samples.Count);
    }

    // not_null

    [Fact]
    public async Task Not_null_passes_when_all_values_are_present() =>
        AssertPass(await RunAsync("- column: order_id\n  not_null: true", Row, Row with { OrderId = "" }), 2);

    [Fact]
    public async Task Not_null_fails_on_a_null_and_samples_the_row()
    {
        var r = await RunAsync("- column: order_id\n  not_null: true", Row, Row with { OrderId = null, UserId = 42 });
        AssertFail(r, 1);
        Assert.StartsWith("dt=2024-03-01, order_id=null, user_id=42, event_ts=2024-03-01T10:00:00Z, ", r.Samples[0]);
        Assert.Equal(["order_id"], r.Columns);
    }

    // unique

    [Fact]
    public async Task Unique_passes_for_distinct_keys_and_ignores_nulls() =>
        AssertPass(await RunAsync("- column: order_id\n  unique: true", Row with { OrderId = "a" }, Row with { OrderId = "b" }, Row with { OrderId = null }, Row with { OrderId = null }), 4);

    [Fact]
    public async Task Unique_fails_on_each_repeated_key_within_a_partition()
    {
        var r = await RunAsync("- column: order_id\n  unique: true\n  within: [dt]",
            Row with { OrderId = "a" }, Row with { OrderId = "a" }, Row with { OrderId = "a" }, Row with { OrderId = "b" });
        AssertFail(r, 2);
        Assert.Equal(["dt", "order_id"], r.Columns);
    }

    [Fact]
    public async Task Unique_within_dt_allows_the_same_key_on_different_days()
    {
        var contract = ContractFixtures.SalesContract("- column: order_id\n  unique: true\n  within: [dt]");
        var day1 = await _fx.WriteSalesAsync("2024-03-01", [Row with { OrderId = "a" }]);
        var day2 = await _fx.WriteSalesAsync("2024-03-02", [Row with { OrderId = "a" }]);
        var report = await new ContractGate().EvaluateAsync(contract, [day1, day2], _fx.Context(), CancellationToken.None);
        AssertPass(report.Checks[1], 2);

        var across = ContractFixtures.SalesContract("- column: order_id\n  unique: true");
        report = await new ContractGate().EvaluateAsync(across, [day1, day2], _fx.Context(), CancellationToken.None);
        AssertFail(report.Checks[1], 1);
    }

    [Fact]
    public async Task Unique_on_several_columns_treats_null_as_a_value()
    {
        const string check = "- columns: [country, segment]\n  unique: true";
        AssertPass(await RunAsync(check, Row with { Country = "DE", Segment = null }, Row with { Country = "FR", Segment = null }, Row with { Country = null, Segment = null }, Row with { Country = null, Segment = null }), 4);
        AssertFail(await RunAsync(check, Row with { Country = "DE", Segment = null }, Row with { Country = "DE", Segment = null }), 1);
    }

    [Fact]
    public async Task Unique_compares_keys_across_row_groups()
    {
        var contract = ContractFixtures.SalesContract("- column: order_id\n  unique: true");
        var rows = Enumerable.Range(0, 10).Select(i => Row with { OrderId = $"o{i % 7}" }).ToArray();
        var file = await _fx.WriteSalesAsync("2024-03-01", rows, rowGroupSize: 3);
        var report = await new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None);
        AssertFail(report.Checks[1], 3);
        Assert.Equal(10, report.RowsChecked);
    }

    // accepted_values

    [Fact]
    public async Task Accepted_values_passes_for_listed_values_and_nulls() =>
        AssertPass(await RunAsync("- column: channel\n  accepted_values: [web, app]", Row with { Channel = "web" }, Row with { Channel = "app" }, Row with { Channel = null }), 3);

    [Fact]
    public async Task Accepted_values_is_case_sensitive_and_warns_at_warn_severity()
    {
        var r = await RunAsync("- column: channel\n  accepted_values: [web, app]\n  severity: warn", Row with { Channel = "Web" }, Row with { Channel = "fax" });
        Assert.Equal(CheckStatus.Warn, r.Status);
        Assert.Equal(2, r.FailingCount);
    }

    [Fact]
    public async Task Accepted_values_compares_numbers_by_value() =>
        AssertPass(await RunAsync("- column: qty\n  accepted_values: [1, 2]", Row with { Qty = 2 }, Row with { Qty = 1 }), 2);

    // min / max

    [Theory]
    [InlineData("min: 1", 1, true)]
    [InlineData("min: 1", 0, false)]
    [InlineData("min: 1\n  inclusive: false", 1, false)]
    [InlineData("min: 1\n  inclusive: false", 2, true)]
    [InlineData("max: 10", 10, true)]
    [InlineData("max: 10", 11, false)]
    [InlineData("max: 10\n  inclusive: false", 10, false)]
    [InlineData("max: 10\n  inclusive: false", 9, true)]
    [InlineData("min: -5", -5, true)]
    public async Task Min_and_max_respect_the_inclusive_flag(string bound, int qty, bool passes)
    {
        var r = await RunAsync($"- column: qty\n  {bound}", Row with { Qty = qty }, Row with { Qty = null });
        if (passes) AssertPass(r, 2);
        else AssertFail(r, 1);
    }

    [Theory]
    [InlineData("0", "0.00", true)]
    [InlineData("0", "-0.01", false)]
    [InlineData("0.01", "0.01", true)]
    [InlineData("0.01", "0.00", false)]
    public async Task Min_on_a_decimal_column_compares_exactly(string bound, string price, bool passes)
    {
        var r = await RunAsync($"- column: unit_price\n  min: {bound}", Row with { UnitPrice = decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(passes ? CheckStatus.Pass : CheckStatus.Fail, r.Status);
    }

    [Theory]
    [InlineData("2024-03-01T10:00:00Z", true)]
    [InlineData("2024-03-01T09:59:59Z", false)]
    public async Task Max_on_a_timestamp_column_takes_an_iso_timestamp(string bound, bool passes)
    {
        var r = await RunAsync($"- column: event_ts\n  max: '{bound}'", Row);
        Assert.Equal(passes ? CheckStatus.Pass : CheckStatus.Fail, r.Status);
    }

    [Theory]
    [InlineData("2024-03-01", true)]
    [InlineData("2024-03-02", false)]
    public async Task Min_on_the_partition_column_takes_a_date(string bound, bool passes)
    {
        var r = await RunAsync($"- column: dt\n  min: {bound}", Row);
        Assert.Equal(passes ? CheckStatus.Pass : CheckStatus.Fail, r.Status);
    }

    // pattern

    [Fact]
    public async Task Pattern_passes_for_matching_values_and_nulls() =>
        AssertPass(await RunAsync("- column: currency\n  pattern: '^[A-Z]{3}$'", Row with { Currency = "EUR" }, Row with { Currency = null }), 2);

    [Theory]
    [InlineData("eur")]
    [InlineData("EURO")]
    [InlineData("EU")]
    [InlineData("")]
    public async Task Pattern_fails_for_non_matching_values(string currency)
    {
        var r = await RunAsync("- column: currency\n  pattern: '^[A-Z]{3}$'", Row with { Currency = currency });
        AssertFail(r, 1);
    }

    [Fact]
    public async Task Pattern_is_unanchored_unless_written_with_anchors() =>
        AssertPass(await RunAsync("- column: currency\n  pattern: '[A-Z]{3}'", Row with { Currency = "xEURx" }), 1);

    // length

    [Theory]
    [InlineData("{min: 2, max: 3}", "ab", true)]
    [InlineData("{min: 2, max: 3}", "abc", true)]
    [InlineData("{min: 2, max: 3}", "a", false)]
    [InlineData("{min: 2, max: 3}", "abcd", false)]
    [InlineData("{min: 1}", "", false)]
    [InlineData("{max: 0}", "", true)]
    public async Task Length_bounds_are_inclusive(string bounds, string sku, bool passes)
    {
        var r = await RunAsync($"- column: sku\n  length: {bounds}", Row with { Sku = sku }, Row with { Sku = null });
        if (passes) AssertPass(r, 2);
        else AssertFail(r, 1);
    }

    // row_count

    [Theory]
    [InlineData("{min: 2}", 2, true)]
    [InlineData("{min: 2}", 1, false)]
    [InlineData("{max: 2}", 2, true)]
    [InlineData("{max: 2}", 3, false)]
    [InlineData("{min: 1}", 0, false)]
    public async Task Row_count_bounds_are_inclusive(string bounds, int rows, bool passes)
    {
        var r = await RunAsync($"- row_count: {bounds}", Enumerable.Repeat(Row, rows).ToArray());
        Assert.Equal(passes ? CheckStatus.Pass : CheckStatus.Fail, r.Status);
        Assert.Equal(passes ? 0 : 1, r.FailingCount);
        Assert.Contains($"rows={rows}", r.Detail);
    }

    // freshness (run time is 2024-03-02T06:00Z)

    [Theory]
    [InlineData("2024-03-01T06:00:00Z", "24h", true)]   // exactly max_age old
    [InlineData("2024-03-01T05:59:59Z", "24h", false)]
    [InlineData("2024-02-29T06:00:00Z", "2d", true)]
    [InlineData("2024-02-29T05:00:00Z", "1d12h", false)]
    public async Task Freshness_compares_the_newest_value_with_the_run_time(string newest, string maxAge, bool passes)
    {
        var ts = DateTime.Parse(newest, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal);
        var older = ts.AddDays(-3);
        var r = await RunAsync($"- column: event_ts\n  freshness: {{max_age: {maxAge}}}", Row with { EventTs = older }, Row with { EventTs = ts });
        Assert.Equal(passes ? CheckStatus.Pass : CheckStatus.Fail, r.Status);
        Assert.Contains("newest event_ts " + ts.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), r.Detail);
    }

    [Theory]
    [InlineData("30h", true)]   // dt=2024-03-01 ends 2024-03-02T00:00Z, 6h before the run
    [InlineData("5h", false)]
    public async Task Freshness_on_a_date_counts_the_end_of_the_day(string maxAge, bool passes)
    {
        var r = await RunAsync($"- column: dt\n  freshness: {{max_age: {maxAge}}}", Row);
        Assert.Equal(passes ? CheckStatus.Pass : CheckStatus.Fail, r.Status);
    }

    [Fact]
    public async Task Freshness_fails_without_any_value() =>
        AssertFail(await RunAsync("- column: signup_date\n  freshness: {max_age: 100d}", Row with { SignupDate = null }), 1);

    // references

    [Fact]
    public async Task References_pass_when_every_key_exists_in_the_other_dataset()
    {
        await _fx.WriteUsersAsync(1, 2);
        await _fx.WriteUsersAsync(3);
        AssertPass(await RunAsync("- column: user_id\n  references: {dataset: users, column: user_id}", Row with { UserId = 1 }, Row with { UserId = 3 }), 2);
    }

    [Fact]
    public async Task References_fail_for_keys_missing_from_the_other_dataset()
    {
        await _fx.WriteUsersAsync(1, 2);
        var r = await RunAsync("- column: user_id\n  references: {dataset: users, column: user_id}", Row with { UserId = 1 }, Row with { UserId = 7 }, Row with { UserId = 8 });
        AssertFail(r, 2);
        Assert.Contains("user_id=7", r.Samples[0]);
    }

    [Theory]
    [InlineData(false)] // ids 10..10,009 with holes: a bitmap
    [InlineData(true)] // ids spread over the whole long range: the hash set
    public async Task References_judge_dense_and_sparse_ids_alike(bool sparse)
    {
        long Id(long i) => sparse ? i * 922_337_203_685_477L - 4_611_686_018_427_387_904L : 10 + i;
        var ids = Enumerable.Range(0, 10_000).Where(i => i % 7 != 3).Select(i => Id(i)).ToArray();
        await _fx.WriteUsersAsync(ids);
        var rows = new[] { 0L, 3, 9_998, 10_000, 6, -1 }.Select(i => Row with { UserId = Id(i) }).ToArray();

        var r = await RunAsync("- column: user_id\n  references: {dataset: users, column: user_id}", rows);

        AssertFail(r, 3); // 3 (a hole), 10,000 (past the last), -1 (before the first)
        Assert.Contains($"user_id={Id(3)},", r.Samples[0]);
        Assert.Contains($"user_id={Id(10_000)},", r.Samples[1]);
        Assert.Contains($"user_id={Id(-1)},", r.Samples[2]);
    }

    [Fact]
    public async Task References_without_a_resolver_is_a_configuration_error()
    {
        var contract = ContractFixtures.SalesContract("- column: user_id\n  references: {dataset: users, column: user_id}");
        var file = await _fx.WriteSalesAsync("2024-03-01", [Row]);
        await Assert.ThrowsAsync<ConfigurationException>(() =>
            new ContractGate().EvaluateAsync(contract, [file], new GateContext(ContractFixtures.RunTime, "r"), CancellationToken.None));
    }

    // compare

    [Theory]
    [InlineData(">=", 0, true)]
    [InlineData(">=", -1, false)]
    [InlineData(">", 0, false)]
    [InlineData(">", 1, true)]
    [InlineData("<=", 0, true)]
    [InlineData("<", 0, false)]
    [InlineData("==", 0, true)]
    [InlineData("!=", 0, false)]
    public async Task Compare_applies_the_operator_to_both_columns(string op, int arrivalOffsetSeconds, bool passes)
    {
        var r = await RunAsync($"- compare: {{left: arrival_ts, op: '{op}', right: event_ts}}",
            Row with { ArrivalTs = Row.EventTs.AddSeconds(arrivalOffsetSeconds) });
        Assert.Equal(passes ? CheckStatus.Pass : CheckStatus.Fail, r.Status);
        Assert.Equal(["arrival_ts", "event_ts"], r.Columns);
    }

    [Fact]
    public async Task Compare_skips_rows_with_a_null_side() =>
        AssertPass(await RunAsync("- compare: {left: total_price, op: '>=', right: unit_price}", Row with { TotalPrice = null, UnitPrice = 5m }), 1);

    [Fact]
    public async Task Compare_works_across_numeric_types() =>
        AssertFail(await RunAsync("- compare: {left: qty, op: '<', right: unit_price}", Row with { Qty = 10, UnitPrice = 9.99m }), 1);

    // samples

    [Fact]
    public async Task At_most_five_samples_are_kept_but_all_failures_are_counted()
    {
        var rows = Enumerable.Range(0, 8).Select(i => Row with { Qty = 0, OrderId = $"o{i}" }).ToArray();
        var r = await RunAsync("- column: qty\n  min: 1", rows);
        AssertFail(r, 8);
        Assert.Equal(5, r.Samples.Count);
        Assert.Contains("order_id=\"o0\"", r.Samples[0]);
        Assert.Contains("order_id=\"o4\"", r.Samples[4]);
    }
}
