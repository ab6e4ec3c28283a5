using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Discover;
using Highwater.Pipeline.Extract;
using Highwater.Pipeline.Transform;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>Progress lines: live in a terminal, plain and periodic otherwise, throttled by a clock the test moves.</summary>
public sealed class StageProgressTests
{
    private static (ProgressStageLog Log, StringWriter Out) Log(ProgressMode mode)
    {
        var output = new StringWriter();
        return (new ProgressStageLog(new StageLog(output, diagnostic: false), output, mode, TimeSpan.FromSeconds(10)), output);
    }

    [Fact]
    public void Plain_mode_writes_whole_lines_without_control_codes_at_most_once_per_interval()
    {
        var (log, output) = Log(ProgressMode.Plain);
        var clock = new ManualClock();
        using (var progress = log.StartProgress(clock, "Extract", "files", totalItems: 4, totalBytes: 400))
        {
            clock.Advance(TimeSpan.FromSeconds(3));
            progress.Advance(1, rows: 1000, bytes: 100);   // within the interval: nothing shown
            Assert.Equal("", output.ToString());
            clock.Advance(TimeSpan.FromSeconds(7));
            progress.Advance(1, rows: 1000, bytes: 100);   // 10 s: shown
            progress.Advance(1, rows: 1000, bytes: 100);   // same instant: throttled
        }
        log.Info("Extract: done");

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(["Extract: 2/4 files (50%), 2,000 rows, 200 rows/s, elapsed 0:10, ETA 0:10", "Extract: done"], lines);
        Assert.DoesNotContain('\u001b', output.ToString());
        Assert.DoesNotContain("\r", output.ToString().Replace(Environment.NewLine, "\n"));
    }

    [Fact]
    public void Live_mode_redraws_one_line_and_clears_it_before_other_messages()
    {
        var (log, output) = Log(ProgressMode.Live);
        var clock = new ManualClock();
        using (var progress = log.StartProgress(clock, "Transform", "partitions", totalItems: 2))
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            progress.Advance(1, rows: 50);
            clock.Advance(TimeSpan.FromSeconds(1));
            progress.Advance(1, rows: 50);
        }
        log.Info("Transform: done");

        var text = output.ToString();
        Assert.StartsWith("\rTransform: 1/2 partitions (50%), 50 rows, 50 rows/s, elapsed 0:01, ETA 0:01", text);
        Assert.Contains("\rTransform: 2/2 partitions (100%), 100 rows, 50 rows/s, elapsed 0:02", text);
        Assert.DoesNotContain('\n', text[..text.LastIndexOf('\r')]);   // redrawn in place, no new lines
        Assert.EndsWith("\rTransform: done" + Environment.NewLine, text);  // cleared, then the stage's line
    }

    [Fact]
    public void Off_mode_and_a_plain_stage_log_show_no_progress()
    {
        var (log, output) = Log(ProgressMode.Off);
        var clock = new ManualClock();
        using (var progress = log.StartProgress(clock, "Extract", "files", 1))
        {
            clock.Advance(TimeSpan.FromMinutes(5));
            progress.Advance(1, 10);
        }
        Assert.Equal("", output.ToString());

        var plain = new StringWriter();
        using (var progress = new StageLog(plain, false).StartProgress(clock, "Extract", "files", 1))
        {
            clock.Advance(TimeSpan.FromMinutes(5));
            progress.Advance(1, 10);
            Assert.Equal(1, progress.Items);
        }
        Assert.Equal("", plain.ToString());
    }

    [Theory]
    [InlineData(false, false, null, ProgressMode.Live)]
    [InlineData(false, true, null, ProgressMode.Plain)]
    [InlineData(false, false, "true", ProgressMode.Plain)]
    [InlineData(true, false, null, ProgressMode.Off)]
    public void Mode_follows_the_terminal_and_CI(bool quiet, bool redirected, string? ci, ProgressMode expected) =>
        Assert.Equal(expected, ProgressStageLog.ModeFor(quiet, redirected, name => name == "CI" ? ci : null));

    [Fact]
    public async Task Extract_reports_progress_per_file_through_the_stage_log()
    {
        using var harness = new PipelineHarness();
        for (var i = 0; i < 3; i++)
            EventFixtures.LandDay(harness.Landing, new DateOnly(2026, 5, 1 + i), "a.json", 10, seed: i, orderPrefix: $"P{i}");
        var clock = new StepClock(TimeSpan.FromSeconds(4));
        var output = new StringWriter();
        var ctx = harness.Context();
        ctx = new PipelineContext
        {
            Landing = ctx.Landing, Users = ctx.Users, Warehouse = ctx.Warehouse, Work = ctx.Work, ContractsDir = ctx.ContractsDir,
            Clock = clock,
            Log = new ProgressStageLog(new StageLog(output, false), output, ProgressMode.Plain, TimeSpan.FromSeconds(10)),
        };
        await DiscoverStage.RunAsync(ctx);
        await ExtractStage.RunAsync(ctx);
        await TransformStage.RunAsync(ctx);
        Assert.Matches(@"Extract: [123]/3 files \(\d+%\), [\d,]+ rows", output.ToString());
        Assert.Matches(@"Transform: [123]/3 partitions", output.ToString());
    }

    /// <summary>A clock that moves forward a fixed step every time it is read.</summary>
    private sealed class StepClock(TimeSpan step) : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks += step.Ticks;
    }
}
