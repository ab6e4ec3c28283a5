using System.Globalization;
using Highwater.Pipeline.Core.Reporting;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Reporting;

/// <summary>The run report PublishMart writes: its numbers checked against the inputs and, independently, DuckDB.</summary>
public sealed class RunReportTests : IDisposable
{
    private readonly PipelineHarness _harness = new();

    private async Task<(RunReport Report, HighWatermarkManifest Manifest)> PublishSampleAsync(IObjectStore? warehouse = null)
    {
        TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _harness.Landing);
        Assert.True(await _harness.RunAsync(warehouse));
        var manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_harness.WarehouseRoot));
        var json = Path.Combine(_harness.WarehouseRoot, "reports", manifest.LastRunId!, "report.json");
        return (File.Exists(json) ? RunReport.FromJson(File.ReadAllText(json)) : null!, manifest);
    }

    [Fact]
    public async Task Publish_writes_json_and_html_reports_to_the_warehouse_and_the_work_area()
    {
        var (report, manifest) = await PublishSampleAsync();
        Assert.NotNull(report);
        var runId = manifest.LastRunId!;
        Assert.Equal(runId, report.RunId);
        foreach (var name in new[] { "report.json", "report.html" })
        {
            var inWarehouse = Path.Combine(_harness.WarehouseRoot, "reports", runId, name);
            var local = Path.Combine(_harness.WorkRoot, "reports", runId, name);
            Assert.True(File.Exists(inWarehouse), inWarehouse);
            Assert.Equal(File.ReadAllText(inWarehouse), File.ReadAllText(local));
        }
        Assert.Contains($"run report: {_harness.WarehouseRoot}/reports/{runId}/report.html", _harness.Output.ToString());
        var summary = File.ReadAllText(Path.Combine(_harness.WorkRoot, "reports", runId, "summary.md"));
        Assert.Contains($"reports/{runId}/report.html", summary);

        // Files picked up and rows per stage agree with the landed input.
        var landed = Directory.EnumerateFiles(Path.Combine(_harness.Landing, "events"), "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(_harness.Landing, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(landed, report.Files.Select(f => f.Key).ToList());
        Assert.Equal(["discover", "extract", "transform", "gate", "publish"], report.Stages.Select(s => s.Stage).ToList());
        var lines = landed.SelectMany(k => File.ReadLines(Path.Combine(_harness.Landing, k))).Count(l => l.Trim().Length > 0);
        var extract = report.Stages.Single(s => s.Stage == "extract");
        Assert.Equal(lines, extract.RowsIn);
        Assert.Equal(extract.RowsIn, extract.RowsOut + extract.Quarantined);
        var transform = report.Stages.Single(s => s.Stage == "transform");
        Assert.Equal(extract.RowsOut, transform.RowsIn);
        Assert.True(transform.Quarantined > 0, "the sample holds unknown users");
        Assert.All(report.Stages, s => Assert.True(s.DurationSeconds >= 0));

        // Gate results per check, partitions rewritten.
        Assert.Equal(["sales_mart", "kpi_daily"], report.Gate.Select(g => g.Dataset).ToList());
        Assert.All(report.Gate, g => Assert.True(g.Passed));
        Assert.Contains(report.Gate[0].Checks, c => c.Name == "order_id_not_null" && c.Status == "pass");
        Assert.Equal(["2026-01-25", "2026-01-26"], report.Partitions.Select(p => p.Dt).ToList());

        // The daily series agrees with an independent read of kpi_daily.
        using var db = new DuckDb();
        var expected = db.Rows($"SELECT strftime(dt, '%Y-%m-%d'), sum(orders), printf('%.2f', sum(revenue)) FROM {DuckDb.Kpi(_harness.WarehouseRoot)} GROUP BY dt ORDER BY dt");
        Assert.Equal(expected, report.Daily.Select(d => $"{d.Dt}|{d.Orders}|{d.Revenue.ToString("F2", CultureInfo.InvariantCulture)}").ToList());
    }

    [Fact]
    public async Task A_report_that_cannot_be_written_is_a_warning_and_the_publish_stands()
    {
        var failing = new FaultyStore(new LocalFolderStore(_harness.WarehouseRoot), (op, key) => op == "put" && key.StartsWith("reports/", StringComparison.Ordinal));
        var (report, manifest) = await PublishSampleAsync(failing);
        Assert.Null(report);
        Assert.Equal(1, manifest.Version);
        Assert.True(failing.Failures > 0);
        Assert.Contains("warning: the run report was not written", _harness.Output.ToString());
    }

    public void Dispose() => _harness.Dispose();
}
