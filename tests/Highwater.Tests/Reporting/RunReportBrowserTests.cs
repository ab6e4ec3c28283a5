using System.Text.RegularExpressions;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Reporting;

/// <summary>
/// Renders the HTML run report in headless Chromium (Debian's package, installed by scripts/install-test-tools.sh):
/// it must render, with its title and tables, and a chart with exactly one bar and one point per day in
/// kpi_daily. The screenshot is kept under artifacts/screenshots/ for CI to upload.
/// </summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "chromium")]
public sealed class RunReportBrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly PipelineHarness _harness = new();
    private readonly TempFolder _profile = new("chromium");

    private ExternalProcess.Result Browse(string html, params string[] args)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run scripts/install-test-tools.sh");
        return ExternalProcess.Run(Chromium,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
            $"--user-data-dir={_profile.Path}", .. args, new Uri(html).AbsoluteUri,
        ], environment: new Dictionary<string, string?> { ["HOME"] = _profile.Path }, timeout: TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task The_report_of_a_sample_run_renders_with_one_bar_and_one_point_per_day()
    {
        // The shipped sample (two days) plus a week of generated days published first, so the chart has history.
        for (var i = 0; i < 7; i++)
            EventFixtures.LandDay(_harness.Landing, new DateOnly(2026, 1, 17).AddDays(i), "history.json", 40 + 10 * i, seed: 100 + i, orderPrefix: $"H{i}");
        Assert.True(await _harness.RunAsync());
        TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _harness.Landing);
        Assert.True(await _harness.RunAsync());

        var manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_harness.WarehouseRoot));
        var html = Path.Combine(_harness.WorkRoot, "reports", manifest.LastRunId!, "report.html");
        Assert.True(File.Exists(html), _harness.Output.ToString());

        using var db = new DuckDb();
        var days = db.Rows($"SELECT DISTINCT strftime(dt, '%Y-%m-%d') AS d FROM {DuckDb.Kpi(_harness.WarehouseRoot)} ORDER BY d");
        Assert.Equal(9, days.Count);

        var dom = Browse(html, "--dump-dom");
        Assert.True(dom.ExitCode == 0, dom.ToString());
        var page = dom.Stdout;
        Assert.Contains($"<title>Highwater run {manifest.LastRunId}</title>", page);
        foreach (var section in new[] { "daily", "stages", "gate", "partitions", "files" })
            Assert.Matches($"<section id=\"{section}\">[\\s\\S]*?<table>", page);
        Assert.Contains("<svg id=\"daily-chart\"", page);
        List<string> Marks(string cls) => Regex.Matches(page, $"<(?:rect|circle) class=\"{cls}\" data-dt=\"([0-9-]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(days, Marks("bar"));
        Assert.Equal(days, Marks("point"));
        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch("(src|href)=\"https?:", page);

        var screenshot = RepoRoot.Combine("artifacts", "screenshots", "report.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        File.Delete(screenshot);
        var shot = Browse(html, $"--screenshot={screenshot}", "--window-size=1280,1600");
        Assert.True(shot.ExitCode == 0, shot.ToString());
        var png = File.ReadAllBytes(screenshot);
        Assert.True(png.Length > 10_000, $"screenshot is only {png.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    public void Dispose()
    {
        _harness.Dispose();
        _profile.Dispose();
    }
}
