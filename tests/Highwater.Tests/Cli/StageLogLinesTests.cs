using System.Text.RegularExpressions;
using Highwater.Cli;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Cli;

/// <summary>Logs: one line per stage with counts and duration; diagnostic verbosity adds per-file timings.</summary>
public sealed class StageLogLinesTests : IDisposable
{
    private readonly PipelineHarness _harness = new();

    private async Task<string> Run(string verbosity)
    {
        var (code, stdout, stderr) = await _harness.CliAsync("run", $"--verbosity={verbosity}");
        Assert.True(code == 0, stderr);
        return stdout;
    }

    [Fact]
    public async Task Each_stage_logs_one_line_with_counts_and_seconds_and_diagnostic_adds_per_file_timings()
    {
        TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _harness.Landing);
        var normal = await Run("normal");
        foreach (var stage in new[] { "Discover", "Extract", "Transform", "QualityGate", "PublishMart" })
            Assert.Single(Regex.Matches(normal, $@"^{stage}: .*\d.* in \d+\.\d\d s", RegexOptions.Multiline));
        Assert.DoesNotMatch(@"file_a\.json: \d+ lines", normal);

        // Again from scratch at diagnostic verbosity.
        Directory.Delete(_harness.WarehouseRoot, true);
        Directory.Delete(_harness.WorkRoot, true);
        var diagnostic = await Run("diagnostic");
        foreach (var file in new[] { "events/2026-01-25/file_a.json", "events/2026-01-26/file_b.json" })
            Assert.Matches($@"  {Regex.Escape(file)}: [\d,]+ lines, [\d,]+ rows, [\d,]+ quarantined in \d+ ms", diagnostic);
    }

    public void Dispose() => _harness.Dispose();
}
