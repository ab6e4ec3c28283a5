using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.QualityGate;
using Highwater.Tests.Support;
using Snapshooter.Xunit;
using Xunit;

namespace Highwater.Tests.Contracts;

public sealed class GateReportTests : IDisposable
{
    private readonly ContractFixtures _fx = new();

    public void Dispose() => _fx.Dispose();

    private static readonly SalesRow Row = new();

    /// <summary>The shipped sales_mart contract over a small fixture with one failure of each kind.</summary>
    private async Task<GateReport> FixtureReportAsync()
    {
        var contracts = ContractLoader.LoadAll(Path.Combine(RepoRoot.Path, "data-contracts"));
        await _fx.WriteUsersAsync(1, 2, 3);
        var file = await _fx.WriteSalesAsync("2024-03-01",
        [
            Row with { OrderId = "o-1", UserId = 1 },
            Row with { OrderId = "o-2", UserId = 2, Qty = 0, Channel = "fax" },
            Row with { OrderId = "o-2", UserId = 9, Currency = "eur" },
            Row with { OrderId = null, UserId = 3, ArrivalTs = Row.EventTs.AddMinutes(-1) },
        ]);
        return await new ContractGate().EvaluateAsync(contracts["sales_mart"], [file], _fx.Context("run-42"), CancellationToken.None);
    }

    [Fact]
    public async Task Markdown_report_matches_the_snapshot()
    {
        var report = await FixtureReportAsync();
        Snapshot.Match(report.ToMarkdown());
    }

    [Fact]
    public async Task Json_report_matches_the_snapshot()
    {
        var report = await FixtureReportAsync();
        Snapshot.Match(report.ToJson());
    }

    [Fact]
    public async Task Report_fails_on_error_checks_and_keeps_warnings_as_warnings()
    {
        var report = await FixtureReportAsync();
        Assert.False(report.Passed);
        Assert.Equal(
            ["order_id_not_null", "order_id_unique_per_day", "qty_at_least_1", "currency_iso_code", "user_exists"],
            report.Failures.Select(f => f.Name).ToArray());
        Assert.Equal(
            ["channel_known", "arrival_after_event"],
            report.Checks.Where(c => c.Status == CheckStatus.Warn).Select(c => c.Name).ToArray());
    }

    [Fact]
    public async Task Gate_failed_exception_names_rules_counts_and_samples()
    {
        var report = await FixtureReportAsync();
        var e = Assert.Throws<GateFailedException>(() => report.EnsurePassed());
        Assert.Same(report, e.Report);
        Assert.StartsWith("Data contract 'sales_mart' v1 failed for run run-42: 5 rules broken", e.Message);
        Assert.Contains("- user_exists (references user_id): 1 failing", e.Message);
        Assert.Contains("    dt=2024-03-01, order_id=\"o-2\", user_id=9,", e.Message);
        Assert.DoesNotContain("channel_known", e.Message);
    }

    [Fact]
    public async Task GitHub_annotations_are_one_escaped_line_per_failure_or_warning()
    {
        var report = await FixtureReportAsync();
        var lines = report.GitHubAnnotations();
        Assert.Equal(7, lines.Count);
        Assert.All(lines, l => Assert.DoesNotContain('\n', l));
        Assert.StartsWith("::error title=Data contract sales_mart%3A order_id_not_null::not_null on order_id: 1 failing%0ASamples:%0Adt=2024-03-01, order_id=null, user_id=3", lines[0]);
        Assert.Single(lines, l => l.StartsWith("::warning title=Data contract sales_mart%3A channel_known::accepted_values on channel: 1 failing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Console_text_is_an_aligned_table_without_escape_codes()
    {
        var report = await FixtureReportAsync();
        var text = report.ToConsoleText();
        Assert.DoesNotContain('\u001b', text);
        var lines = text.Split('\n');
        Assert.StartsWith("sales_mart v1 run run-42 at 2024-03-02 06:00:00Z: FAILED (4 rows, 0 quarantined)", lines[0]);
        Assert.Matches(@"^STATUS\s+CHECK\s+TYPE\s+COLUMNS\s+SEVERITY\s+FAILING\s+CHECKED\s+QUARANTINED$", lines[1]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^FAIL\s+qty_at_least_1\s+min\s+qty\s+error\s+1\s+4\s+0$"));
    }

    [Fact]
    public async Task Passing_report_renders_without_samples_or_annotations()
    {
        var contract = ContractFixtures.SalesContract("- column: qty\n  min: 1");
        var file = await _fx.WriteSalesAsync("2024-03-01", [Row]);
        var report = await new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None);
        Assert.True(report.Passed);
        Assert.Empty(report.GitHubAnnotations());
        Assert.DoesNotContain("Samples", report.ToMarkdown());
        Assert.Same(report, report.EnsurePassed());
    }
}
