using System.Text;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;

namespace Highwater.Tests.Properties;

/// <summary>
/// The property behind "exactly once": after every step of a random landing schedule — and after any
/// simulated crash at a random fault point, once the next run has finished the job — the mart read through
/// the manifest equals a full recompute by DuckDB SQL over every landed JSON line. A crashed run must leave
/// either the state before it or the state after it. Seeded: a failure names its seed and the steps taken,
/// and HIGHWATER_PROPERTY_SEED=&lt;seed&gt; replays one schedule.
/// </summary>
public static class ExactlyOnceProperty
{
    public static async Task CheckAsync(int seed, int steps, Func<PipelineHarness, IObjectStore> warehouse)
    {
        using var h = new PipelineHarness();
        var store = warehouse(h);
        h.DefaultWarehouse = store;
        var users = RepoRoot.Combine("samples", "users");
        var schedule = new LandingSchedule(seed, h.Landing);
        var random = schedule.Random;
        var log = new StringBuilder();
        var scratch = Path.Combine(h.WorkRoot, "..", "read");
        var expected = new List<string>();
        for (var step = 1; step <= steps; step++)
        {
            var before = expected;
            RebuildScope? scope = null;
            var action = random.Next(10);
            if (action == 0 && step > 3) scope = new RebuildScope { FullRefresh = true };
            else if (action == 1 && step > 3)
            {
                var from = new DateOnly(2026, 3, 1).AddDays(random.Next(5));
                scope = new RebuildScope { From = from, To = from.AddDays(random.Next(3)) };
            }
            else
            {
                log.AppendLine($"  step {step}: {schedule.Step()}");
                expected = MartReader.Recompute(h.Landing, users);
            }
            if (scope is not null) log.AppendLine($"  step {step}: {scope.Describe()}");

            if (random.Next(3) == 0)
            {
                // Kills right after the manifest commit get a share of their own: the replaced files are then still
                // there, and only the next run's finishing of the journal removes them.
                var point = random.Next(4) == 0 ? FaultPoints.PublishAfterManifest : FaultInjector.Points[random.Next(FaultInjector.Points.Count)];
                var occurrence = random.Next(1, 3);
                var killed = false;
                try { await h.RunAsync(faults: FaultInjector.Throwing(point, occurrence), scope: scope); }
                catch (InjectedFaultException) { killed = true; }
                log.AppendLine($"    run {(killed ? "killed" : "not reached")} at {point}:{occurrence}");
                if (killed)
                {
                    var crashed = await MartReader.ReadAsync(store, scratch);
                    Check(crashed.SequenceEqual(before) || crashed.SequenceEqual(expected),
                        "after a crash the mart is neither the state before nor the state after the run", crashed, expected);
                }
            }
            await h.RunAsync(scope: scope);
            var mart = await MartReader.ReadAsync(store, scratch);
            Check(mart.SequenceEqual(expected), "the mart differs from the full recompute", mart, expected);
            Check(mart.Select(r => r.Split('|')[0]).Distinct().Count() == mart.Count, "an order_id is in the mart twice", mart, expected);
            await CheckListedFilesExistAsync(store);
            await CheckGlobEqualsManifestAsync(store, scratch, step, seed);
        }

        void Check(bool ok, string what, List<string> actual, List<string> wanted)
        {
            if (ok) return;
            var missing = wanted.Except(actual).Take(10);
            var extra = actual.Except(wanted).Take(10);
            throw new Xunit.Sdk.XunitException(
                $"Property failed for seed {seed} (replay: HIGHWATER_PROPERTY_SEED={seed}): {what}.\n" +
                $"missing from the mart:\n    {string.Join("\n    ", missing)}\nnot expected in the mart:\n    {string.Join("\n    ", extra)}\n" +
                $"steps:\n{log}\nlast run's log (tail):\n{Tail(h.Output.ToString(), 40)}");
        }
    }

    private static async Task CheckListedFilesExistAsync(IObjectStore store)
    {
        var manifest = await HighWatermarkManifest.LoadAsync(store);
        foreach (var key in manifest.Datasets.Values.SelectMany(p => p.Values).SelectMany(f => f))
            if (await store.HeadAsync(key) is null)
                throw new Xunit.Sdk.XunitException($"the manifest lists {key}, which does not exist");
    }

    /// <summary>After every completed run, gold/ holds exactly the manifest's files: a glob reader sees the manifest's view.</summary>
    private static async Task CheckGlobEqualsManifestAsync(IObjectStore store, string scratch, int step, int seed)
    {
        try { await GoldGlob.AssertMatchesManifestAsync(store, scratch + "-gold"); }
        catch (Xunit.Sdk.XunitException e) { throw new Xunit.Sdk.XunitException($"Property failed for seed {seed} (replay: HIGHWATER_PROPERTY_SEED={seed}): after step {step}, gold/ differs from the manifest's view: {e.Message}"); }
    }

    private static string Tail(string text, int lines) =>
        string.Join("\n", text.Split('\n').TakeLast(lines));

    /// <summary>The seeds to run: HIGHWATER_PROPERTY_SEED alone when set, else the given ones.</summary>
    public static IEnumerable<int> Seeds(params int[] defaults) =>
        int.TryParse(Environment.GetEnvironmentVariable("HIGHWATER_PROPERTY_SEED"), out var one) ? [one] : defaults;
}
