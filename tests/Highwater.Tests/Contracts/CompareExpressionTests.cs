using System.Text.Json;
using Highwater.Cli;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.QualityGate;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Contracts;

/// <summary>compare with expressions on either side: loading, errors with file/check/position, and the gate's verdicts on real Parquet files.</summary>
public sealed class CompareExpressionTests : IDisposable
{
    private readonly ContractFixtures _fx = new();
    private readonly PipelineHarness _h = new();

    public void Dispose()
    {
        _fx.Dispose();
        _h.Dispose();
    }

    private static readonly SalesRow Row = new();

    private async Task<(GateReport Report, CheckResult Check)> RunAsync(string checks, params SalesRow[] rows)
    {
        var contract = ContractFixtures.SalesContract(checks, "max_quarantined_fraction: 1");
        var file = await _fx.WriteSalesAsync("2024-03-01", rows);
        var report = await new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, report.Checks[0].Status); // schema
        return (report, Assert.Single(report.Checks, c => c.Type == "compare"));
    }

    [Fact]
    public void An_expression_side_loads_typed_and_the_existing_two_column_form_is_unchanged()
    {
        var contract = ContractFixtures.SalesContract("""
            - name: total_matches
              compare: {left: total_price, op: "=", right: qty * unit_price}
            - compare: {left: arrival_ts, op: ">=", right: event_ts}
            - compare: {left: "unit_price * 2", op: "<=", right: "coalesce(total_price, 0) + 1.5"}
            """);
        var total = Assert.IsType<CompareCheck>(contract.Checks[0]);
        Assert.Equal(["total_price", "qty", "unit_price"], total.Columns);
        Assert.Equal("(qty * unit_price)", total.RightExpression!.ToString());
        var plain = Assert.IsType<CompareCheck>(contract.Checks[1]);
        Assert.Null(plain.LeftExpression);
        Assert.Equal("compare_arrival_ts_ge_event_ts", plain.Name);
        Assert.Equal("compare_unit_price_2_le_coalesce_total_price_0_1_5", contract.Checks[2].Name);
    }

    // The checks block starts on line 22 of ContractFixtures.SalesYaml; each case's expression is on line 23.
    [Theory]
    [InlineData("qty * unit_pric", "unknown column 'unit_pric' (did you mean 'unit_price'?)", 6)]
    [InlineData("qty * event_ts", "type mismatch: column 'event_ts' is timestamp", 6)]
    [InlineData("qty + * 2", "unexpected '*'; expected a number, a column", 6)]
    [InlineData("(qty * unit_price", "expected ')' to close the ( at position 1", 17)]
    [InlineData("coalesce(qty, currency)", "type mismatch: column 'currency' is string", 14)]
    public void A_bad_expression_names_the_file_the_check_the_position_and_the_problem(string right, string problem, int position)
    {
        var yaml = ContractFixtures.SalesYaml($"- name: price_rule\n  compare: {{left: total_price, op: '<=', right: '{right}'}}");
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.Parse(yaml, "data-contracts/sales_mart.yaml"));
        var line = yaml.Split('\n')[22];
        Assert.Equal(23, e.Line);
        Assert.Equal(line.IndexOf('\'' + right, StringComparison.Ordinal) + 2 + position, e.Column); // 1-based, past the quote
        Assert.StartsWith($"data-contracts/sales_mart.yaml:23:{e.Column}: check 'price_rule', compare.right: at position {position + 1} of '{right}': ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void A_column_compared_with_an_expression_must_be_numeric()
    {
        var yaml = ContractFixtures.SalesYaml("- compare: {left: event_ts, op: '<=', right: qty + 1}");
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.Parse(yaml, "s.yaml"));
        Assert.Contains("a compare check, compare.left: at position 1 of 'event_ts': type mismatch: column 'event_ts' is timestamp", e.Message);
    }

    [Fact]
    public async Task A_holding_expression_passes_and_a_broken_row_fails_with_its_values()
    {
        const string check = "- name: total_is_qty_times_price\n  compare: {left: total_price, op: '=', right: qty * unit_price}";
        var (_, pass) = await RunAsync(check, Row, Row with { Qty = 3, UnitPrice = 0.10m, TotalPrice = 0.30m });
        Assert.Equal(CheckStatus.Pass, pass.Status);
        Assert.Equal(2, pass.RowsChecked);

        var (_, fail) = await RunAsync(check, Row, Row with { OrderId = "o-9", Qty = 3, UnitPrice = 0.10m, TotalPrice = 0.31m });
        Assert.Equal(CheckStatus.Fail, fail.Status);
        Assert.Equal(1, fail.FailingCount);
        Assert.Contains("order_id=\"o-9\"", Assert.Single(fail.Samples));
        Assert.Equal("total_price = qty * unit_price".Replace("=", "=="), fail.Detail);
    }

    [Fact]
    public async Task A_row_with_a_null_side_is_skipped_and_coalesce_supplies_a_default()
    {
        var (_, skipped) = await RunAsync("- compare: {left: total_price, op: '=', right: qty * unit_price}",
            Row with { Qty = null, TotalPrice = 5m }, Row with { UnitPrice = null, TotalPrice = 5m }, Row with { TotalPrice = null });
        Assert.Equal(CheckStatus.Pass, skipped.Status);
        Assert.Equal(3, skipped.RowsChecked);

        var (_, coalesced) = await RunAsync("- compare: {left: 'coalesce(total_price, 0)', op: '=', right: 'qty * coalesce(unit_price, 0)'}",
            Row with { UnitPrice = null, TotalPrice = null }, Row with { UnitPrice = null, TotalPrice = 1m });
        Assert.Equal(1, coalesced.FailingCount);
    }

    [Fact]
    public async Task Decimal_arithmetic_is_exact_at_the_edge_of_decimal_18_2()
    {
        // 9999999999999999.99 is DECIMAL(18,2)'s largest value; 0.01 more on the right must be seen.
        var (_, exact) = await RunAsync("- compare: {left: total_price, op: '<', right: unit_price * qty + 0.01}",
            Row with { Qty = 1, UnitPrice = 9_999_999_999_999_999.98m, TotalPrice = 9_999_999_999_999_999.99m },
            Row with { Qty = 1, UnitPrice = 9_999_999_999_999_999.99m, TotalPrice = 9_999_999_999_999_999.99m });
        Assert.Equal(1, exact.FailingCount);

        var (_, divided) = await RunAsync("- compare: {left: total_price / 3, op: '=', right: 0.1 * 1.111111111111111111111111111}",
            Row with { TotalPrice = 0.33m });
        Assert.Equal(1, divided.FailingCount); // decimal division keeps 28 significant digits, not a binary float's 17
    }

    [Fact]
    public async Task Quarantine_severity_sets_the_failing_rows_aside_with_the_columns_and_an_overflow_as_the_reason()
    {
        var (report, check) = await RunAsync(
            "- name: line_total_at_most_100\n  compare: {left: qty * unit_price, op: '<=', right: 100}\n  severity: quarantine",
            Row with { OrderId = "ok" },
            Row with { OrderId = "big", Qty = 20, UnitPrice = 9.99m },
            Row with { OrderId = "null", Qty = null });
        Assert.Equal(CheckStatus.Warn, check.Status);
        Assert.Equal(1, check.RowsQuarantined);
        Assert.Equal(1, report.RowsQuarantined);
        using var json = JsonDocument.Parse(Assert.Single(File.ReadAllLines(report.QuarantineFile!)));
        Assert.Equal("big", json.RootElement.GetProperty("order_id").GetString());
        Assert.Equal("line_total_at_most_100: qty=20, unit_price=9.99", json.RootElement.GetProperty("_reason").GetString());
    }

    [Fact]
    public async Task A_side_that_cannot_be_computed_fails_the_row_and_says_why()
    {
        var (report, check) = await RunAsync("- name: ratio\n  compare: {left: total_price / (qty - 2), op: '>=', right: 0}\n  severity: quarantine",
            Row with { Qty = 3 }, Row with { Qty = 2 });
        Assert.Equal(1, check.FailingCount);
        using var json = JsonDocument.Parse(Assert.Single(File.ReadAllLines(report.QuarantineFile!)));
        Assert.Equal("ratio: total_price=19.98, qty=2 (total_price / (qty - 2) >= 0 cannot be computed: division by zero)",
            json.RootElement.GetProperty("_reason").GetString());
    }

    [Fact]
    public async Task Through_the_cli_a_bad_expression_exits_2_a_failing_one_3_and_a_holding_one_0()
    {
        var day = new DateOnly(2026, 1, 25);
        var at = day.ToDateTime(new TimeOnly(8, 0), DateTimeKind.Utc);
        EventFixtures.Land(_h.Landing, day, "a.json", [EventFixtures.Event("A-1", 1001, at, at.AddHours(1), 2, 1.50m)]);

        _h.ContractsOverride = _h.CopyContracts("  - name: bad_rule\n    compare: {left: total_price, op: '<=', right: qty * unit_prise}\n");
        var bad = await _h.CliAsync("run");
        Assert.Equal(ExitCodes.Configuration, bad.Code);
        Assert.Matches(@"sales_mart\.yaml:\d+:\d+: check 'bad_rule', compare\.right: at position 7 of 'qty \* unit_prise': unknown column 'unit_prise' \(did you mean 'unit_price'\?\)", bad.Err);
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold")), "nothing is published");

        _h.ContractsOverride = _h.CopyContracts("  - name: cheap_lines\n    compare: {left: qty * unit_price, op: '<', right: 3}\n");
        var failing = await _h.CliAsync("run");
        Assert.Equal(ExitCodes.QualityGateFailed, failing.Code);
        Assert.Contains("cheap_lines", failing.Out + failing.Err);
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold")), "nothing is published");

        _h.ContractsOverride = _h.CopyContracts("  - name: total_is_qty_times_price\n    compare: {left: total_price, op: '=', right: qty * unit_price}\n");
        var holding = await _h.CliAsync("run");
        Assert.True(holding.Code == 0, holding.Err);
        using var db = new DuckDb();
        Assert.Equal(["A-1|3.00"], db.Rows($"SELECT order_id, total_price FROM {DuckDb.Mart(_h.WarehouseRoot)}"));
    }
}
