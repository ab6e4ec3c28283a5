using Highwater.Manifest;

namespace Highwater.Stages;

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
        var plan = await BatchPlan.LoadAsync(ctx.Work.PlanFile);
        if (plan.IsEmpty)
        {
            ctx.Log.Info("PublishMart: nothing new to publish.");
            return null;
        }
        if (ctx.Work.IsDone(StageNames.Publish, plan.BatchId))
        {
            ctx.Log.Info($"PublishMart: batch {plan.BatchId} is already published.");
            return null;
        }
        if (!ctx.Work.IsDone(StageNames.Gate, plan.BatchId))
            throw new PipelineStateException($"The quality gate has not passed for batch {plan.BatchId}: run the QualityGate stage first.");

        var started = ctx.Clock.GetTimestamp();
        var manifest = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct);
        TransformStage.EnsureManifestUnchanged(plan, manifest, ctx);
        var transform = TransformSummary.Load(ctx.Work.TransformSummaryFile);
        var verdict = GateVerdict.Load(ctx.Work);
        if (verdict.BatchId != plan.BatchId || !verdict.Passed)
            throw new PipelineStateException($"The quality gate verdict in {ctx.Work.GateDir} is not a pass for batch {plan.BatchId}: run the QualityGate stage again.");

        var committer = new PartitionCommitter(ctx.Warehouse, ctx.Log);
        var leftovers = await committer.RemoveLeftoversAsync(manifest, [TransformStage.MartDataset, TransformStage.KpiDataset], ct);
        if (leftovers > 0) ctx.Log.Info($"  removed {leftovers} leftover file(s) of an interrupted run");

        var writes = new List<PartitionCommitter.PartitionWrite>();
        foreach (var p in transform.Partitions)
        {
            writes.Add(new(TransformStage.MartDataset, p.Dt, verdict.MartFiles.GetValueOrDefault(p.Dt)));
            writes.Add(new(TransformStage.KpiDataset, p.Dt, verdict.KpiFiles.GetValueOrDefault(p.Dt)));
        }
        var keys = await committer.UploadAsync(writes, plan.RunId, ct);
        await UploadQuarantineAsync(ctx, plan.RunId, ct);

        var replaced = PartitionCommitter.Repoint(manifest, keys);
        foreach (var file in plan.Files)
        {
            manifest.Files[file.Key] = new ProcessedFile
            {
                ETag = file.ETag,
                Size = file.Size,
                Arrival = file.Arrival,
                RunId = plan.RunId,
                Partitions = transform.Contributions.GetValueOrDefault(file.Key) ?? [],
            };
            if (manifest.Watermark is null || file.Arrival > manifest.Watermark) manifest.Watermark = file.Arrival;
        }
        manifest.Version++;
        manifest.LastRunId = plan.RunId;
        manifest.CommittedAt = ctx.Clock.GetUtcNow();
        await manifest.SaveAsync(ctx.Warehouse, ct);
        await committer.RemoveReplacedAsync(replaced, ct);

        ctx.Work.MarkDone(StageNames.Publish, plan.BatchId);
        var rows = verdict.MartRows.Values.Sum();
        ctx.Log.Info($"PublishMart: {transform.Partitions.Count} partition(s) committed ({string.Join(", ", transform.Partitions.Select(p => "dt=" + p.Dt))}), " +
                     $"{rows:N0} rows; manifest v{manifest.Version}, watermark {manifest.Watermark:u}; run {plan.RunId} in {ctx.Clock.GetElapsedTime(started).TotalSeconds:F2} s");
        await Reporting.RunReportWriter.AfterPublishAsync(ctx, plan, manifest, transform, verdict, started, ct);
        return new Summary(plan.RunId, transform.Partitions.Count, rows, manifest.Version);
    }

    private static async Task UploadQuarantineAsync(PipelineContext ctx, string runId, CancellationToken ct)
    {
        if (!Directory.Exists(ctx.Work.QuarantineDir)) return;
        foreach (var file in Directory.EnumerateFiles(ctx.Work.QuarantineDir, "*.ndjson", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (new FileInfo(file).Length == 0) continue;
            var relative = Path.GetRelativePath(ctx.Work.QuarantineDir, file).Replace(Path.DirectorySeparatorChar, '/');
            await using var s = File.OpenRead(file);
            await ctx.Warehouse.PutAsync($"quarantine/run={runId}/{relative}", s, ct);
        }
    }
}
