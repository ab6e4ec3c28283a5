using System.Text.Json;
using Highwater.Cli;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Cli;

/// <summary><c>highwater status</c>: partition row counts from the Parquet footers, and JSON scripts can rely on.</summary>
public sealed class StatusCommandTests : IDisposable
{
    private readonly PipelineHarness _harness = new();

    private Task<(int Code, string Out, string Err)> Highwater(params string[] args) => _harness.CliAsync(args);

    [Fact]
    public async Task Json_status_counts_rows_per_partition_and_is_stable()
    {
        TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _harness.Landing);
        Assert.True(await _harness.RunAsync());

        var first = await Highwater("status", "--format=json");
        Assert.True(first.Code == 0, first.Err);
        var second = await Highwater("status", "--format=json");
        Assert.Equal(first.Out, second.Out);

        using var doc = JsonDocument.Parse(first.Out);
        var root = doc.RootElement;
        Assert.Equal(
            ["warehouse", "landing", "manifestVersion", "lastRunId", "committedAt", "watermark", "processedFiles", "pendingFiles",
             "pendingBytes", "oldestPending", "upToDate", "partitions", "rows", "partitionRows", "lastGate", "lastReport", "notes"],
            root.EnumerateObject().Select(p => p.Name).ToList());
        Assert.True(root.GetProperty("upToDate").GetBoolean());
        Assert.Equal(0, root.GetProperty("pendingFiles").GetInt32());
        Assert.EndsWith("/report.html", root.GetProperty("lastReport").GetString());

        using var db = new DuckDb();
        var expected = db.Rows($"SELECT strftime(dt, '%Y-%m-%d'), count(*) FROM {DuckDb.Mart(_harness.WarehouseRoot)} GROUP BY dt ORDER BY dt");
        var martRows = root.GetProperty("partitionRows").GetProperty("sales_mart").EnumerateObject().Select(p => $"{p.Name}|{p.Value.GetInt64()}").ToList();
        Assert.Equal(expected, martRows);
        Assert.Equal(db.Scalar<long>($"SELECT count(*) FROM {DuckDb.Mart(_harness.WarehouseRoot)}"), root.GetProperty("rows").GetProperty("sales_mart").GetInt64());
        Assert.Equal(db.Scalar<long>($"SELECT count(*) FROM {DuckDb.Kpi(_harness.WarehouseRoot)}"), root.GetProperty("rows").GetProperty("kpi_daily").GetInt64());
        Assert.Equal(["kpi_daily", "sales_mart"], root.GetProperty("partitions").EnumerateObject().Select(p => p.Name).ToList());

        var text = await Highwater("status");
        Assert.Contains($"sales_mart: 2, {expected.Sum(r => long.Parse(r.Split('|')[1]))} rows", text.Out);
        Assert.Contains("dt=2026-01-26", text.Out);
    }

    [Fact]
    public async Task A_landed_file_makes_status_not_up_to_date()
    {
        var empty = await Highwater("status", "--format=json");
        Assert.True(empty.Code == 0, empty.Err);
        using (var doc = JsonDocument.Parse(empty.Out))
        {
            Assert.True(doc.RootElement.GetProperty("upToDate").GetBoolean());
            Assert.Equal(JsonValueKind.Object, doc.RootElement.GetProperty("partitionRows").ValueKind);
        }

        EventFixtures.LandDay(_harness.Landing, new DateOnly(2026, 2, 1), "a.json", 5, seed: 1, orderPrefix: "A");
        var pending = await Highwater("status", "--format=json");
        using var after = JsonDocument.Parse(pending.Out);
        Assert.False(after.RootElement.GetProperty("upToDate").GetBoolean());
        Assert.Equal(1, after.RootElement.GetProperty("pendingFiles").GetInt32());
    }

    public void Dispose() => _harness.Dispose();
}
