using Highwater.Cli;
using Highwater.Pipeline;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Expressions;
using Highwater.Pipeline.Core.Mart;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Contracts;

/// <summary>kpi_daily's derive: section: loaded from the shipped contract, refused with file/line/column when wrong, computed by the generic aggregator.</summary>
public sealed class KpiDeriveTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kpi-derive-" + Guid.NewGuid().ToString("N"));
    private readonly PipelineHarness _h = new();

    public KpiDeriveTests()
    {
        TempFolder.CopyDirectory(RepoRoot.Combine("data-contracts"), _dir);
    }

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        _h.Dispose();
    }

    private string KpiFile => Path.Combine(_dir, "kpi_daily.yaml");

    /// <summary>Replaces the first line containing <paramref name="find"/> in a copied contract; returns its 1-based line number.</summary>
    private int Edit(string file, string find, string replacement)
    {
        var path = Path.Combine(_dir, file);
        var lines = File.ReadAllLines(path).ToList();
        var at = lines.FindIndex(l => l.Contains(find, StringComparison.Ordinal));
        Assert.True(at >= 0, $"{find} is in {file}");
        if (replacement.Length == 0) lines.RemoveAt(at);
        else lines[at] = replacement;
        File.WriteAllLines(path, lines);
        return at + 1;
    }

    [Fact]
    public void The_shipped_declaration_loads_typed_in_declaration_order()
    {
        var derive = ContractLoader.LoadAll(_dir)["kpi_daily"].Derive!;
        Assert.Equal("sales_mart", derive.From);
        Assert.Equal(["country", "segment", "currency"], derive.GroupBy);
        Assert.Equal(["orders", "units", "revenue", "buyers", "avg_order_value"], derive.Outputs.Select(o => o.Name));
        Assert.Equal([AggregateFunction.CountAll, AggregateFunction.Sum, AggregateFunction.Sum, AggregateFunction.CountDistinct, AggregateFunction.PerGroup],
            derive.Outputs.Select(o => o.Aggregate.Function));
        Assert.Equal([NumericKind.Int64, NumericKind.Int64, NumericKind.Decimal, NumericKind.Int64, NumericKind.Decimal], derive.Outputs.Select(o => o.Aggregate.Kind));
        Assert.Equal(2, derive.Outputs[4].Aggregate.RoundDigits);
        Assert.Equal("user_id", derive.Outputs[3].Aggregate.DistinctColumn);
    }

    // Each case rewrites one line of kpi_daily.yaml; the error points at the text after "at" on that line (1-based column).
    [Theory]
    [InlineData("    units:", "    units: sum(coalesce(qtty, 0))", "qtty", "unknown column 'qtty' (did you mean 'qty'?)")]
    [InlineData("    units:", "    units: total(qty)", "total", "unknown function 'total'")]
    [InlineData("    units:", "    units: sum(coalesce(total_price, 0))", "sum", "derive.aggregates.units: sum(coalesce(total_price, 0)) is decimal but column 'units' is declared int64")]
    [InlineData("    units:", "    units: sum(coalesce(currency, 0))", "currency", "type mismatch: column 'currency' is string")]
    [InlineData("    units:", "    units: sum(qty)", "qty", "sum(qty) adds a value that can be null; write sum(coalesce(qty, 0))")]
    [InlineData("    buyers:", "    buyers: count(distinct event_ts)", "count", "derive.aggregates.buyers: count(distinct event_ts) counts string or integer columns")]
    [InlineData("    avg_order_value:", "    avg_order_value: round(revenue / buyer, 2)", "buyer", "unknown column 'buyer' (did you mean 'buyers'?)")]
    [InlineData("    avg_order_value:", "    avg_order_value: round(revenue / orders)", "revenue", "round takes an expression and a number of decimal places")]
    [InlineData("    orders:", "    order_count: count(*)", "order_count", "derived column 'order_count' is not declared in columns")]
    [InlineData("  from:", "  from: sales_mrt", "sales_mrt", "derive.from names dataset 'sales_mrt', which has no contract (did you mean 'sales_mart'?)")]
    [InlineData("  group_by:", "  group_by: [country, segment, currency, qty]", "qty", "derived column 'qty' is not declared in columns")]
    [InlineData("  group_by:", "  group_by: [country, segment, country]", "country", "group_by column 'country' is listed twice")]
    public void A_wrong_derivation_names_the_file_line_column_and_problem(string find, string line, string at, string problem)
    {
        var lineNumber = Edit("kpi_daily.yaml", find, line);
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.LoadAll(_dir));
        Assert.Equal(KpiFile, e.FilePath);
        Assert.Equal(lineNumber, e.Line);
        var column = line.IndexOf(at, line.IndexOf(':', StringComparison.Ordinal), StringComparison.Ordinal) + 1;
        Assert.True(e.Column == column || e.Column == line.IndexOf(':', StringComparison.Ordinal) + 3, $"column {e.Column} of: {e.Message}");
        Assert.StartsWith($"{KpiFile}:{lineNumber}:{e.Column}: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Errors_inside_an_expression_point_at_the_offending_character()
    {
        var lineNumber = Edit("kpi_daily.yaml", "    units:", "    units: sum(coalesce(qtty, 0))");
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.LoadAll(_dir));
        Assert.Equal(lineNumber, e.Line);
        Assert.Equal("    units: sum(coalesce(qtty, 0))".IndexOf("qtty", StringComparison.Ordinal) + 1, e.Column);
    }

    [Fact]
    public void A_declared_column_without_a_derivation_is_refused()
    {
        Edit("kpi_daily.yaml", "    buyers:", "");
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.LoadAll(_dir));
        Assert.Equal(KpiFile, e.FilePath);
        Assert.Contains("column 'buyers' is declared but not derived; add it to derive.group_by or derive.aggregates", e.Message);
        Assert.Equal(File.ReadAllLines(KpiFile).ToList().FindIndex(l => l.StartsWith("derive:", StringComparison.Ordinal)) + 2, e.Line);
    }

    [Fact]
    public async Task Through_the_cli_a_wrong_derivation_exits_2_and_publishes_nothing()
    {
        var day = new DateOnly(2026, 1, 25);
        var at = day.ToDateTime(new TimeOnly(8, 0), DateTimeKind.Utc);
        EventFixtures.Land(_h.Landing, day, "a.json", [EventFixtures.Event("A-1", 1001, at, at.AddHours(1), 2, 1.50m)]);
        var lineNumber = Edit("kpi_daily.yaml", "    units:", "    units: avg(qty)");
        _h.ContractsOverride = _dir;
        var bad = await _h.CliAsync("run");
        Assert.True(bad.Code == ExitCodes.Configuration, bad.Err);
        Assert.True(bad.Err.Contains($"kpi_daily.yaml:{lineNumber}:12: derive.aggregates.units: at position 1 of 'avg(qty)': unknown function 'avg'", StringComparison.Ordinal), bad.Err);
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold")), "nothing is published");
    }

    [Fact]
    public async Task Validate_contracts_accepts_an_extra_kpi_column_with_its_aggregate()
    {
        Edit("kpi_daily.yaml", "  - {name: avg_order_value,",
            "  - {name: avg_order_value, type: \"decimal(18,2)\", nullable: true, description: a.}\n  - {name: max_units, type: int64, nullable: false, description: m.}");
        Edit("kpi_daily.yaml", "    avg_order_value:", "    avg_order_value: round(revenue / orders, 2)\n    max_units: units - orders");
        _h.ContractsOverride = _dir;

        var result = await _h.CliAsync("validate-contracts");

        Assert.True(result.Code == 0, result.Out + result.Err);
        Assert.Equal(["country", "segment", "currency", "orders", "units", "revenue", "buyers", "avg_order_value", "max_units"],
            DailyKpi.From(ContractLoader.LoadAll(_dir)).Compute([]).Columns.Select(c => c.Name));
    }

    [Fact]
    public void A_count_of_distinct_order_ids_is_refused_as_the_partitions_hold_them()
    {
        // The partitions hold order_id as plain UTF-8 (mostly unique values), which the KPIs cannot read: refused when the
        // contracts are loaded together, as it is without them, not left to fail while a partition's KPIs are computed.
        Edit("kpi_daily.yaml", "    buyers:", "    buyers: count(distinct order_id)");
        var contracts = ContractLoader.LoadAll(_dir);

        var e = Assert.Throws<ConfigurationException>(() => DailyKpi.From(contracts));
        Assert.Contains($"{KpiFile}: derive reads sales_mart.order_id", e.Message);
        Assert.Throws<ConfigurationException>(() => DailyKpi.From(contracts["kpi_daily"]));
    }

    [Fact]
    public void An_extra_aggregate_over_an_extra_mart_column_is_computed_like_sql_group_by()
    {
        Edit("sales_mart.yaml", "  - {name: total_price,",
            "  - {name: total_price, type: \"decimal(18,2)\", nullable: true, description: t.}\n  - {name: discount, type: \"decimal(18,2)\", nullable: true, description: d.}");
        Edit("kpi_daily.yaml", "  - {name: avg_order_value,",
            "  - {name: avg_order_value, type: \"decimal(18,2)\", nullable: true, description: a.}\n  - {name: discount_total, type: \"decimal(18,2)\", nullable: true, description: d.}");
        Edit("kpi_daily.yaml", "    avg_order_value:", "    avg_order_value: round(revenue / orders, 2)\n    discount_total: sum(coalesce(discount, 0))");
        var kpi = ContractLoader.LoadAll(_dir)["kpi_daily"];

        // country (null first), user, qty, total_price, discount
        string?[] countries = ["DE", "FR", "DE", null, "DE"];
        long[] users = [1, 2, 1, 3, 4];
        int?[] qty = [2, 1, null, 1, 3];
        decimal?[] totals = [10.00m, 5.55m, 3.00m, null, 1.01m];
        decimal?[] discounts = [1.50m, null, 0.25m, 2.00m, null];
        var ids = countries.Select(c => c is null ? -1 : c == "DE" ? 0 : 1).ToArray();
        var source = new AggregateSource { Count = 5 };
        source.AddStrings("country", ids, ["DE", "FR"]);
        source.AddStrings("segment", new int[5], ["retail"]);
        source.AddStrings("currency", new int[5], ["EUR"]);
        source.AddNumbers("user_id", users);
        source.AddNumbers("qty", qty);
        source.AddNumbers("total_price", totals);
        source.AddNumbers("discount", discounts);
        var t = new GroupAggregator(kpi.Derive!).Compute(source);

        using var db = new DuckDb();
        db.Rows("CREATE TABLE m (country VARCHAR, segment VARCHAR, currency VARCHAR, user_id BIGINT, qty INTEGER, total_price DECIMAL(18,2), discount DECIMAL(18,2))");
        for (int i = 0; i < 5; i++)
            db.Rows(FormattableString.Invariant($"INSERT INTO m VALUES ({Sql(countries[i])}, 'retail', 'EUR', {users[i]}, {qty[i]?.ToString() ?? "NULL"}, {totals[i]?.ToString() ?? "NULL"}, {discounts[i]?.ToString() ?? "NULL"})"));
        var expected = db.Rows("""
            SELECT country, count(*), sum(coalesce(qty, 0)), sum(coalesce(total_price, 0)), count(DISTINCT user_id),
                   CAST(round(CAST(sum(coalesce(total_price, 0)) AS DOUBLE) / count(*), 2) AS DECIMAL(18,2)), sum(coalesce(discount, 0))
            FROM m GROUP BY country, segment, currency ORDER BY country NULLS FIRST
            """);
        var actual = Enumerable.Range(0, t.Count).Select(g => FormattableString.Invariant(
            $"{t.Keys[0][g] ?? "null"}|{t.Longs[0][g]}|{t.Longs[1][g]}|{t.Decimals[2][g]:0.00}|{t.Longs[3][g]}|{t.Decimals[4][g]:0.00}|{t.Decimals[5][g]:0.00}")).ToList();
        Assert.Equal(expected.Select(Normal), actual.Select(Normal));

        // The KPIs read the mart columns its partitions hold: a declaration reading another is refused before any data is read.
        var e = Assert.Throws<ConfigurationException>(() => DailyKpi.From(kpi));
        Assert.Contains($"{KpiFile}: derive reads sales_mart.discount", e.Message);
    }

    /// <summary>A row with its numbers as values (DuckDB.NET renders 2.00 as 2).</summary>
    private static string Normal(string row) => string.Join("|", row.Split('|').Select(c =>
        decimal.TryParse(c, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var d)
            ? d.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) : c));

    private static string Sql(string? s) => s is null ? "NULL" : $"'{s}'";
}
