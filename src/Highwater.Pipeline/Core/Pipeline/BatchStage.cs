using Highwater.Pipeline.Core.State;

namespace Highwater.Pipeline.Core.Pipeline;

/// <summary>
/// A stage that works on Discover's batch, and the checks each makes before working: the plan has files,
/// this stage has not completed the batch yet, and the stage before it has.
/// A stamp in the work area is only a cache: a stage is done for a batch when its stamp names the batch and what it
/// produced is still there (or the stage after it is done, which needs nothing more from it); PublishMart is done when
/// the warehouse's manifest records the batch, whatever its stamp says.
/// </summary>
public sealed record BatchStage(string Stamp, string Title, string Verb, BatchStage? Previous)
{
    public static readonly BatchStage Extract = new(StageNames.Extract, "Extract", "extract", null);
    public static readonly BatchStage Transform = new(StageNames.Transform, "Transform", "transform", Extract);
    public static readonly BatchStage Gate = new(StageNames.Gate, "QualityGate", "check", Transform);
    public static readonly BatchStage Publish = new(StageNames.Publish, "PublishMart", "publish", Gate);

    public static BatchStage? Named(string stamp) => InOrder.FirstOrDefault(s => s.Stamp == stamp);

    private BatchStage? Next => this == Extract ? Transform : this == Transform ? Gate : this == Gate ? Publish : null;

    /// <summary>
    /// The batch to work on, or null (after saying why) when there is nothing to do.
    /// Throws <see cref="PipelineStateException"/> when the stage before has not completed the batch.
    /// </summary>
    public async Task<BatchPlan?> OpenAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        var plan = await BatchPlan.LoadAsync(ctx.Work.PlanFile);
        if (plan.IsEmpty)
        {
            ctx.Log.Info($"{Title}: nothing new to {Verb}.");
            return null;
        }
        var state = new Lazy<Task<HighWatermarkManifest>>(() =>
            HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct, rebuild: plan.Scope?.FullRefresh == true));
        if (await IsDoneAsync(ctx, plan, state))
        {
            ctx.Log.Info($"{Title}: up to date, batch {plan.BatchId} is done.");
            return null;
        }
        if (ctx.Work.IsDone(Stamp, plan.BatchId))
            ctx.Log.Info($"{Title}: the stamp says batch {plan.BatchId} is done, but {Missing(ctx, plan)}: doing it again.");
        if (Previous is { } previous && !await previous.IsDoneAsync(ctx, plan, state))
            throw new PipelineStateException($"Batch {plan.BatchId} has not passed {previous.Title}: run the {previous.Title} stage first.");
        return plan;
    }

    /// <summary>The batch stages in the order they run.</summary>
    public static IReadOnlyList<BatchStage> InOrder { get; } = [Extract, Transform, Gate, Publish];

    /// <summary>
    /// Whether each stage, in order, still has work for <paramref name="plan"/>, answered once before any of them runs:
    /// a stage is pending when it is not done (<see cref="IsDoneAsync"/>) or a stage before it is pending, since running
    /// a stage again may replace what the stages after it read. Each stage still checks its own state when it runs.
    /// </summary>
    public static async Task<IReadOnlyList<(BatchStage Stage, bool Pending)>> PendingAsync(PipelineContext ctx, BatchPlan? plan,
        Lazy<Task<HighWatermarkManifest>> manifest)
    {
        var answers = new List<(BatchStage, bool)>(InOrder.Count);
        var before = false;
        foreach (var stage in InOrder)
        {
            before = plan is { IsEmpty: false } && (before || !await stage.IsDoneAsync(ctx, plan, manifest));
            answers.Add((stage, before));
        }
        return answers;
    }

    /// <summary>True when this stage has nothing left to do for <paramref name="plan"/> (see the type's summary).</summary>
    public async Task<bool> IsDoneAsync(PipelineContext ctx, BatchPlan plan, Lazy<Task<HighWatermarkManifest>> manifest)
    {
        if (this == Publish) return Records(await manifest.Value, plan);
        if (!ctx.Work.IsDone(Stamp, plan.BatchId)) return false;
        return OutputsPresent(ctx, plan) || await Next!.IsDoneAsync(ctx, plan, manifest);
    }

    /// <summary>True when the manifest records every file of the batch as processed by the batch's run.</summary>
    public static bool Records(HighWatermarkManifest manifest, BatchPlan plan) =>
        plan.Files.All(f => manifest.Files.TryGetValue(f.Key, out var p) && p.RunId == plan.RunId && p.ETag == f.ETag && p.Size == f.Size);

    private string Missing(PipelineContext ctx, BatchPlan plan) =>
        this == Publish ? "the warehouse's manifest does not record it" : "what it produced is gone";

    /// <summary>What the stage produced for the batch, and the next stage reads, is still in the work area.</summary>
    private bool OutputsPresent(PipelineContext ctx, BatchPlan plan)
    {
        try
        {
            if (this == Extract) return File.Exists(ctx.Work.StagingEvents);
            if (!File.Exists(ctx.Work.TransformSummaryFile)) return false;
            var transform = TransformSummary.Load(ctx.Work.TransformSummaryFile);
            if (transform.BatchId != plan.BatchId) return false;
            if (!transform.IndexBuckets.All(b => b.File is null || File.Exists(b.File))) return false;
            if (this == Transform)
                return transform.Partitions.All(p => (p.MartFile is null || File.Exists(p.MartFile)) && (p.KpiFile is null || File.Exists(p.KpiFile)));
            if (!File.Exists(GateVerdict.PathIn(ctx.Work))) return false;
            var verdict = GateVerdict.Load(ctx.Work);
            return verdict.BatchId == plan.BatchId && verdict.Passed
                && verdict.MartFiles.Values.Concat(verdict.KpiFiles.Values).All(f => f is null || File.Exists(f));
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>Refuses to go on when another run published since this batch was planned.</summary>
    public static void EnsureManifestUnchanged(BatchPlan plan, HighWatermarkManifest manifest, PipelineContext ctx)
    {
        if (manifest.Version != plan.ManifestVersion)
            throw new PipelineStateException(
                $"The warehouse {ctx.Warehouse.Description} was published to since this batch was planned " +
                $"(manifest version {manifest.Version}, plan made at version {plan.ManifestVersion}): run again from Discover.");
    }
}
