using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>
/// A run killed at every fault-injection point (in process: the hook throws) leaves the mart readable and
/// equal to the state before or after the run; the next run finishes with nothing lost or duplicated, and
/// the interrupted run's leftover files are gone after the next publish.
/// </summary>
public sealed class CrashSafetyTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private readonly PipelineHarness _h = new();

    public static TheoryData<string> Points() => new(FaultInjector.Points);

    [Theory]
    [MemberData(nameof(Points))]
    public async Task A_run_killed_at_a_fault_point_leaves_old_or_new_state_and_the_next_run_finishes(string point)
    {
        var store = new LocalFolderStore(_h.WarehouseRoot);
        var users = RepoRoot.Combine("samples", "users");
        EventFixtures.LandDay(_h.Landing, Day1, "a.json", 40, seed: 1, orderPrefix: "A");
        Assert.True(await _h.RunAsync());
        var before = await MartReader.ReadAsync(store, _h.WorkRoot + "-read");

        // A second batch that moves an order across partitions, replaces rows and adds new ones.
        EventFixtures.LandDay(_h.Landing, Day1, "b.json", 30, seed: 2, orderPrefix: "B");
        var moved = EventFixtures.Event("A-00003", 1002, Day2.ToDateTime(new TimeOnly(9, 0), DateTimeKind.Utc),
            Day2.ToDateTime(new TimeOnly(23, 0), DateTimeKind.Utc), 2, 5.50m);
        EventFixtures.Land(_h.Landing, Day2, "c.json", [moved]);
        var after = MartReader.Recompute(_h.Landing, users);

        var error = await Assert.ThrowsAsync<InjectedFaultException>(() => _h.RunAsync(faults: FaultInjector.Throwing(point)));
        Assert.Equal(point, error.Point);
        var crashed = await MartReader.ReadAsync(store, _h.WorkRoot + "-read");
        Assert.True(crashed.SequenceEqual(before) || crashed.SequenceEqual(after), $"killed at {point}: the mart is neither the old nor the new state");

        await _h.RunAsync();
        Assert.Equal(after, await MartReader.ReadAsync(store, _h.WorkRoot + "-read"));
        Assert.Single(await MartReader.ReadAsync(store, _h.WorkRoot + "-read"), r => r.StartsWith("A-00003|"));

        // The next publish removes whatever the interrupted run left behind.
        EventFixtures.LandDay(_h.Landing, Day2, "d.json", 5, seed: 4, orderPrefix: "D");
        Assert.True(await _h.RunAsync());
        Assert.Equal(MartReader.Recompute(_h.Landing, users), await MartReader.ReadAsync(store, _h.WorkRoot + "-read"));
        var manifest = await HighWatermarkManifest.LoadAsync(store);
        var listed = manifest.Datasets.Values.SelectMany(p => p.Values).SelectMany(f => f).ToHashSet();
        var onDisk = Directory.EnumerateFiles(_h.WarehouseRoot, "part-*", SearchOption.AllDirectories) // mart/KPI .parquet and order-index .hwidx
            .Select(f => Path.GetRelativePath(_h.WarehouseRoot, f).Replace('\\', '/')).ToHashSet();
        Assert.Equal(listed.Order(), onDisk.Order());
        Assert.False(File.Exists(Path.Combine(_h.WarehouseRoot, WarehouseLease.Key)), "the lease is released");
    }

    public void Dispose() => _h.Dispose();
}
