using System.Text.Json;
using System.Text.Json.Serialization;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Transform;

/// <summary>
/// Transform: joins the staged events to the user dimension on user_id (inner join; events of unknown
/// users are quarantined with the reason), computes total_price as the sales_mart contract derives it
/// (<see cref="DerivedColumns"/>) and dt = UTC date of event_ts. The order index (<see cref="OrderIndex"/>) then decides, one touched bucket at a time, which
/// version of each order wins and in which partition it lives; every partition that gains or loses a row
/// (in any day, not only the batch's) is rebuilt with its daily KPIs in the work area, together with the
/// rewritten index buckets. A backfill's scope retracts the reprocessed files' earlier rows; a full refresh
/// starts from nothing. Nothing is written to the warehouse here.
/// </summary>
public static class TransformStage
{

    /// <summary>
    /// A batch staged before the events contract declared a column the mart takes from the events (or with another
    /// type) would give that column nulls without a word: refused, with the way to stage it again.
    /// </summary>
    private static void EnsureStagedWithTheContract(PartitionedSpool.Reader staging, MartColumnOrigins origins, BatchPlan plan)
    {
        var stale = origins.Staged.Where(name => staging.Columns.IndexOf(name) is var i
            && (i < 0 || staging.Columns.Columns[i].Kind != origins.Mart.Blocks.Columns[origins.Mart.IndexOf(name)].Kind)).ToList();
        if (stale.Count > 0)
            throw new PipelineStateException(
                $"batch {plan.BatchId} was staged by Extract before the contracts declared {string.Join(", ", stale.Select(c => $"'{c}'"))} as they do now " +
                "(the data contracts changed between Extract and Transform): run ./build.sh --target=Clean, then ./build.sh again, " +
                "which stages the batch anew with the current contracts (the warehouse is left alone).");
    }

    /// <summary>How many buckets, then partitions, are worked on at once (one per core).</summary>
    internal static int Workers { get; set; } = Environment.ProcessorCount;

    public static async Task<TransformSummary?> RunAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        try
        {
            return await RunBatchAsync(ctx, ct);
        }
        catch (ObjectNotFoundException e)
        {
            // Transform reads the published partitions it rebuilds: one that vanished was replaced by another run's commit.
            if (await PublishRace.ExplainAsync(ctx.Warehouse, e, CancellationToken.None) is { } race) throw race;
            throw;
        }
    }

    private static async Task<TransformSummary?> RunBatchAsync(PipelineContext ctx, CancellationToken ct)
    {
        if (await BatchStage.Transform.OpenAsync(ctx) is not { } plan) return null;
        // The contracts' derivations, read once and before any work: a contract error ends the run here (exit 2).
        var contracts = ContractLoader.LoadAll(ctx.ContractsDir);
        var derived = DerivedColumns.From(contracts, ctx.ContractsDir);
        var origins = MartColumnOrigins.From(contracts, ctx.ContractsDir);
        derived.ReadingOnly(origins);
        var kpis = DailyKpi.From(contracts);

        var started = ctx.Clock.GetTimestamp();
        ctx.Work.ClearStamp(StageNames.Gate);
        ctx.Work.ClearStamp(StageNames.Publish);
        var manifest = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct, rebuild: plan.Scope?.FullRefresh == true);
        BatchStage.EnsureManifestUnchanged(plan, manifest, ctx);
        var users = await UserDimension.LoadAsync(ctx.Users, ctx.Work.UserDimensionCache, ct);
        ctx.Log.Diagnostic($"user dimension: {users.Count:N0} users from {ctx.Users.Description} in {ctx.Clock.GetElapsedTime(started).TotalSeconds:F2} s; {MemoryText()}");

        var scope = plan.Scope;
        var fullRefresh = scope?.FullRefresh == true;
        if (!fullRefresh && manifest.Partitions(Schemas.SalesMart.Dataset).Count > 0 && manifest.Partitions(OrderIndex.Dataset).Count == 0)
            throw new PipelineStateException(
                $"The warehouse {ctx.Warehouse.Description} has no order index (it was published by an earlier version of highwater): " +
                "rebuild it once with ./build.sh --target=Backfill --full-refresh (or highwater discover --full-refresh, then the other stages).");

        // Files whose earlier rows this batch retracts: re-uploads, and every processed file a backfill reprocesses.
        var replaced = plan.Files.Where(f => scope is null ? f.PreviousETag is not null : manifest.Files.ContainsKey(f.Key))
            .Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        using var staging = PartitionedSpool.Reader.Open(ctx.Work.StagingEvents);
        EnsureStagedWithTheContract(staging, origins, plan);
        var touchedBuckets = new SortedSet<string>(staging.Partitions.Where(p => p != EventStagingWriter.Unkeyed), StringComparer.Ordinal);
        var touched = new SortedSet<string>(StringComparer.Ordinal);
        var retracting = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in replaced)
            if (manifest.Files.TryGetValue(key, out var earlier))
            {
                touchedBuckets.UnionWith(earlier.Buckets);
                retracting.UnionWith(earlier.Buckets);
                touched.UnionWith(earlier.Partitions);
            }
        if (fullRefresh)
        {
            touchedBuckets.UnionWith(manifest.Partitions(OrderIndex.Dataset).Keys);
            touched.UnionWith(manifest.Partitions(Schemas.SalesMart.Dataset).Keys);
        }
        else if (scope is { From: { } from, To: { } to })
            touched.UnionWith(manifest.Partitions(Schemas.SalesMart.Dataset).Keys.Where(dt => DateOnly.ParseExact(dt, "yyyy-MM-dd") is var d && d >= from && d <= to));

        WorkArea.ResetDirectory(ctx.Work.IndexDir);
        WorkArea.ResetDirectory(ctx.Work.MartDir);
        WorkArea.ResetDirectory(ctx.Work.KpiDir);
        var run = new TransformBatch(ctx, plan, manifest, users, origins.Mart, staging.Columns, derived, kpis, replaced, retracting, fullRefresh, touched,
            ctx.Work.TransformSpill);
        try
        {
            // Rows without an order_id are never superseded: each goes to its day as it is.
            run.JoinUnkeyed(staging);
            // The order index decides, bucket by bucket, which version of each order wins and in which partition it
            // lives; the winners that enter a partition are spilled to it. Buckets are independent: one per core.
            await Parallel.ForEachAsync(touchedBuckets, new ParallelOptions { MaxDegreeOfParallelism = Workers, CancellationToken = ct },
                async (bucket, token) => await run.ResolveBucketAsync(staging, bucket, token));
            run.Spill.Complete();
            ctx.Log.Diagnostic($"order index: {touchedBuckets.Count} bucket(s) resolved, {run.Spill.Rows + run.WinnerRowsInIndexFiles:N0} rows for {touched.Count} partition(s) " +
                               $"({run.WinnerRowsInIndexFiles:N0} winners in the index files, {run.Spill.Rows:N0} spilled); " +
                               $"{ctx.Clock.GetElapsedTime(started).TotalSeconds:F2} s into Transform; {MemoryText()}");
        }
        finally
        {
            run.Spill.Dispose();
        }
        run.WriteQuarantine();

        // Every partition that gains or loses a row is rebuilt from what it held and what the spill brings.
        var partitions = new PartitionOutput[touched.Count];
        using (var spilled = PartitionedSpool.Reader.Open(ctx.Work.TransformSpill))
        using (var progress = ctx.Log.StartProgress(ctx.Clock, "Transform", "partitions", touched.Count))
        {
            var progressGate = new Lock();
            await Parallel.ForEachAsync(touched.Select((dt, i) => (dt, i)), new ParallelOptions { MaxDegreeOfParallelism = Workers, CancellationToken = ct },
                async (item, token) =>
                {
                    var output = await run.RebuildPartitionAsync(spilled, item.dt, token);
                    partitions[item.i] = output;
                    lock (progressGate)
                    {
                        progress.Advance(1, output.Rows);
                        ctx.Faults.Reach(FaultPoints.TransformAfterPartition);
                    }
                });
        }
        File.Delete(ctx.Work.TransformSpill);
        ctx.Log.Diagnostic($"partitions rebuilt; {MemoryText()}");
        var batchRows = run.BatchRows;
        var unknownUsers = run.UnknownUsers;
        var priceOverflows = run.PriceOverflows;
        var contributions = run.Contributions;
        var bucketContributions = run.BucketContributions;
        var buckets = run.IndexBuckets.OrderBy(b => b.Bucket, StringComparer.Ordinal).ToList();

        var summary = new TransformSummary
        {
            BatchId = plan.BatchId,
            BatchRows = batchRows,
            UnknownUsers = unknownUsers,
            Partitions = [.. partitions],
            Contributions = plan.Files.ToDictionary(f => f.Key,
                f => contributions.TryGetValue(f.Key, out var p) ? p.ToList() : [], StringComparer.Ordinal),
            BucketContributions = plan.Files.ToDictionary(f => f.Key,
                f => bucketContributions.TryGetValue(f.Key, out var b) ? b.ToList() : [], StringComparer.Ordinal),
            IndexBuckets = buckets,
        };
        WorkArea.WriteAtomically(ctx.Work.TransformSummaryFile, summary.ToJson());
        ctx.Work.MarkDone(StageNames.Transform, plan.BatchId);
        StageMetrics.Record(ctx, StageNames.Transform, plan.BatchId, started, plan.Files.Count, rowsIn: batchRows,
            rowsOut: batchRows - unknownUsers - priceOverflows, quarantined: unknownUsers + priceOverflows, partitions: partitions.Length);
        ctx.Log.Info($"Transform: {batchRows:N0} rows joined to {users.Count:N0} users, {unknownUsers:N0} with unknown user quarantined; " +
                     (priceOverflows > 0 ? $"{priceOverflows:N0} with total_price beyond DECIMAL(18,2) quarantined ({ctx.Work.TransformQuarantine}); " : "") +
                     $"{partitions.Length} partition(s) rebuilt ({partitions.Sum(p => p.Rows):N0} rows) in {ctx.Clock.GetElapsedTime(started).TotalSeconds:F2} s");
        return summary;
    }

    /// <summary>The process's memory for diagnostic lines: managed heap, allocated so far, working set, collections by generation and the time they paused.</summary>
    internal static string MemoryText() =>
        $"heap {GC.GetTotalMemory(false) / 1e6:F0} MB, allocated {GC.GetTotalAllocatedBytes() / 1e6:F0} MB, working set {Environment.WorkingSet / 1e6:F0} MB, " +
        $"GCs {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} ({GC.GetTotalPauseDuration().TotalSeconds:F2} s paused)";
}
