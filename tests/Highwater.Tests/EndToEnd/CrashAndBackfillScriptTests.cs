using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.EndToEnd;

/// <summary>
/// ./build.sh as a process: SIGKILL of the whole process group at a deterministic point (the CLI blocks on
/// the HIGHWATER_PAUSE_AT barrier), a CLI killing itself at HIGHWATER_FAIL_AT, and the Backfill target.
/// </summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "build.sh")]
[Collection(BuildScriptCollection.Name)]
public sealed class CrashAndBackfillScriptTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private readonly TempFolder _temp = new("e2e-crash");
    private readonly string _landing;
    private readonly string _warehouse;
    private readonly string _work;
    private readonly string _users = RepoRoot.Combine("samples", "users");

    public CrashAndBackfillScriptTests()
    {
        _landing = _temp.Combine("landing");
        _warehouse = _temp.Combine("warehouse");
        _work = _temp.Combine("work");
    }

    private string[] Args(string target, params string[] extra) =>
        [$"--target={target}", $"--landing={_landing}", $"--users={_users}", $"--warehouse={_warehouse}", $"--work={_work}", .. extra];

    private Task<List<string>> MartAsync() => MartReader.ReadAsync(new LocalFolderStore(_warehouse), _temp.Combine("read"));

    [Fact]
    public async Task SIGKILL_of_the_whole_build_while_publishing_leaves_the_old_state_and_the_rerun_finishes()
    {
        EventFixtures.LandDay(_landing, Day1, "a.json", 50, seed: 1, orderPrefix: "A");
        var first = BuildScript.Run(Args("PublishMart"));
        Assert.True(first.ExitCode == 0, first.ToString());
        var before = await MartAsync();

        EventFixtures.LandDay(_landing, Day1, "b.json", 20, seed: 2, orderPrefix: "B");
        EventFixtures.LandDay(_landing, Day2, "c.json", 20, seed: 3, orderPrefix: "C");
        var barrier = Path.Combine(_work, $"paused-at-{FaultPoints.PublishAfterPart}");
        using (var build = BuildScript.StartInOwnProcessGroup(
                   new Dictionary<string, string> { [FaultInjector.PauseAtVariable] = FaultPoints.PublishAfterPart }, Args("PublishMart")))
        {
            // The barrier: the CLI writes the marker and blocks until killed; no timing is assumed.
            while (!File.Exists(barrier))
                Assert.False(build.WaitForExit(100), "build.sh ended before reaching the pause point");
            BuildScript.KillProcessGroup(build);
        }

        // Killed holding the lease with one part file written: readers still see the old state.
        var holder = await WarehouseLease.ReadAsync(new LocalFolderStore(_warehouse));
        Assert.NotNull(holder);
        // SIGKILL is delivered asynchronously: wait (bounded) until the CLI process has ended.
        Assert.True(SpinWait.SpinUntil(() => !WarehouseLease.IsRunning(holder.Pid), TimeSpan.FromSeconds(60)), $"pid {holder.Pid} survived SIGKILL");
        Assert.True(File.Exists(Path.Combine(_warehouse, WarehouseLease.Key)));
        Assert.Equal(before, await MartAsync());

        var rerun = BuildScript.Run(Args("PublishMart"));
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Contains("is gone", rerun.Output); // the dead holder's lease was taken over
        Assert.Contains("leftover", rerun.Output);
        Assert.Equal(MartReader.Recompute(_landing, _users), await MartAsync());
        Assert.Equal(90, (await MartAsync()).Count);
        Assert.False(File.Exists(Path.Combine(_warehouse, WarehouseLease.Key)));
        var manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_warehouse));
        var listed = manifest.Datasets.Values.SelectMany(p => p.Values).SelectMany(f => f).Order().ToList();
        var onDisk = Directory.EnumerateFiles(_warehouse, "part-*", SearchOption.AllDirectories) // mart/KPI .parquet and order-index .hwidx
            .Select(f => Path.GetRelativePath(_warehouse, f).Replace('\\', '/')).Order().ToList();
        Assert.Equal(listed, onDisk);
    }

    [Fact]
    public async Task The_CLI_killed_by_HIGHWATER_FAIL_AT_after_the_manifest_exits_137_and_the_rerun_cleans_up()
    {
        EventFixtures.LandDay(_landing, Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        var killed = BuildScript.Run(new Dictionary<string, string?> { [FaultInjector.FailAtVariable] = FaultPoints.PublishAfterManifest }, Args("PublishMart"));
        Assert.True(killed.ExitCode == 137, killed.ToString());
        Assert.Contains("fault injection", killed.Output);
        Assert.Equal(MartReader.Recompute(_landing, _users), await MartAsync()); // the commit point was passed

        EventFixtures.LandDay(_landing, Day2, "b.json", 10, seed: 2, orderPrefix: "B");
        var rerun = BuildScript.Run(Args("PublishMart"));
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Equal(MartReader.Recompute(_landing, _users), await MartAsync());
        Assert.False(File.Exists(Path.Combine(_warehouse, WarehouseLease.Key)));
    }

    [Fact]
    public async Task Backfill_target_rewrites_the_range_and_full_refresh_rebuilds_everything()
    {
        EventFixtures.LandDay(_landing, Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        EventFixtures.LandDay(_landing, Day2, "b.json", 30, seed: 2, orderPrefix: "B");
        Assert.Equal(0, BuildScript.Run(Args("PublishMart")).ExitCode);
        var day2 = BuildScript.Fingerprint(Path.Combine(_warehouse, "gold", "sales_mart", "dt=2026-01-26"));

        var backfill = BuildScript.Run(Args("Backfill", "--from=2026-01-25", "--to=2026-01-25"));
        Assert.True(backfill.ExitCode == 0, backfill.ToString());
        Assert.Contains("backfill 2026-01-25..2026-01-25", backfill.Output);
        Assert.Matches(@"PublishMart\s+[\d:.]+\s+Succeeded", backfill.Output);
        Assert.Equal(day2, BuildScript.Fingerprint(Path.Combine(_warehouse, "gold", "sales_mart", "dt=2026-01-26")));
        Assert.Equal(MartReader.Recompute(_landing, _users), await MartAsync());

        File.Delete(Path.Combine(_landing, "events", "2026-01-26", "b.json"));
        var refresh = BuildScript.Run(Args("Backfill", "--full-refresh"));
        Assert.True(refresh.ExitCode == 0, refresh.ToString());
        Assert.Equal(MartReader.Recompute(_landing, _users), await MartAsync());
        Assert.False(Directory.Exists(Path.Combine(_warehouse, "gold", "sales_mart", "dt=2026-01-26")));

        var missing = BuildScript.Run(Args("Backfill"));
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("--from=YYYY-MM-DD", missing.Output);
    }

    public void Dispose() => _temp.Dispose();
}
