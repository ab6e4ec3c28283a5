using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.Reporting;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Pipeline.Publish;

/// <summary>
/// PublishMart: commits the batch's rebuilt sales_mart and kpi_daily partitions and its quarantine to the
/// warehouse, then advances the manifest (processed files, watermark, live partition files) — only after
/// every new file is in place — and finally removes the files the batch replaced. Refuses to run unless
/// the quality gate passed for this very batch.
/// </summary>
public static class PublishStage
{
    public sealed record Summary(string RunId, int Partitions, long Rows, long ManifestVersion);

    public static async Task<Summary?> RunAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        if (await BatchStage.Publish.OpenAsync(ctx) is not { } plan) return null;

        var started = ctx.Clock.GetTimestamp();
        var lease = await WarehouseLease.AcquireAsync(ctx.Warehouse, plan.RunId, ctx.LeaseDuration, ctx.Clock, ctx.Log, ct);
        HighWatermarkManifest manifest;
        TransformSummary transform;
        GateVerdict verdict;
        // Removing the staged batch (as large as the batch) keeps the kernel busy freeing pages and extents, longer
        // than the rest of the stage takes on a local warehouse; it starts once the manifest is committed and runs
        // beside the removal of replaced files, the lease release and the run report, which need nothing from it.
        var dropStaged = Task.CompletedTask;
        try
        {
            try
            {
                ctx.Faults.Reach(FaultPoints.PublishAfterLease);
                manifest = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct, rebuild: plan.Scope?.FullRefresh == true);
                BatchStage.EnsureManifestUnchanged(plan, manifest, ctx);
                transform = TransformSummary.Load(ctx.Work.TransformSummaryFile);
                verdict = GateVerdict.Load(ctx.Work);
                if (verdict.BatchId != plan.BatchId || !verdict.Passed)
                    throw new PipelineStateException($"The quality gate verdict in {ctx.Work.GateDir} is not a pass for batch {plan.BatchId}: run the QualityGate stage again.");
                await CommitAsync(ctx, plan, manifest, transform, verdict,
                    committed: () => dropStaged = Task.Run(() => DropStagedBatch(ctx), CancellationToken.None), ct);
            }
            finally
            {
                try { await lease.ReleaseAsync(CancellationToken.None); }
                catch (StorageException e) { ctx.Log.Warn($"could not release the warehouse lease ({e.Message}); it expires at {lease.Record.ExpiresAt:u}"); }
            }

            ctx.Work.MarkDone(StageNames.Publish, plan.BatchId);
            var rows = verdict.MartRows.Values.Sum();
            ctx.Log.Info($"PublishMart: {transform.Partitions.Count} partition(s) committed ({string.Join(", ", transform.Partitions.Select(p => "dt=" + p.Dt))}), " +
                         $"{rows:N0} rows; manifest v{manifest.Version}, watermark {manifest.Watermark:u}; run {plan.RunId} in {ctx.Clock.GetElapsedTime(started).TotalSeconds:F2} s");
            await RunReportWriter.AfterPublishAsync(ctx, plan, manifest, transform, verdict, started, ct);
            return new Summary(plan.RunId, transform.Partitions.Count, rows, manifest.Version);
        }
        finally
        {
            await dropStaged;
        }
    }

    /// <summary>
    /// Once the batch is committed its staged events are of no further use (a stage of this batch can no longer
    /// run: the manifest has moved on), and they are as large as the batch, so they
    /// are removed now rather than left for the next Extract. Best effort: the commit is already done.
    /// </summary>
    private static void DropStagedBatch(PipelineContext ctx)
    {
        try
        {
            if (File.Exists(ctx.Work.StagingEvents)) File.Delete(ctx.Work.StagingEvents);
        }
        catch (IOException e)
        {
            ctx.Log.Warn($"could not remove the staged batch {ctx.Work.StagingEvents} ({e.Message}); the next Extract replaces it");
        }
    }

    /// <summary>
    /// The commit protocol (see <see cref="PartitionCommitter"/>), run while holding the warehouse lease;
    /// <paramref name="committed"/> is called as soon as the new manifest is in place.
    /// </summary>
    private static async Task CommitAsync(PipelineContext ctx, BatchPlan plan, HighWatermarkManifest manifest,
        TransformSummary transform, GateVerdict verdict, Action committed, CancellationToken ct)
    {
        var committer = new PartitionCommitter(ctx.Warehouse, ctx.Log, ctx.Faults);
        string[] datasets = [Schemas.SalesMart.Dataset, Schemas.KpiDaily.Dataset, OrderIndex.Dataset];
        // Over an unreadable manifest nothing proves which files are live: the full refresh replaces them all instead.
        var leftovers = manifest.Unreadable is not null ? 0
            : await RunJournal.FinishAsync(ctx.Warehouse, manifest, ctx.Log, ct) + await committer.RemoveLeftoversAsync(manifest, datasets, ct);
        if (leftovers > 0) ctx.Log.Info($"  removed {leftovers} leftover file(s) of an interrupted run");

        var writes = new List<PartitionCommitter.PartitionWrite>();
        foreach (var p in transform.Partitions)
        {
            writes.Add(new(Schemas.SalesMart.Dataset, p.Dt, verdict.MartFiles.GetValueOrDefault(p.Dt)));
            writes.Add(new(Schemas.KpiDaily.Dataset, p.Dt, verdict.KpiFiles.GetValueOrDefault(p.Dt)));
        }
        foreach (var b in transform.IndexBuckets)
            writes.Add(new(OrderIndex.Dataset, b.Bucket, b.File));
        var keys = PartitionCommitter.KeysFor(writes, plan.RunId);
        var appended = transform.IndexBuckets.Where(b => b.Append).Select(b => (OrderIndex.Dataset, b.Bucket)).ToHashSet();
        var replaced = PartitionCommitter.Repoint(manifest, keys, appended);
        if (plan.Scope?.FullRefresh == true)
        {
            // Everything was rebuilt from what is landed now: files no longer landed are forgotten,
            // and partitions or buckets the rebuild did not produce are emptied.
            manifest.Files.Clear();
            var written = keys.Keys.ToHashSet();
            foreach (var (dataset, parts) in manifest.Datasets)
                foreach (var (partition, files) in parts.ToList())
                    if (!written.Contains((dataset, partition)))
                    {
                        replaced.AddRange(files);
                        parts.Remove(partition);
                    }
            if (manifest.Unreadable is not null)
                replaced.AddRange(await UnlistedPublishedAsync(ctx, manifest, datasets, keys, ct));
        }
        // Before any file is put: whatever happens from here, the next run can tell these files are ours.
        await new RunJournal { RunId = plan.RunId, Writes = keys.Values.OfType<string>().ToList(), Replaces = replaced }.SaveAsync(ctx.Warehouse, ct);
        try
        {
            await committer.UploadAsync(writes, plan.RunId, ct);
            await UploadQuarantineAsync(ctx, plan.RunId, ct);
        }
        catch (Exception e) when (e is OperationCanceledException or StorageException or IOException or UnauthorizedAccessException)
        {
            await TakeBackAsync(ctx, plan.RunId);
            throw;
        }

        foreach (var file in plan.Files)
        {
            manifest.Files[file.Key] = new ProcessedFile
            {
                ETag = file.ETag,
                Size = file.Size,
                Arrival = file.Arrival,
                RunId = plan.RunId,
                Partitions = transform.Contributions.GetValueOrDefault(file.Key) ?? [],
                Buckets = transform.BucketContributions.GetValueOrDefault(file.Key) ?? [],
            };
            if (manifest.Watermark is null || file.Arrival > manifest.Watermark) manifest.Watermark = file.Arrival;
        }
        manifest.Version++;
        manifest.LastRunId = plan.RunId;
        manifest.CommittedAt = ctx.Clock.GetUtcNow();
        ctx.Faults.Reach(FaultPoints.PublishBeforeManifest);
        ct.ThrowIfCancellationRequested(); // the last point where a stop leaves the warehouse as it was
        await manifest.SaveAsync(ctx.Warehouse, ct);
        committed();
        // Committed: the rest is finished even when the run is being stopped, so no glob reader sees replaced files.
        ctx.Faults.Reach(FaultPoints.PublishAfterManifest);
        await committer.RemoveReplacedAsync(replaced, CancellationToken.None);
        await RunJournal.DeleteAsync(ctx.Warehouse, plan.RunId, CancellationToken.None);
    }

    /// <summary>
    /// A stopped or failed upload, before the commit: while still holding the lease, remove what this run put (its
    /// journal names it), so a glob reader never sees it. Best effort: what is left, the next writing run removes.
    /// </summary>
    private static async Task TakeBackAsync(PipelineContext ctx, string runId)
    {
        try
        {
            var committed = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, CancellationToken.None);
            await RunJournal.FinishAsync(ctx.Warehouse, committed, ctx.Log, CancellationToken.None);
        }
        catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException or PipelineStateException)
        {
            ctx.Log.Warn($"could not remove the files of stopped run {runId} ({e.Message}); the next run removes them");
        }
    }

    /// <summary>
    /// A full refresh over an unreadable manifest: every published file the rebuild does not write is listed by no
    /// manifest, so it is replaced (removed after the commit). The unreadable manifest is kept beside, for a person.
    /// </summary>
    private static async Task<List<string>> UnlistedPublishedAsync(PipelineContext ctx, HighWatermarkManifest manifest,
        IEnumerable<string> datasets, Dictionary<(string Dataset, string Dt), string?> keys, CancellationToken ct)
    {
        ctx.Log.Warn($"{manifest.Unreadable}: the full refresh replaces every published file by the rebuild");
        if (await ctx.Warehouse.HeadAsync(HighWatermarkManifest.Key, ct) is not null)
        {
            var aside = $"_highwater/manifest.unreadable-{ctx.Clock.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}.json";
            await using (var body = await ctx.Warehouse.OpenReadAsync(HighWatermarkManifest.Key, ct))
            {
                using var copy = new MemoryStream();
                await body.CopyToAsync(copy, ct);
                copy.Position = 0;
                await ctx.Warehouse.PutAsync(aside, copy, ct);
            }
            ctx.Log.Info($"  kept the unreadable manifest as {ctx.Warehouse.Description}/{aside}");
        }
        var written = keys.Values.OfType<string>().ToHashSet(StringComparer.Ordinal);
        var unlisted = new List<string>();
        foreach (var dataset in datasets)
            await foreach (var obj in ctx.Warehouse.ListAsync(WarehouseLayout.DatasetRoot(dataset), null, ct))
                if (!written.Contains(obj.Key)) unlisted.Add(obj.Key);
        return unlisted;
    }

    private static async Task UploadQuarantineAsync(PipelineContext ctx, string runId, CancellationToken ct)
    {
        if (!Directory.Exists(ctx.Work.QuarantineDir)) return;
        foreach (var file in Directory.EnumerateFiles(ctx.Work.QuarantineDir, "*.ndjson", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (new FileInfo(file).Length == 0) continue;
            var relative = Path.GetRelativePath(ctx.Work.QuarantineDir, file).Replace(Path.DirectorySeparatorChar, '/');
            await ctx.Warehouse.PutFileAsync($"quarantine/run={runId}/{relative}", file, ct);
        }
    }
}
