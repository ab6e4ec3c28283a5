using System.Diagnostics;
using System.Text.Json;
using Highwater.Pipeline;
using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Discover;
using Highwater.Pipeline.Extract;
using Highwater.Pipeline.Publish;
using Highwater.Pipeline.QualityGate;
using Highwater.Pipeline.Transform;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>The warehouse lease: one publisher at a time, named in the refusal; stale leases are taken over.</summary>
public sealed class WarehouseLeaseTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private readonly PipelineHarness _h = new();
    private readonly LocalFolderStore _store;

    public WarehouseLeaseTests() => _store = new LocalFolderStore(_h.WarehouseRoot);

    [Fact]
    public async Task Of_two_concurrent_publishes_the_second_fails_fast_naming_the_holder_then_succeeds_after_release()
    {
        EventFixtures.LandDay(_h.Landing, Day1, "a.json", 10, seed: 1, orderPrefix: "A");
        var first = _h.Context();
        // Discovered a minute later: its own run id (a run that published the very same batch under the same id is done).
        var late = _h.Context(work: _h.WorkRoot + "-second");
        var second = new PipelineContext
        {
            Landing = late.Landing, Users = late.Users, Warehouse = late.Warehouse, Work = late.Work, ContractsDir = late.ContractsDir,
            Log = late.Log, Clock = new ManualClock(DateTimeOffset.UtcNow.AddMinutes(1)),
        };
        foreach (var ctx in new[] { first, second })
        {
            await DiscoverStage.RunAsync(ctx);
            await ExtractStage.RunAsync(ctx);
            await TransformStage.RunAsync(ctx);
            await QualityGateStage.RunAsync(ctx);
        }

        // The first run holds the lease (as while it publishes); the second publish is refused.
        var lease = await WarehouseLease.AcquireAsync(_store, "run-first", TimeSpan.FromMinutes(15), TimeProvider.System, StageLog.Silent);
        var refused = await Assert.ThrowsAsync<PipelineStateException>(() => PublishStage.RunAsync(second));
        Assert.Contains("leased by run run-first", refused.Message);
        Assert.Contains($"pid {Environment.ProcessId}", refused.Message);
        Assert.Contains(lease.Record.StartedAt.ToString("u"), refused.Message);
        Assert.Equal(6, Highwater.Cli.HighwaterCommand.Classify(refused).Code);
        Assert.False(File.Exists(Path.Combine(_h.WarehouseRoot, "_highwater", "manifest.json")));
        await lease.ReleaseAsync();

        // Now one publishes; the other's plan is stale and it is told to start again from Discover.
        Assert.NotNull(await PublishStage.RunAsync(first));
        var stale = await Assert.ThrowsAsync<PipelineStateException>(() => PublishStage.RunAsync(second));
        Assert.Contains("run again from Discover", stale.Message);
        Assert.False(File.Exists(Path.Combine(_h.WarehouseRoot, WarehouseLease.Key)), "released on the failure path too");
    }

    [Fact]
    public async Task An_expired_lease_is_taken_over()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-01-25T10:00:00Z"));
        await WarehouseLease.AcquireAsync(_store, "run-old", TimeSpan.FromMinutes(15), clock, StageLog.Silent);
        clock.Now = clock.Now.AddMinutes(10);
        await Assert.ThrowsAsync<PipelineStateException>(() =>
            WarehouseLease.AcquireAsync(_store, "run-new", TimeSpan.FromMinutes(15), clock, StageLog.Silent));
        clock.Now = clock.Now.AddMinutes(6);
        var taken = await WarehouseLease.AcquireAsync(_store, "run-new", TimeSpan.FromMinutes(15), clock, StageLog.Silent);
        Assert.Equal("run-new", (await WarehouseLease.ReadAsync(_store))!.RunId);
        await taken.ReleaseAsync();
        Assert.Null(await WarehouseLease.ReadAsync(_store));
    }

    [Fact]
    public async Task A_lease_whose_process_on_this_host_is_gone_is_taken_over()
    {
        using var gone = Process.Start(new ProcessStartInfo("true"))!;
        gone.WaitForExit();
        var record = new LeaseRecord("run-crashed", Environment.MachineName, gone.Id, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1));
        await _store.PutAsync(WarehouseLease.Key, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(record, new JsonSerializerOptions(JsonSerializerDefaults.Web))));
        var output = new StringWriter();
        var lease = await WarehouseLease.AcquireAsync(_store, "run-next", TimeSpan.FromMinutes(15), TimeProvider.System, new StageLog(output, false));
        Assert.Contains("run-crashed", output.ToString());
        Assert.Contains("is gone", output.ToString());
        await lease.ReleaseAsync();
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    public void Dispose() => _h.Dispose();
}
