using Highwater.Cli;
using Highwater.Pipeline;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Contracts;

/// <summary>
/// The kpi_daily file holds what its contract declares: a column added in YAML (with its aggregate) is written, read by
/// DuckDB and gated; a warehouse published before it reads it as null in old partitions; a declaration the file cannot
/// follow is refused before anything is read (exit 2), and a sum beyond its declared decimal fails the run (exit 5).
/// </summary>
public sealed class KpiFileContractTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private const string Extra = "gross_units_value";
    private const string ExtraSum = "sum(coalesce(qty, 0) * coalesce(unit_price, 0))";
    private readonly PipelineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static DateTime At(DateOnly day, int hour) => day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);

    /// <summary>A copy of the shipped contracts with kpi_daily.yaml gaining <paramref name="column"/> (a columns: entry) and <paramref name="aggregate"/> (a derive.aggregates entry), either may be empty.</summary>
    private string ContractsWith(string column, string aggregate, Func<string, string>? editKpi = null, Func<string, string>? editMart = null)
    {
        var dir = _h.CopyContracts(editMart: editMart);
        var path = Path.Combine(dir, "kpi_daily.yaml");
        var lines = new List<string>();
        foreach (var line in File.ReadAllLines(path))
        {
            lines.Add(editKpi is null ? line : editKpi(line));
            if (line.StartsWith("  - {name: avg_order_value,", StringComparison.Ordinal) && column.Length > 0) lines.Add(column);
            if (line.StartsWith("    avg_order_value:", StringComparison.Ordinal) && aggregate.Length > 0) lines.Add(aggregate);
        }
        File.WriteAllLines(path, lines);
        return dir;
    }

    private string ExtraColumnContracts(string type = "decimal(18,2)", Func<string, string>? editMart = null) => ContractsWith(
        $"  - {{name: {Extra}, type: \"{type}\", nullable: true, description: Units times unit price.}}", $"    {Extra}: {ExtraSum}", editMart: editMart);

    private async Task<PublishedWarehouse> PublishDay1Async()
    {
        EventFixtures.LandDay(_h.Landing, Day1, "day1.json", 40, seed: 1, "A");
        var first = await _h.CliAsync("run");
        Assert.True(first.Code == 0, first.Err);
        return PublishedWarehouse.Of(_h.WarehouseRoot);
    }

    /// <summary>The extra column per group as DuckDB computes it from the published mart (not by our code).</summary>
    private List<string> ExpectedFromMart(DuckDb db, string where = "true") => db.Rows($"""
        SELECT dt, country, segment, currency, CAST({ExtraSum} AS DECIMAL(18,2)) FROM {DuckDb.Mart(_h.WarehouseRoot)}
        WHERE {where} GROUP BY ALL ORDER BY ALL
        """);

    private List<string> PublishedKpis(DuckDb db, string where = "true") => db.Rows($"""
        SELECT dt, country, segment, currency, {Extra} FROM read_parquet('{_h.WarehouseRoot}/gold/kpi_daily/*/*.parquet', union_by_name = true, hive_partitioning = true)
        WHERE {where} ORDER BY ALL
        """);

    [Fact]
    public async Task An_extra_aggregate_column_is_written_read_by_duckdb_and_gated_also_where_the_gate_filtered()
    {
        // channel_known quarantines: the gate removes rows and recomputes the KPIs of those partitions.
        TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _h.Landing);
        _h.ContractsOverride = ExtraColumnContracts(editMart: line => line
            .Replace("accepted_values: [web, app, store, marketplace]", "accepted_values: [web, app, store]")
            .Replace("severity: warn", "severity: quarantine").Replace("max_quarantined_fraction: 0.05", "max_quarantined_fraction: 0.5"));

        var run = await _h.CliAsync("run");

        Assert.True(run.Code == 0, run.Out + run.Err);
        Assert.Matches(@"QualityGate: passed for batch \w+: \d+ rows checked, [1-9]\d* quarantined", run.Out);
        Assert.Contains("kpi_daily v1", run.Out);
        using var db = new DuckDb();
        var published = PublishedKpis(db);
        Assert.True(published.Count >= 2, string.Join("\n", published));
        Assert.Equal(ExpectedFromMart(db), published);
        Assert.Equal(["DECIMAL(18,2)"], db.Rows($"SELECT DISTINCT typeof({Extra}) FROM {DuckDb.Kpi(_h.WarehouseRoot)}"));
        Assert.Equal(["country", "segment", "currency", "orders", "units", "revenue", "buyers", "avg_order_value", Extra, "dt"],
            db.Rows($"SELECT column_name FROM (DESCRIBE SELECT * FROM {DuckDb.Kpi(_h.WarehouseRoot)})"));
        // The shipped columns are as before: orders and revenue per group as the mart sums them.
        Assert.Equal(db.Rows($"SELECT dt, country, count(*), CAST(sum(coalesce(total_price, 0)) AS DECIMAL(18,2)) FROM {DuckDb.Mart(_h.WarehouseRoot)} GROUP BY ALL ORDER BY ALL"),
            db.Rows($"SELECT dt, country, sum(orders), CAST(sum(revenue) AS DECIMAL(18,2)) FROM {DuckDb.Kpi(_h.WarehouseRoot)} GROUP BY ALL ORDER BY ALL"));
    }

    [Fact]
    public async Task A_warehouse_published_before_the_column_continues_and_reads_it_as_null_in_old_partitions()
    {
        var before = await PublishDay1Async();
        EventFixtures.LandDay(_h.Landing, Day2, "day2.json", 40, seed: 2, "B");
        _h.ContractsOverride = ExtraColumnContracts();

        var run = await _h.CliAsync("run");

        Assert.True(run.Code == 0, run.Out + run.Err);
        using var db = new DuckDb();
        var day1 = PublishedKpis(db, "dt = DATE '2026-01-25'");
        Assert.NotEmpty(day1);
        Assert.All(day1, row => Assert.EndsWith("|null", row));
        Assert.Equal(before.Kpi.Split('\n').Length, day1.Count);
        var day2 = PublishedKpis(db, "dt = DATE '2026-01-26'");
        Assert.NotEmpty(day2);
        Assert.Equal(ExpectedFromMart(db, "dt = DATE '2026-01-26'"), day2);
        Assert.DoesNotContain(day2, row => row.EndsWith("|null", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nullability_is_as_declared_a_nullable_int64_and_a_required_decimal_included()
    {
        EventFixtures.LandDay(_h.Landing, Day1, "day1.json", 40, seed: 1, "A");
        _h.ContractsOverride = ContractsWith(
            "  - {name: units_or_null, type: int64, nullable: true, description: u.}\n  - {name: units_value, type: \"decimal(18,3)\", nullable: false, description: v.}",
            "    units_or_null: sum(coalesce(qty, 0))\n    units_value: sum(coalesce(qty, 0))");

        var run = await _h.CliAsync("run");

        Assert.True(run.Code == 0, run.Out + run.Err);
        using var db = new DuckDb();
        var file = Assert.Single(Directory.GetFiles(Path.Combine(_h.WarehouseRoot, "gold", "kpi_daily"), "*.parquet", SearchOption.AllDirectories));
        Assert.Equal(["orders|INT64|REQUIRED|INT_64", "units|INT64|REQUIRED|INT_64", "revenue|INT64|OPTIONAL|DECIMAL", "units_or_null|INT64|OPTIONAL|INT_64", "units_value|INT64|REQUIRED|DECIMAL"],
            db.Rows($"SELECT name, type, repetition_type, converted_type FROM parquet_schema('{file}') WHERE name IN ('orders', 'units', 'revenue', 'units_or_null', 'units_value') ORDER BY name = 'units_value', name = 'units_or_null', name = 'revenue', name = 'units', name"));
        Assert.Equal(db.Rows($"SELECT country, segment, currency, sum(coalesce(qty, 0)), CAST(sum(coalesce(qty, 0)) AS DECIMAL(18,3)) FROM {DuckDb.Mart(_h.WarehouseRoot)} GROUP BY ALL ORDER BY ALL"),
            db.Rows($"SELECT country, segment, currency, units_or_null, units_value FROM {DuckDb.Kpi(_h.WarehouseRoot)} ORDER BY ALL"));
    }

    public static TheoryData<string, string, string, string> Refusals() => new()
    {
        // name, columns: line added, derive.aggregates line added, what the message says
        { "a column with neither", "  - {name: extra, type: int64, nullable: false, description: x.}", "", "column 'extra' is declared but not derived" },
        { "an aggregate without a column", "", "    extra: count(*)", "derived column 'extra' is not declared in columns" },
        { "a decimal aggregate in an int64 column", "  - {name: extra, type: int64, nullable: false, description: x.}", "    extra: sum(coalesce(total_price, 0))",
            "derive.aggregates.extra: sum(coalesce(total_price, 0)) is decimal but column 'extra' is declared int64" },
        { "a decimal wider than the file holds", "  - {name: extra, type: \"decimal(20,2)\", nullable: true, description: x.}", "    extra: count(*)",
            "column 'extra' is declared decimal(20,2); the kpi_daily file holds decimals of at most 18 digits: declare decimal(18,2) or narrower" },
        { "an aggregate in a date column", "  - {name: extra, type: date, nullable: true, description: x.}", "    extra: count(*)",
            "derive.aggregates.extra: count(*) is int64 but column 'extra' is declared date" },
    };

    /// <summary>
    /// validate-contracts and a run over a published warehouse both exit 2, naming the file and the column; the run
    /// changes nothing published. (A run may be stopped by the schema evolution rule first, which names them too.)
    /// </summary>
    private async Task AssertRefusedAsync(string column, string problem)
    {
        var file = Path.Combine(_h.ContractsOverride!, "kpi_daily.yaml");
        var before = PublishedWarehouse.Of(_h.WarehouseRoot);

        var validate = await _h.CliAsync("validate-contracts");
        var run = await _h.CliAsync("run");

        Assert.True(validate.Code == ExitCodes.Configuration, $"{validate.Code}\n{validate.Out}{validate.Err}");
        Assert.Contains(file, validate.Err);
        Assert.Contains(problem, validate.Err);
        Assert.True(run.Code == ExitCodes.Configuration, $"{run.Code}\n{run.Out}{run.Err}");
        Assert.True(run.Err.Contains(file, StringComparison.Ordinal) && (run.Err.Contains($"'{column}'", StringComparison.Ordinal)
            || run.Err.Contains($"kpi_daily.{column}:", StringComparison.Ordinal)), run.Err);
        Assert.DoesNotContain("   at ", run.Err + validate.Err);
        Assert.Equal(before, PublishedWarehouse.Of(_h.WarehouseRoot));
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_declaration_the_file_cannot_follow_is_refused_with_exit_2_naming_file_and_column(string name, string column, string aggregate, string problem)
    {
        await PublishDay1Async();
        EventFixtures.LandDay(_h.Landing, Day2, "day2.json", 10, seed: 2, "B");
        _h.ContractsOverride = ContractsWith(column, aggregate);
        Assert.False(string.IsNullOrEmpty(name));

        await AssertRefusedAsync("extra", problem);
    }

    [Fact]
    public async Task A_group_by_key_without_a_column_is_refused_with_exit_2()
    {
        await PublishDay1Async();
        EventFixtures.LandDay(_h.Landing, Day2, "day2.json", 10, seed: 2, "B");
        _h.ContractsOverride = ContractsWith("", "", editKpi: line => line.Replace("group_by: [country, segment, currency]", "group_by: [country, segment, currency, channel]"));

        await AssertRefusedAsync("channel", "derived column 'channel' is not declared in columns");
    }

    [Fact]
    public async Task A_required_key_column_over_a_nullable_mart_column_is_refused_with_exit_2()
    {
        await PublishDay1Async();
        EventFixtures.LandDay(_h.Landing, Day2, "day2.json", 10, seed: 2, "B");
        _h.ContractsOverride = ContractsWith("", "", editKpi: line => line.Replace("{name: country, type: string, nullable: true,", "{name: country, type: string, nullable: false,"));

        await AssertRefusedAsync("country",
            $"{Path.Combine(_h.ContractsOverride, "kpi_daily.yaml")}: column 'country' is declared nullable: false, but its group_by key can be null in sales_mart");
    }

    [Theory]
    [InlineData("drop buyers", "derive.aggregates.buyers has no column 'buyers' in kpi_daily; declare it in columns: with its type, or remove the aggregate")]
    [InlineData("drop currency", "derive.group_by names 'currency', which is not a column of kpi_daily; declare it in columns: as a string, or remove it from group_by")]
    [InlineData("add extra", "column 'extra' is neither a derive.group_by key nor a derive.aggregates entry; add it to one of them, or remove the column")]
    [InlineData("revenue int64", "derive.aggregates.revenue: sum(coalesce(total_price, 0)) is decimal but column 'revenue' is declared int64; declare it decimal(p,s)")]
    [InlineData("country int64", "column 'country' is a derive.group_by key declared int64; keys are strings: declare it string")]
    [InlineData("units date", "derive.aggregates.units: sum(coalesce(qty, 0)) fills column 'units', declared date; an aggregate fills an int64 or a decimal(p,s) column: declare it so")]
    public void A_contract_built_without_the_loader_is_bound_by_the_same_rules(string change, string problem)
    {
        var contracts = ContractLoader.LoadAll(RepoRoot.Combine("data-contracts"));
        var kpi = contracts["kpi_daily"];
        ContractColumn Retype(ContractColumn c, string name, ColumnType type) => c.Name == name ? c with { Type = type } : c;
        IReadOnlyList<ContractColumn> columns = change switch
        {
            "drop buyers" => kpi.Columns.Where(c => c.Name != "buyers").ToList(),
            "drop currency" => kpi.Columns.Where(c => c.Name != "currency").ToList(),
            "add extra" => [.. kpi.Columns, new ContractColumn("extra", ColumnType.Int64, false, null)],
            "revenue int64" => kpi.Columns.Select(c => Retype(c, "revenue", ColumnType.Int64)).ToList(),
            "country int64" => kpi.Columns.Select(c => Retype(c, "country", ColumnType.Int64)).ToList(),
            "units date" => kpi.Columns.Select(c => Retype(c, "units", ColumnType.Date)).ToList(),
            _ => throw new ArgumentException(change),
        };

        var e = Assert.Throws<ConfigurationException>(() => DailyKpi.From(kpi with { Columns = columns }, contracts["sales_mart"]));

        Assert.Equal($"{kpi.SourcePath}: {problem}", e.Message);
    }

    [Fact]
    public async Task A_sum_beyond_its_declared_decimal_fails_with_exit_5_and_publishes_nothing()
    {
        var before = await PublishDay1Async();
        EventFixtures.Land(_h.Landing, Day2, "big.json", [
            EventFixtures.Event("O-1", 1001, At(Day2, 8), At(Day2, 9), 3, 20.00m),
            EventFixtures.Event("O-2", 1001, At(Day2, 10), At(Day2, 11), 2, 25.00m),
        ]);
        _h.ContractsOverride = ExtraColumnContracts("decimal(4,2)");

        var run = await _h.CliAsync("run");

        Assert.Equal(ExitCodes.Data, run.Code);
        Assert.Contains("kpi_daily dt=2026-01-26, country=", run.Err);
        Assert.Contains("currency=EUR: gross_units_value 110.00 does not fit its DECIMAL(4,2) (at most 99.99)", run.Err);
        Assert.Contains("declare gross_units_value wider in kpi_daily's contract (up to decimal(18,2))", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
        Assert.Equal(before, PublishedWarehouse.Of(_h.WarehouseRoot));
    }

    [Fact]
    public void Group_by_any_mart_string_column_and_integer_sums_in_decimal_columns_rounded_to_the_declared_scale()
    {
        // group_by channel; units as decimal(18,2); revenue at one place, rounded half away from zero.
        var dir = ContractsWith("", "", editKpi: line => line
            .Replace("group_by: [country, segment, currency]", "group_by: [channel]")
            .Replace("{name: country, type: string, nullable: true, description: Buyer country.}", "{name: channel, type: string, nullable: true, description: c.}")
            .Replace("{name: units, type: int64, nullable: false,", "{name: units, type: \"decimal(18,2)\", nullable: true,")
            .Replace("{name: revenue, type: \"decimal(18,2)\"", "{name: revenue, type: \"decimal(18,1)\""));
        // Without segment and currency, and without the checks (they name them).
        File.WriteAllLines(Path.Combine(dir, "kpi_daily.yaml"), File.ReadAllLines(Path.Combine(dir, "kpi_daily.yaml"))
            .TakeWhile(l => !l.StartsWith("checks:", StringComparison.Ordinal))
            .Where(l => !l.Contains("{name: segment,", StringComparison.Ordinal) && !l.Contains("{name: currency,", StringComparison.Ordinal)));
        var kpi = DailyKpi.From(ContractLoader.LoadAll(dir));
        var t0 = At(Day1, 8);
        MartRecord Row(long user, int qty, decimal total, string channel) =>
            new($"O-{user}-{channel}", user, t0, t0, qty, total / qty, total, "EUR", "SKU-1", channel, "DE", "retail", null, "events/x.json");

        var table = kpi.Compute([Row(1, 2, 0.20m, "web"), Row(2, 1, 0.05m, "web"), Row(3, 3, -0.25m, "app"), Row(4, 1, 1.04m, "store")]);

        Assert.Equal(["channel", "orders", "units", "revenue", "buyers", "avg_order_value"], table.Columns.Select(c => c.Name));
        Assert.Equal(new string?[] { "app", "store", "web" }, table.Strings("channel"));
        Assert.Equal([3m, 1m, 3m], table.Decimals("units"));
        Assert.Equal([-0.3m, 1.0m, 0.3m], table.Decimals("revenue"));
        Assert.Equal([-0.25m, 1.04m, 0.13m], table.Decimals("avg_order_value"));
        Assert.Equal(new ParquetColumnSpec("revenue", ParquetValueKind.Decimal, true, 18, 1), table["revenue"].Spec);
    }
}
