using Highwater.Cli;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Tests.Contracts;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>
/// total_price is what the sales_mart contract's <c>derived:</c> says: the loader types it, Transform evaluates it (the
/// expression lives in the YAML only), and a contract without it, or with one Transform cannot compute, is a configuration error.
/// </summary>
public sealed class TotalPriceDerivationTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 1, 25);
    private readonly PipelineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static DateTime At(int hour) => Day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);

    /// <summary>A copy of the shipped contracts with total_price's declaration replaced by <paramref name="declaration"/>.</summary>
    private string ContractsWithTotalPrice(string declaration) =>
        _h.CopyContracts(editMart: l => l.Contains("{name: total_price,") ? declaration : l);

    private void LandOrders() => EventFixtures.Land(_h.Landing, Day, "a.json", [
        EventFixtures.Event("A-1", 1001, At(8), At(9), 2, 1.50m),
        EventFixtures.Event("A-2", 1002, At(8), At(9), 3, 0.10m),
    ]);

    [Theory]
    [InlineData("9999999999999999.99", true)]
    [InlineData("-9999999999999999.99", true)]
    [InlineData("10000000000000000.00", false)]
    [InlineData("-10000000000000000", false)]
    [InlineData("1.0000000000000000000000000000", true)] // a coefficient of 10^28 at scale 28: decided by comparison
    [InlineData("9999999999999999.999", false)]
    [InlineData("0", true)]
    public void The_range_rule_is_decimal_18_2_whatever_the_scale_of_the_value(string value, bool fits) =>
        Assert.Equal(fits, new Highwater.Pipeline.Core.Mart.DecimalColumnFit.Limit(18, 2).Fits(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void The_shipped_contract_derives_total_price_as_qty_times_unit_price()
    {
        var column = ContractLoader.LoadAll(RepoRoot.Combine("data-contracts"))["sales_mart"].FindColumn("total_price")!;
        Assert.Equal("qty * unit_price", column.DerivationText);
        Assert.Equal("(qty * unit_price)", column.Derivation!.ToString());
    }

    [Fact]
    public async Task Transform_computes_what_the_yaml_declares()
    {
        LandOrders();
        _h.ContractsOverride = ContractsWithTotalPrice(
            "  - {name: total_price, type: \"decimal(18,2)\", nullable: true, derived: \"qty * (unit_price + 0.005) + 1\"}");
        var run = await _h.CliAsync("run");
        Assert.True(run.Code == 0, run.Err);
        using var db = new DuckDb();
        // 2 × 1.505 + 1 = 4.01; 3 × 0.105 + 1 = 1.315, rounded half away from zero to the column's 2 places: 1.32.
        Assert.Equal(["A-1|4.01", "A-2|1.32"],
            db.Rows($"SELECT order_id, total_price FROM {DuckDb.Mart(_h.WarehouseRoot)} ORDER BY order_id"));
    }

    [Fact]
    public async Task Every_derived_column_is_computed_and_one_beyond_its_type_quarantines_its_line()
    {
        LandOrders();
        EventFixtures.Land(_h.Landing, Day, "b.json", [EventFixtures.Event("B-1", 1003, At(10), At(11), 3, 3.00m)]);
        _h.ContractsOverride = ContractsWithTotalPrice(
            "  - {name: total_price, type: \"decimal(18,2)\", nullable: true, derived: qty * unit_price}\n" +
            "  - {name: unit_price_twice, type: \"decimal(18,2)\", nullable: true, derived: unit_price * 2}\n" +
            "  - {name: price_in_cents, type: \"decimal(4,2)\", nullable: true, derived: unit_price * 50}");

        var run = await _h.CliAsync("run");

        Assert.True(run.Code == 0, run.Err);
        using var db = new DuckDb();
        // 3.00 × 50 does not fit DECIMAL(4,2): B-1 is quarantined, naming the column, its computation and the type.
        Assert.Equal(["A-1|3.00|75.00", "A-2|0.20|5.00"],
            db.Rows($"SELECT order_id, unit_price_twice, price_in_cents FROM {DuckDb.Mart(_h.WarehouseRoot)} ORDER BY order_id"));
        var quarantined = Directory.GetFiles(Path.Combine(_h.WarehouseRoot, "quarantine"), "transform.ndjson", SearchOption.AllDirectories);
        var line = Assert.Single(File.ReadAllLines(Assert.Single(quarantined)));
        Assert.Contains("events/2026-01-25/b.json:1: price_in_cents = unit_price 3.00 × 50 = 150.00, beyond DECIMAL(4,2) (at most 99.99 in magnitude)", line);
    }

    [Fact]
    public async Task A_line_without_order_id_beyond_the_range_is_quarantined_with_the_same_reason()
    {
        // Rows without an order_id take the unkeyed path through Transform (no order index).
        EventFixtures.Land(_h.Landing, Day, "u.json", [
            EventFixtures.Event("A-1", 1001, At(8), At(9), 1, 2.00m).Replace("\"A-1\"", "null"),
            EventFixtures.Event("A-2", 1002, At(8), At(9), 3, 9999999999999999.99m).Replace("\"A-2\"", "null"),
        ]);
        // The shipped contract refuses a null order_id at the gate (exit 3); Transform has set the line aside by then.
        var run = await _h.CliAsync("run");
        Assert.Equal(ExitCodes.QualityGateFailed, run.Code);
        Assert.Contains("order_id_not_null", run.Err);
        var quarantine = Directory.GetFiles(_h.WorkRoot, "transform.ndjson", SearchOption.AllDirectories);
        Assert.Contains("events/2026-01-25/u.json:2: total_price = qty 3 × unit_price 9999999999999999.99 = 29999999999999999.97, beyond DECIMAL(18,2)",
            Assert.Single(File.ReadAllLines(Assert.Single(quarantine))));
        Assert.Contains("total_price=2.00", run.Err); // the other line, computed on the same path
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold")), "nothing is published");
    }

    [Fact]
    public async Task A_contract_without_the_derivation_is_a_configuration_error_that_names_it()
    {
        LandOrders();
        _h.ContractsOverride = ContractsWithTotalPrice("  - {name: total_price, type: \"decimal(18,2)\", nullable: true}");
        var run = await _h.CliAsync("run");
        Assert.Equal(ExitCodes.Configuration, run.Code);
        Assert.Contains("sales_mart.yaml': column 'total_price' has no derivation; declare how it is computed", run.Err);
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold")), "nothing is published");
    }

    [Fact]
    public async Task A_mart_column_events_do_not_bring_is_a_configuration_error_naming_it()
    {
        LandOrders();
        _h.ContractsOverride = ContractsWithTotalPrice(
            "  - {name: discount, type: \"decimal(18,2)\", nullable: true}\n" +
            "  - {name: total_price, type: \"decimal(18,2)\", nullable: true, derived: \"qty * unit_price - coalesce(discount, 0)\"}");
        var run = await _h.CliAsync("run");
        Assert.Equal(ExitCodes.Configuration, run.Code);
        Assert.Contains("sales_mart.yaml': column 'discount' comes from nowhere: the events contract", run.Err);
        Assert.Contains("declare it in the events contract, or give it a derivation", run.Err);
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold")), "nothing is published");
    }

    [Theory]
    [InlineData("{name: total_price, type: \"decimal(18,2)\", nullable: true, derived: qty * unit_prise}", 6, "derived column 'total_price': at position 7 of 'qty * unit_prise': unknown column 'unit_prise' (did you mean 'unit_price'?)")]
    [InlineData("{name: total_price, type: \"decimal(18,2)\", nullable: true, derived: total_price + 1}", 0, "'total_price + 1' reads 'total_price', which is derived (itself)")]
    [InlineData("{name: total_price, type: \"decimal(18,2)\", nullable: false, derived: qty * unit_price}", 0, "'qty * unit_price' is null when qty or unit_price is, but the column is nullable: false; wrap nullable inputs in coalesce")]
    [InlineData("{name: total_price, type: int64, nullable: true, derived: qty * unit_price}", 0, "'qty * unit_price' is decimal, which does not fit the column's int64")]
    [InlineData("{name: total_price, type: string, nullable: true, derived: qty * unit_price}", 0, "a derivation computes a number, but the column is string")]
    public void A_bad_derivation_names_file_line_column_and_problem(string declaration, int offset, string problem)
    {
        var yaml = ContractFixtures.SalesYaml("- column: qty\n  min: 1").Replace("  - {name: total_price, type: \"decimal(18,2)\", nullable: true}", "  " + "- " + declaration);
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.Parse(yaml, "data-contracts/sales_mart.yaml"));
        Assert.Contains(problem, e.Message);
        var lines = yaml.Split('\n').ToList();
        var line = lines.FindIndex(l => l.Contains("name: total_price"));
        Assert.Equal(line + 1, e.Line);
        // The derivation's value starts after "derived: "; a parse error points at the offending character in it.
        Assert.Equal(lines[line].IndexOf("derived: ", StringComparison.Ordinal) + "derived: ".Length + 1 + offset, e.Column);
        Assert.StartsWith($"data-contracts/sales_mart.yaml:{line + 1}:{e.Column}: ", e.Message);
    }
}
