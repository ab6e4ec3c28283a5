using System.Text.Json;
using Highwater.Cli;
using Highwater.Pipeline.Discover;
using Highwater.Pipeline.Extract;
using Highwater.Pipeline.Transform;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Cli;

/// <summary><c>highwater plan</c>: what a run would do — files and partitions — with nothing written.</summary>
public sealed class PlanCommandTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 3, 1);
    private static readonly DateOnly Day2 = new(2026, 3, 2);
    private readonly PipelineHarness _harness = new();

    private async Task<JsonElement> PlanJson()
    {
        var (code, stdout, stderr) = await _harness.CliAsync("plan", "--format=json");
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    [Fact]
    public async Task Plan_lists_new_and_reuploaded_files_and_estimates_partitions_without_writing()
    {
        // Day 1's file holds one event that happened the day before (a late event): it feeds two partitions.
        var at = Day1.ToDateTime(new TimeOnly(9, 0), DateTimeKind.Utc);
        EventFixtures.Land(_harness.Landing, Day1, "a.json",
        [
            EventFixtures.Event("A-1", 1001, at, at.AddMinutes(3), 1, 2.00m),
            EventFixtures.Event("A-2", 1002, at.AddDays(-1), at.AddMinutes(4), 1, 3.00m),
        ]);
        Assert.True(await _harness.RunAsync());
        Assert.True((await PlanJson()).GetProperty("nothingToDo").GetBoolean());

        // Re-upload day 1's file (without the late event) and land a file for day 2.
        EventFixtures.Land(_harness.Landing, Day1, "a.json", [EventFixtures.Event("A-1", 1001, at, at.AddMinutes(30), 2, 2.00m)]);
        EventFixtures.LandDay(_harness.Landing, Day2, "b.json", 10, seed: 7, orderPrefix: "B");
        var warehouseBefore = BuildScript.Fingerprint(_harness.WarehouseRoot);
        var workBefore = BuildScript.Fingerprint(_harness.WorkRoot);

        var plan = await PlanJson();
        Assert.False(plan.GetProperty("nothingToDo").GetBoolean());
        Assert.Equal(["events/2026-03-01/a.json", "events/2026-03-02/b.json"],
            plan.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("key").GetString()!).ToList());
        Assert.True(plan.GetProperty("files")[0].GetProperty("reuploaded").GetBoolean());
        Assert.False(plan.GetProperty("files")[1].GetProperty("reuploaded").GetBoolean());
        // Folder dates, plus 2026-02-28 which the re-uploaded file fed before.
        Assert.Equal(["2026-02-28", "2026-03-01", "2026-03-02"], Strings(plan.GetProperty("partitions")));
        Assert.True(plan.GetProperty("partitionsAreEstimate").GetBoolean());
        Assert.Equal(warehouseBefore, BuildScript.Fingerprint(_harness.WarehouseRoot));
        Assert.Equal(workBefore, BuildScript.Fingerprint(_harness.WorkRoot));

        // Once this batch is transformed, the plan is exact and agrees with Transform.
        var ctx = _harness.Context();
        await DiscoverStage.RunAsync(ctx);
        await ExtractStage.RunAsync(ctx);
        var transformed = await TransformStage.RunAsync(ctx);
        var exact = await PlanJson();
        Assert.False(exact.GetProperty("partitionsAreEstimate").GetBoolean());
        Assert.Equal(transformed!.Partitions.Select(p => p.Dt).ToList(), Strings(exact.GetProperty("partitions")));
    }

    public void Dispose() => _harness.Dispose();
}
