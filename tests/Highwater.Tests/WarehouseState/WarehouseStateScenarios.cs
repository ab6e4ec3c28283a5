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

namespace Highwater.Tests.WarehouseState;

/// <summary>
/// The warehouse-state cases shared by the local and the S3 tests: each takes a harness whose
/// <see cref="PipelineHarness.DefaultWarehouse"/> is the store under test and asserts the mart, the manifest and
/// what a glob over gold/ reads.
/// </summary>
public static class WarehouseStateScenarios
{
    public static readonly DateOnly Day1 = new(2026, 1, 25);
    public static readonly DateOnly Day2 = new(2026, 1, 26);
    private static readonly string Users = RepoRoot.Combine("samples", "users");

    /// <summary>A publish killed after its manifest commit: the next run, with nothing new, removes the replaced files.</summary>
    public static async Task CrashAfterCommitIsFinishedWithNothingNewAsync(PipelineHarness h)
    {
        var store = h.DefaultWarehouse!;
        EventFixtures.LandDay(h.Landing, Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        Assert.True(await h.RunAsync());
        EventFixtures.LandDay(h.Landing, Day1, "b.json", 20, seed: 2, orderPrefix: "B"); // the same partition, rewritten
        var expected = MartReader.Recompute(h.Landing, Users);

        await Assert.ThrowsAsync<InjectedFaultException>(() => h.RunAsync(faults: FaultInjector.Throwing(FaultPoints.PublishAfterManifest)));
        Assert.Equal(expected, await MartReader.ReadAsync(store, h.WorkRoot + "-read"));
        var glob = await GoldGlob.ReadAsync(store, h.WorkRoot + "-glob");
        Assert.True(glob.Count > expected.Count, "the crash left the replaced files for a glob reader to see twice");
        Assert.True(await RunJournal.AnyAsync(store, default));

        Assert.False(await h.RunAsync(), "nothing new");
        Assert.Equal(expected, await GoldGlob.ReadAsync(store, h.WorkRoot + "-glob"));
        await GoldGlob.AssertMatchesManifestAsync(store, h.WorkRoot + "-check");
        Assert.False(await RunJournal.AnyAsync(store, default), "the journal is finished");
        Assert.Null(await store.HeadAsync(WarehouseLease.Key));
    }

    /// <summary>A publish killed before its commit: the next run, with nothing new either, removes its uncommitted parts.</summary>
    public static async Task CrashBeforeCommitIsFinishedAsync(PipelineHarness h)
    {
        var store = h.DefaultWarehouse!;
        EventFixtures.LandDay(h.Landing, Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        Assert.True(await h.RunAsync());
        var before = MartReader.Recompute(h.Landing, Users);
        EventFixtures.LandDay(h.Landing, Day2, "b.json", 20, seed: 2, orderPrefix: "B");

        await Assert.ThrowsAsync<InjectedFaultException>(() => h.RunAsync(faults: FaultInjector.Throwing(FaultPoints.PublishBeforeManifest)));
        Assert.Equal(before, await MartReader.ReadAsync(store, h.WorkRoot + "-read"));
        Assert.NotEqual(before, await GoldGlob.ReadAsync(store, h.WorkRoot + "-glob")); // the uncommitted parts are visible to a glob

        await RunJournal.FinishInterruptedAsync(h.Context(), rebuild: false, default);
        Assert.Equal(before, await GoldGlob.ReadAsync(store, h.WorkRoot + "-glob"));
        await GoldGlob.AssertMatchesManifestAsync(store, h.WorkRoot + "-check");

        Assert.True(await h.RunAsync());
        Assert.Equal(MartReader.Recompute(h.Landing, Users), await GoldGlob.ReadAsync(store, h.WorkRoot + "-glob"));
        await GoldGlob.AssertMatchesManifestAsync(store, h.WorkRoot + "-check");
    }

    /// <summary>
    /// Run B publishes while run A (its own work area, planned at the same manifest) reads the partition B replaces:
    /// A's Transform fails as a lost race, exit 6 "run again", not a storage error; nothing of A is published.
    /// </summary>
    public static async Task LosingAPublishRaceSaysRunAgainAsync(PipelineHarness h, IObjectStore store)
    {
        EventFixtures.LandDay(h.Landing, Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        Assert.True(await h.RunAsync(store));
        EventFixtures.LandDay(h.Landing, Day1, "b.json", 10, seed: 2, orderPrefix: "B");

        var other = h.Context(store, work: h.WorkRoot + "-other");
        var racing = new RacingStore(store, async () =>
        {
            await DiscoverStage.RunAsync(other);
            await ExtractStage.RunAsync(other);
            await TransformStage.RunAsync(other);
            await QualityGateStage.RunAsync(other);
            await PublishStage.RunAsync(other);
        });
        var mine = h.Context(racing);
        await DiscoverStage.RunAsync(mine); // reads a published footer (schema evolution) before the race is armed
        racing.Armed = true;
        await ExtractStage.RunAsync(mine);
        var lost = await Assert.ThrowsAsync<PipelineStateException>(() => TransformStage.RunAsync(mine));
        Assert.True(racing.Raced);
        Assert.Equal(6, Highwater.Cli.HighwaterCommand.Classify(lost).Code);
        Assert.Contains("while this run read it", lost.Message);
        Assert.Contains("run again", lost.Message);
        var expected = MartReader.Recompute(h.Landing, Users);
        Assert.Equal(expected, await MartReader.ReadAsync(store, h.WorkRoot + "-read"));
        await GoldGlob.AssertMatchesManifestAsync(store, h.WorkRoot + "-check");

        Assert.False(await h.RunAsync(store), "run again: the other run published the batch");
        Assert.Equal(expected, await GoldGlob.ReadAsync(store, h.WorkRoot + "-glob"));
    }

    /// <summary>A lease put whose first attempt reached the store (the answer was lost) is recognised as ours.</summary>
    public static async Task RetriedLeasePutRecognisesItsOwnLeaseAsync(IObjectStore store)
    {
        var retried = new LostAnswerStore(store, WarehouseLease.Key);
        var lease = await WarehouseLease.AcquireAsync(retried, "run-retried", TimeSpan.FromMinutes(15), TimeProvider.System, StageLog.Silent);
        Assert.True(retried.AnswerLost);
        var held = await WarehouseLease.ReadAsync(store);
        Assert.NotNull(held);
        Assert.Equal(lease.Record.Token, held!.Token);

        // Another run's lease with the same run id, host and pid but another token is not ours.
        var refused = await Assert.ThrowsAsync<PipelineStateException>(() =>
            WarehouseLease.AcquireAsync(store, "run-retried", TimeSpan.FromMinutes(15), TimeProvider.System, StageLog.Silent));
        Assert.Contains("leased by run run-retried", refused.Message);

        await lease.ReleaseAsync();
        Assert.Null(await store.HeadAsync(WarehouseLease.Key));
    }

    /// <summary>Runs <paramref name="race"/> once, just before the first read of a published mart file.</summary>
    private sealed class RacingStore(IObjectStore inner, Func<Task> race) : DelegatingStore(inner)
    {
        public bool Raced { get; private set; }

        /// <summary>Whether the next read of a mart file (Transform's) starts the other run.</summary>
        public bool Armed { get; set; }

        public override async Task<Stream> OpenReadAsync(string key, CancellationToken ct = default)
        {
            if (Armed && !Raced && key.StartsWith("gold/sales_mart/", StringComparison.Ordinal))
            {
                Raced = true;
                await race();
            }
            return await Inner.OpenReadAsync(key, ct);
        }
    }

    /// <summary>The first conditional put of <paramref name="key"/> reaches the store, but its answer is lost: the retry is told the key exists.</summary>
    private sealed class LostAnswerStore(IObjectStore inner, string key) : DelegatingStore(inner)
    {
        public bool AnswerLost { get; private set; }

        public override async Task<bool> PutIfAbsentAsync(string k, Stream content, CancellationToken ct = default)
        {
            if (k != key || AnswerLost) return await Inner.PutIfAbsentAsync(k, content, ct);
            var buffered = new MemoryStream();
            await content.CopyToAsync(buffered, ct);
            buffered.Position = 0;
            Assert.True(await Inner.PutIfAbsentAsync(k, buffered, ct)); // the first attempt succeeds...
            AnswerLost = true;
            buffered.Position = 0;
            return await Inner.PutIfAbsentAsync(k, buffered, ct); // ...and the retry finds the key taken
        }
    }
}
