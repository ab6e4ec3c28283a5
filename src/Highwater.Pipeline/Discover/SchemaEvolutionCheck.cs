using Parquet;
using Parquet.Schema;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.Mart;

namespace Highwater.Pipeline.Discover;

/// <summary>
/// Enforces <see cref="SchemaEvolution"/> at the start of a run: Discover calls it before it writes the plan, so a
/// contract the published partitions cannot take stops the run (a <see cref="ConfigurationException"/>, exit 2) before
/// any stage writes the work area, the warehouse or the manifest. An empty warehouse has nothing to compare with.
/// <para>
/// Which footers are read, per published dataset (one LIST of <c>gold/&lt;dataset&gt;/</c>, then one footer per file
/// sampled, read with a ranged read of the file's end, see <see cref="ParquetFooter"/>):
/// <list type="bullet">
/// <item>one file of the oldest run and one of each of the <see cref="NewestRuns"/> newest runs the manifest lists (a run
/// writes a dataset with one schema; run ids sort by time). Every run since this rule exists passed it against the
/// newest schema before it wrote, and the rule's allowed changes compose (a widening of a widening is one, a column
/// added nullable stays so), so the newest schema stands for the ones before it; the oldest is read for warehouses
/// published before the rule;</item>
/// <item>of live files whose name carries no run id, the first and the <see cref="NewestRuns"/> last in key (partition) order;</item>
/// <item>every <c>.parquet</c> file under the dataset that no run the manifest records wrote (another tool's): glob
/// readers see it, and nothing vouches for its schema.</item>
/// </list>
/// A full refresh rewrites every partition a run wrote, so it compares only the other tools' files (and nothing when
/// the manifest is unreadable: then the refresh replaces every file).
/// </para>
/// </summary>
public static class SchemaEvolutionCheck
{
    /// <summary>The datasets whose published partitions a contract change must respect.</summary>
    public static readonly IReadOnlyList<string> Datasets = [Schemas.SalesMart.Dataset, Schemas.KpiDaily.Dataset];

    /// <summary>How many of the newest runs' files are read besides the oldest run's.</summary>
    public const int NewestRuns = 3;

    /// <summary>The published files whose footers stand for a dataset's published schema (see the class summary).</summary>
    public sealed record Sample(List<string> RunFiles, List<string> ForeignFiles, int Published)
    {
        public IEnumerable<string> All => RunFiles.Concat(ForeignFiles);
    }

    public static async Task EnsureAsync(PipelineContext ctx, HighWatermarkManifest manifest, RebuildScope? scope, CancellationToken ct)
    {
        var fullRefresh = scope?.FullRefresh == true;
        if (fullRefresh && manifest.Unreadable is not null) return;
        IReadOnlyDictionary<string, DataContract>? contracts = null;
        var refusals = new List<EvolutionRefusal>();
        var foreign = new HashSet<string>(StringComparer.Ordinal);
        var sources = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var dataset in Datasets)
        {
            var started = ctx.Clock.GetTimestamp();
            var sample = await SampleAsync(ctx.Warehouse, manifest, dataset, fullRefresh, ct);
            if (sample.Published == 0) continue;
            if (!sample.All.Any())
            {
                ctx.Log.Diagnostic($"schema evolution: {dataset}: 0 footer(s) read of {sample.Published:N0} published file(s) (0 not written by a run): a full refresh rewrites them");
                continue;
            }
            contracts ??= ContractLoader.LoadAll(ctx.ContractsDir);
            if (!contracts.TryGetValue(dataset, out var contract)) continue; // the gate names the missing contract
            var schemas = new List<PublishedFileSchema>();
            foreach (var key in sample.All)
                if (await ReadFooterAsync(ctx.Warehouse, key, ct) is { } schema)
                    schemas.Add(new PublishedFileSchema(key, schema));
            var found = SchemaEvolution.Compare(contract, schemas);
            ctx.Log.Diagnostic($"schema evolution: {dataset}: {schemas.Count} footer(s) read of {sample.Published:N0} published file(s) " +
                               $"({sample.ForeignFiles.Count} not written by a run): {(found.Count == 0 ? "the contract fits" : $"{found.Count} refused change(s)")} in {ctx.Clock.GetElapsedTime(started).TotalSeconds:F3} s");
            if (found.Count == 0) continue;
            refusals.AddRange(found);
            foreign.UnionWith(sample.ForeignFiles);
            sources.Add(contract.SourcePath ?? Path.Combine(ctx.ContractsDir, dataset + ".yaml"));
        }
        if (refusals.Count > 0) throw new ConfigurationException(Message(ctx.Warehouse, refusals, foreign, sources));
    }

    /// <summary>The files of <paramref name="dataset"/> whose footers are read (see the class summary).</summary>
    public static async Task<Sample> SampleAsync(IObjectStore warehouse, HighWatermarkManifest manifest, string dataset, bool fullRefresh, CancellationToken ct)
    {
        var live = manifest.LiveFiles(dataset);
        var recorded = manifest.RecordedRunIds();
        var runs = new SortedDictionary<string, string>(StringComparer.Ordinal); // run id → its first file
        var foreign = new List<string>();
        var unnamed = new List<string>(); // live files whose name carries no run id, in key (partition) order
        var published = 0;
        await foreach (var obj in warehouse.ListAsync(WarehouseLayout.DatasetRoot(dataset), null, ct))
        {
            if (!obj.Key.EndsWith(".parquet", StringComparison.Ordinal)) continue;
            published++;
            var run = WarehouseLayout.RunOf(obj.Key);
            if (live.Contains(obj.Key))
            {
                if (fullRefresh) continue;
                if (run is null) unnamed.Add(obj.Key);
                else runs.TryAdd(run, obj.Key);
            }
            else if (run is null || !recorded.Contains(run))
                foreign.Add(obj.Key);
            // else: a leftover of a recorded run, which this run's publish removes
        }
        return new Sample(OldestAndNewest(runs.Keys.ToList()).Select(id => runs[id]).Concat(OldestAndNewest(unnamed)).ToList(), foreign, published);
    }

    /// <summary>The first item and the <see cref="NewestRuns"/> last ones of an ordered list, each once.</summary>
    private static IEnumerable<string> OldestAndNewest(List<string> ordered) =>
        ordered.Take(1).Concat(ordered.Skip(Math.Max(1, ordered.Count - NewestRuns)));

    /// <summary>The schema in the file's footer (one ranged read of its end), or null when the file was removed meanwhile.</summary>
    private static async Task<ParquetSchema?> ReadFooterAsync(IObjectStore warehouse, string key, CancellationToken ct)
    {
        try
        {
            return await ParquetFooter.ReadSchemaAsync(warehouse, key, ct);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException or StorageException))
        {
            throw new DataException($"{warehouse.Description}/{key}: the published file's Parquet footer cannot be read " +
                                    $"({e.Message.ReplaceLineEndings(" ")}), so the data contracts cannot be compared with it. " +
                                    "Remove or restore the file (./build.sh --target=Backfill --full-refresh rewrites every partition a run wrote).", e);
        }
    }

    private static string Message(IObjectStore warehouse, List<EvolutionRefusal> refusals, HashSet<string> foreign, SortedSet<string> sources)
    {
        static string Safe(string text) => WorkflowCommandEscaping.Data(text);
        var lines = new List<string>
        {
            $"the data contracts change {refusals.Count} published column(s) in a way the partitions already in " +
            $"{warehouse.Description}/gold/ cannot follow (schema evolution rules: docs/contracts.md). Nothing was written.",
        };
        foreach (var r in refusals)
            lines.Add("  " + Safe(r.ToString()) + (foreign.Contains(r.File) ? " [a file no Highwater run wrote: a full refresh keeps it; remove it or rewrite it with the contract's schema]" : ""));
        lines.Add($"Way out: revert the change to {string.Join(" and ", sources)}; or keep it and rewrite every published partition " +
                  "with the new schema: ./build.sh --target=Backfill --full-refresh (or highwater discover --full-refresh, then extract, transform, gate and publish).");
        return string.Join("\n", lines);
    }
}
