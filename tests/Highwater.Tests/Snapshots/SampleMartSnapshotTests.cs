using Highwater.Tests.Support;
using Snapshooter;
using Snapshooter.Xunit;
using Xunit;

namespace Highwater.Tests.Snapshots;

/// <summary>
/// The published mart, KPIs and quarantine for the shipped sample, read back by DuckDB, sorted and
/// rendered as text. A change to any stage's output shows up as a reviewable snapshot diff.
/// </summary>
public sealed class SampleMartSnapshotTests : IDisposable
{
    private readonly PipelineHarness _h = new();

    public SampleMartSnapshotTests() => TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _h.Landing);

    [Fact]
    public async Task Sales_mart_for_the_sample_matches_the_snapshot()
    {
        Assert.True(await _h.RunAsync());
        using var db = new DuckDb();
        var rows = db.Rows($"""
            SELECT dt, order_id, user_id, strftime(event_ts, '%Y-%m-%dT%H:%M:%S.%fZ'), strftime(arrival_ts, '%Y-%m-%dT%H:%M:%S.%fZ'),
                   qty, unit_price, total_price, currency, sku, channel, country, segment, signup_date, source_key
            FROM {DuckDb.Mart(_h.WarehouseRoot)} ORDER BY dt, order_id
            """);
        Assert.NotEmpty(rows);
        Snapshot.Match(rows);
    }

    [Fact]
    public async Task Kpi_daily_for_the_sample_matches_the_snapshot()
    {
        Assert.True(await _h.RunAsync());
        using var db = new DuckDb();
        var rows = db.Rows($"""
            SELECT dt, country, segment, currency, orders, units, revenue, buyers, avg_order_value
            FROM {DuckDb.Kpi(_h.WarehouseRoot)} ORDER BY dt, country, segment, currency
            """);
        Assert.NotEmpty(rows);
        Snapshot.Match(rows);
    }

    [Fact]
    public async Task Quarantine_for_the_sample_matches_the_snapshot()
    {
        Assert.True(await _h.RunAsync());
        var lines = Directory.EnumerateFiles(Path.Combine(_h.WarehouseRoot, "quarantine"), "*.ndjson", SearchOption.AllDirectories)
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .SelectMany(File.ReadLines)
            .ToList();
        Assert.NotEmpty(lines);
        Snapshot.Match(lines);
    }

    public void Dispose() => _h.Dispose();
}

/// <summary>The quality gate's reports for the shipped sample, at a fixed run time.</summary>
public sealed class SampleGateReportSnapshotTests : IDisposable
{
    private readonly PipelineHarness _h = new() { Clock = new ManualClock(new DateTimeOffset(2026, 1, 27, 6, 0, 0, TimeSpan.Zero)) };

    public SampleGateReportSnapshotTests() => TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _h.Landing);

    [Theory]
    [InlineData("sales_mart")]
    [InlineData("kpi_daily")]
    public async Task Gate_report_for_the_sample_matches_the_snapshot(string dataset)
    {
        Assert.True(await _h.RunAsync());
        var gate = _h.Context().Work.GateDir;
        // The run id carries the batch id, a hash that includes this test's temporary folders.
        var runId = new System.Text.RegularExpressions.Regex(@"\d{8}T\d{6}Z-[0-9a-f]{8}");
        var markdown = runId.Replace(File.ReadAllText(Path.Combine(gate, $"{dataset}.report.md")), "<run-id>");
        var json = runId.Replace(File.ReadAllText(Path.Combine(gate, $"{dataset}.report.json")), "<run-id>");
        Assert.Contains("pass", markdown, StringComparison.OrdinalIgnoreCase);
        Snapshot.Match(new { markdown, json }, SnapshotNameExtension.Create(dataset));
    }

    public void Dispose() => _h.Dispose();
}
