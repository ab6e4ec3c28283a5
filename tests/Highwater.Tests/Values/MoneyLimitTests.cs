using Highwater.Cli;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.QualityGate;
using Highwater.Tests.Support;
using Parquet;
using Xunit;
using Highwater.Tests.Contracts;
using Parquet.Schema;

namespace Highwater.Tests.Values;

/// <summary>
/// Money beyond DECIMAL(18,2): a line whose qty × unit_price does not fit total_price is quarantined; a KPI sum that
/// does not fit kpi_daily's columns fails the run as a data error; KPI files declare the column order of their statistics.
/// </summary>
public sealed class MoneyLimitTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private readonly PipelineHarness _h = new();

    private static DateTime At(DateOnly day, int hour) => day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);

    private async Task<PublishedWarehouse> PublishBaselineAsync()
    {
        EventFixtures.Land(_h.Landing, Day1, "base.json", [EventFixtures.Event("B-1", 1001, At(Day1, 8), At(Day1, 9), 2, 1.50m)]);
        var first = await _h.CliAsync("run");
        Assert.True(first.Code == 0, first.Err);
        var published = PublishedWarehouse.Of(_h.WarehouseRoot);
        Assert.Contains("B-1", published.Mart);
        return published;
    }

    [Fact]
    public async Task A_line_whose_total_price_does_not_fit_is_quarantined_naming_file_line_and_value()
    {
        var before = await PublishBaselineAsync();
        // 2 × 9999999999999999.99 needs 19 digits; the other lines fit (the largest exactly).
        EventFixtures.Land(_h.Landing, Day2, "big.json", [
            EventFixtures.Event("O-1", 1001, At(Day2, 8), At(Day2, 9), 1, 3.00m),
            EventFixtures.Event("O-2", 1002, At(Day2, 8), At(Day2, 9), 2, 9999999999999999.99m),
            EventFixtures.Event("O-3", 1003, At(Day2, 8), At(Day2, 9), 1, 9999999999999999.99m),
        ]);

        var run = await _h.CliAsync("run");

        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("1 with total_price beyond DECIMAL(18,2) quarantined", run.Out);
        var quarantine = Directory.GetFiles(Path.Combine(_h.WarehouseRoot, "quarantine"), "transform.ndjson", SearchOption.AllDirectories);
        var line = Assert.Single(File.ReadAllLines(Assert.Single(quarantine)));
        Assert.Contains("\"source_key\":\"events/2026-01-26/big.json\"", line);
        Assert.Contains("\"line\":2", line);
        Assert.Contains("events/2026-01-26/big.json:2: total_price = qty 2 × unit_price 9999999999999999.99 = 19999999999999999.98, beyond DECIMAL(18,2)", line);
        Assert.Contains("order_id=O-2", line);

        using var db = new DuckDb();
        Assert.Equal(["B-1|3.00", "O-1|3.00", "O-3|9999999999999999.99"],
            db.Rows($"SELECT order_id, total_price FROM {DuckDb.Mart(_h.WarehouseRoot)} ORDER BY order_id"));
        // The earlier partition is as it was.
        var after = PublishedWarehouse.Of(_h.WarehouseRoot);
        Assert.StartsWith(before.Mart, after.Mart);
    }

    [Fact]
    public async Task A_kpi_sum_beyond_its_column_type_fails_the_run_as_a_data_error_and_publishes_nothing()
    {
        var before = await PublishBaselineAsync();
        EventFixtures.Land(_h.Landing, Day2, "sum.json", [
            EventFixtures.Event("O-1", 1001, At(Day2, 8), At(Day2, 9), 1, 9999999999999999.99m),
            EventFixtures.Event("O-2", 1001, At(Day2, 10), At(Day2, 11), 1, 9999999999999999.99m),
        ]);

        var run = await _h.CliAsync("run");

        Assert.Equal(ExitCodes.Data, run.Code);
        Assert.Contains("kpi_daily dt=2026-01-26", run.Err);
        Assert.Contains("revenue 19999999999999999.98 does not fit its DECIMAL(18,2) (at most 9999999999999999.99)", run.Err);
        Assert.DoesNotContain("   at ", run.Err); // no stack trace
        Assert.Equal(before, PublishedWarehouse.Of(_h.WarehouseRoot));
    }

    [Fact]
    public async Task Kpi_files_declare_the_column_order_of_their_min_max_statistics()
    {
        await PublishBaselineAsync();
        var kpi = Assert.Single(Directory.GetFiles(Path.Combine(_h.WarehouseRoot, "gold", "kpi_daily"), "*.parquet", SearchOption.AllDirectories));

        // Parquet.Net reads the footer: every column has min/max and a TypeDefinedOrder.
        await using (var reader = await ParquetReader.CreateAsync(kpi))
        {
            var orders = reader.Metadata!.ColumnOrders;
            Assert.NotNull(orders);
            Assert.Equal(reader.Schema.DataFields.Length, orders.Count);
            Assert.All(orders, o => Assert.NotNull(o.TYPEORDER));
            using var rg = reader.OpenRowGroupReader(0);
            Assert.NotNull(rg.GetMetadata(reader.Schema.DataFields.Single(f => f.Name == "revenue"))!.MetaData!.Statistics!.MaxValue);
        }

        // DuckDB reads the statistics as values of the column's type and the rows as before.
        using var db = new DuckDb();
        Assert.Equal(["revenue|3.00|3.00", "orders|1|1"], db.Rows(
            $"SELECT path_in_schema, stats_min_value, stats_max_value FROM parquet_metadata('{kpi}') WHERE path_in_schema IN ('revenue', 'orders') ORDER BY path_in_schema DESC"));
        Assert.Equal(["DECIMAL(18,2)"], db.Rows($"SELECT DISTINCT typeof(revenue) FROM {DuckDb.Kpi(_h.WarehouseRoot)}"));
        Assert.Equal(["1|2|3.00|1|3.00"], db.Rows($"SELECT orders, units, revenue, buyers, avg_order_value FROM {DuckDb.Kpi(_h.WarehouseRoot)}"));
    }

    [Fact]
    public async Task Kpi_files_of_an_earlier_release_and_of_this_one_read_as_one_dataset_and_pass_the_contract()
    {
        // dt=2026-01-25 as the earlier release wrote it (Parquet.Net), dt=2026-01-26 as this one does.
        var root = Path.Combine(_h.WarehouseRoot, "gold", "kpi_daily");
        var (old, current) = (Path.Combine(root, "dt=2026-01-25", "part.parquet"), Path.Combine(root, "dt=2026-01-26", "part.parquet"));
        Directory.CreateDirectory(Path.GetDirectoryName(old)!);
        Directory.CreateDirectory(Path.GetDirectoryName(current)!);
        var contract = ContractLoader.LoadAll(RepoRoot.Combine("data-contracts"))["kpi_daily"];
        var fields = contract.Columns.ToDictionary(c => c.Name, ContractFields.Of);
        await using (var stream = File.Create(old))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields.Values), stream))
        {
            using var g = writer.CreateRowGroup();
            await g.WriteAsync((DataField<string>)fields["country"], new string?[] { "DE" });
            await g.WriteAsync((DataField<string>)fields["segment"], new string?[] { "retail" });
            await g.WriteAsync((DataField<string>)fields["currency"], new string?[] { "EUR" });
            await g.WriteAsync<long>(fields["orders"], new long[] { 2 });
            await g.WriteAsync<long>(fields["units"], new long[] { 3 });
            await g.WriteAsync<decimal>(fields["revenue"], (ReadOnlyMemory<decimal?>)new decimal?[] { 9999999999999999.99m });
            await g.WriteAsync<long>(fields["buyers"], new long[] { 1 });
            await g.WriteAsync<decimal>(fields["avg_order_value"], (ReadOnlyMemory<decimal?>)new decimal?[] { 5000000000000000.00m });
        }
        var at = At(Day2, 8);
        await using (var stream = File.Create(current))
            await KpiPartitionFile.WriteAsync(stream, DeclaredKpi.Instance.Compute([new MartRecord("O-1", 1, at, at, 1, 0.01m, 0.01m, "EUR", "SKU-1", "web",
                "DE", "retail", null, "events/2026-01-26/a.json")]), "2026-01-26");

        using var db = new DuckDb();
        Assert.Equal(["2026-01-25|9999999999999999.99|DECIMAL(18,2)", "2026-01-26|0.01|DECIMAL(18,2)"],
            db.Rows($"SELECT dt, revenue, typeof(revenue) FROM {DuckDb.Kpi(_h.WarehouseRoot)} ORDER BY dt"));
        var files = new[] { old, current }.Select(f => new DatasetFile(f,
            new Dictionary<string, string> { ["dt"] = Path.GetFileName(Path.GetDirectoryName(f))![3..] })).ToList();
        using var fx = new Highwater.Tests.Contracts.ContractFixtures();
        var report = await new ContractGate().EvaluateAsync(contract, files, fx.Context(), CancellationToken.None);
        Assert.True(report.Passed, report.ToConsoleText());
    }

    public void Dispose() => _h.Dispose();
}
