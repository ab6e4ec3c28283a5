using System.Globalization;
using System.Security.Cryptography;
using Highwater.Cli;
using Xunit;

namespace Highwater.Tests.EndToEnd;

/// <summary>
/// A data team adds a column the way README "Add a column" shows: events gain an optional <c>coupon_code</c> and a
/// <c>discount</c> (absent = 0), the mart holds both and derives <c>total_price = qty * unit_price - coalesce(discount, 0)</c>,
/// kpi_daily gains <c>discount_total</c>, and three checks guard them. Only the YAML contracts change; the warehouse
/// published before the change keeps working. What downstream sees is read with DuckDB over <c>gold/</c>.
/// </summary>
public sealed class AddColumnTests : IDisposable
{
    private static readonly DateOnly NewDay = new(2026, 1, 27);
    private readonly PipelineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static DateTime At(int hour, int minute = 0) => NewDay.ToDateTime(new TimeOnly(hour, minute), DateTimeKind.Utc);

    // The lines README "Add a column" shows, each added (or replacing the shipped total_price line) where its comment says.
    private const string EventsCoupon = "  - {name: coupon_code, type: string, nullable: true, default: null}";
    private const string EventsDiscount = "  - {name: discount, type: \"decimal(18,2)\", nullable: true, default: 0}";
    private const string MartCoupon = "  - {name: coupon_code, type: string, nullable: true}";
    private const string MartDiscount = "  - {name: discount, type: \"decimal(18,2)\", nullable: true}";
    private const string MartTotalPrice = "  - {name: total_price, type: \"decimal(18,2)\", nullable: true, derived: \"qty * unit_price - coalesce(discount, 0)\"}";
    private const string DiscountCheck = "  - {name: discount_not_negative, column: discount, min: 0}";
    private const string WithinLineCheck = "  - {name: discount_within_line, compare: {left: discount, op: \"<=\", right: qty * unit_price}}";
    private const string KpiColumn = "  - {name: discount_total, type: \"decimal(18,2)\", nullable: true}";
    private const string KpiAggregate = "    discount_total: sum(coalesce(discount, 0))";
    private const string KpiCheck = "  - {name: discount_total_not_negative, column: discount_total, min: 0}";

    private static readonly string[] ReadmeLines =
        [EventsCoupon, EventsDiscount, MartCoupon, MartDiscount, MartTotalPrice, DiscountCheck, WithinLineCheck, KpiColumn, KpiAggregate, KpiCheck];

    /// <summary>The edit of README "Add a column", applied to a copy of the shipped contracts; returns the copy's folder.</summary>
    private string AddCouponAndDiscount()
    {
        var dir = _h.CopyContracts();
        Edit(dir, "events.yaml", lines => InsertAfter(lines, "{name: channel,", EventsCoupon, EventsDiscount));
        Edit(dir, "sales_mart.yaml", lines =>
        {
            lines = InsertAfter(lines, "{name: channel,", MartCoupon, MartDiscount);
            lines[lines.FindIndex(l => l.Contains("{name: total_price,", StringComparison.Ordinal))] = MartTotalPrice;
            return [.. lines, DiscountCheck, WithinLineCheck];
        });
        Edit(dir, "kpi_daily.yaml", lines =>
        {
            lines = InsertAfter(lines, "{name: avg_order_value,", KpiColumn);
            lines = InsertAfter(lines, "avg_order_value: round(", KpiAggregate);
            return [.. lines, KpiCheck];
        });
        return dir;
    }

    [Fact]
    public void The_readme_shows_exactly_this_change()
    {
        var readme = File.ReadAllText(RepoRoot.Combine("README.md"));
        var at = readme.IndexOf("## Add a column", StringComparison.Ordinal);
        Assert.True(at >= 0, "README.md has no \"## Add a column\" section");
        var end = readme.IndexOf("\n## ", at + 1, StringComparison.Ordinal);
        var section = readme[at..(end < 0 ? readme.Length : end)].Split('\n');
        foreach (var line in ReadmeLines) Assert.Contains(line, section);
    }

    private static void Edit(string dir, string file, Func<List<string>, List<string>> edit)
    {
        var path = Path.Combine(dir, file);
        File.WriteAllLines(path, edit([.. File.ReadAllLines(path)]));
    }

    private static List<string> InsertAfter(List<string> lines, string marker, params string[] added)
    {
        var at = lines.FindIndex(l => l.Contains(marker, StringComparison.Ordinal));
        Assert.True(at >= 0, $"no line with '{marker}'");
        lines.InsertRange(at + 1, added);
        return lines;
    }

    private static string Line(string orderId, long user, int hour, int qty, decimal unitPrice, string? extra) =>
        "{" + string.Create(CultureInfo.InvariantCulture,
            $"\"order_id\":\"{orderId}\",\"user_id\":{user},\"event_ts\":\"{At(hour):yyyy-MM-dd'T'HH:mm:ss'Z'}\",\"arrival_ts\":\"{At(hour, 30):yyyy-MM-dd'T'HH:mm:ss'Z'}\"," +
            $"\"qty\":{qty},\"unit_price\":{unitPrice},\"currency\":\"EUR\",\"sku\":\"SKU-1\",\"channel\":\"web\"{extra}") + "}";

    /// <summary>Publishes the samples with the shipped contracts (the warehouse before the change); returns its gold/ files' hashes.</summary>
    private async Task<Dictionary<string, string>> PublishSamplesAsync()
    {
        TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _h.Landing);
        var first = await _h.CliAsync("run");
        Assert.True(first.Code == 0, first.Err);
        return Published();
    }

    private Dictionary<string, string> Published() =>
        Directory.EnumerateFiles(Path.Combine(_h.WarehouseRoot, "gold"), "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(_h.WarehouseRoot, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private string Glob(string dataset) =>
        $"read_parquet('{Path.Combine(_h.WarehouseRoot, "gold", dataset)}/*/*.parquet', hive_partitioning = true, union_by_name = true)";

    [Fact]
    public async Task Coupon_and_discount_added_in_yaml_reach_mart_kpis_and_gate_and_the_published_warehouse_continues()
    {
        var before = await PublishSamplesAsync();

        var contracts = AddCouponAndDiscount();
        // At most five files and no code: the three contracts differ from the shipped ones, nothing else.
        var changed = Directory.GetFiles(contracts).Where(f =>
            !File.ReadAllBytes(f).SequenceEqual(File.ReadAllBytes(RepoRoot.Combine("data-contracts", Path.GetFileName(f))))).Select(Path.GetFileName).Order();
        Assert.Equal(["events.yaml", "kpi_daily.yaml", "sales_mart.yaml"], changed);
        _h.ContractsOverride = contracts;
        EventFixtures.Land(_h.Landing, NewDay, "file_c.json", [
            Line("C-1", 1001, 8, 2, 10.00m, ",\"coupon_code\":\"SPRING\",\"discount\":3.50"),
            Line("C-2", 1002, 9, 1, 19.99m, null),                                   // neither field: no coupon, discount 0
            Line("C-3", 1003, 10, 3, 5.00m, ",\"discount\":null,\"coupon_code\":null"), // explicit nulls stay null
            Line("C-4", 1001, 11, 4, 2.50m, ",\"discount\":1,\"coupon_code\":\"VIP\""),
        ]);

        var second = await _h.CliAsync("run");

        Assert.True(second.Code == 0, second.Err);
        using var db = new DuckDb();
        var mart = Glob("sales_mart");
        Assert.Equal(["C-1|SPRING|3.50|16.50", "C-2|null|0.00|19.99", "C-3|null|null|15.00", "C-4|VIP|1.00|9.00"],
            db.Rows($"SELECT order_id, coalesce(coupon_code, 'null'), coalesce(CAST(discount AS VARCHAR), 'null'), total_price FROM {mart} WHERE dt = DATE '{NewDay:yyyy-MM-dd}' ORDER BY order_id"));
        // The partitions published before the change are untouched; their rows read the new columns as null.
        var after = Published();
        foreach (var (file, hash) in before) Assert.Equal(hash, after.GetValueOrDefault(file));
        Assert.Equal(["2026-01-25|0|0", "2026-01-26|0|0"],
            db.Rows($"SELECT dt, count(coupon_code), count(discount) FROM {mart} WHERE dt < DATE '{NewDay:yyyy-MM-dd}' GROUP BY dt ORDER BY dt"));

        // discount_total is the day's sum of discounts per group, as DuckDB computes it from the mart itself.
        var kpi = Glob("kpi_daily");
        var expected = db.Rows($"SELECT country, segment, currency, CAST(sum(coalesce(discount, 0)) AS DECIMAL(18,2)) FROM {mart} WHERE dt = DATE '{NewDay:yyyy-MM-dd}' GROUP BY ALL ORDER BY ALL");
        Assert.Equal(expected, db.Rows($"SELECT country, segment, currency, discount_total FROM {kpi} WHERE dt = DATE '{NewDay:yyyy-MM-dd}' ORDER BY ALL"));
        Assert.NotEmpty(expected);
        Assert.Equal(["0"], db.Rows($"SELECT count(discount_total) FROM {kpi} WHERE dt < DATE '{NewDay:yyyy-MM-dd}'"));
    }

    [Fact]
    public async Task Contracts_changed_between_extract_and_transform_are_refused_with_the_way_out_and_nothing_published_changes()
    {
        var before = await PublishSamplesAsync();
        EventFixtures.Land(_h.Landing, NewDay, "file_c.json", [Line("C-1", 1001, 8, 2, 10.00m, ",\"discount\":3.50")]);
        Assert.Equal(0, (await _h.CliAsync("discover")).Code);
        Assert.Equal(0, (await _h.CliAsync("extract")).Code);
        _h.ContractsOverride = AddCouponAndDiscount(); // edited after Extract staged the day without the new fields

        var transform = await _h.CliAsync("transform");

        Assert.Equal(ExitCodes.PipelineState, transform.Code);
        Assert.Contains("was staged by Extract before the contracts declared 'coupon_code', 'discount'", transform.Err);
        Assert.Contains("run ./build.sh --target=Clean, then ./build.sh again", transform.Err);
        Assert.Equal(before, Published());
    }

    [Fact]
    public async Task A_discount_beyond_its_line_fails_the_new_check_and_nothing_published_changes()
    {
        var before = await PublishSamplesAsync();
        _h.ContractsOverride = AddCouponAndDiscount();
        EventFixtures.Land(_h.Landing, NewDay, "file_c.json", [
            Line("C-1", 1001, 8, 1, 10.00m, ",\"discount\":12.00"), // more than the line is worth: total_price -2.00
        ]);

        var run = await _h.CliAsync("run");

        Assert.Equal(ExitCodes.QualityGateFailed, run.Code);
        Assert.Contains("discount_within_line", run.Out + run.Err);
        Assert.Equal(before, Published());
    }
}
