using Highwater.Manifest;

namespace Highwater.Stages;

/// <summary>
/// A stage that works on Discover's batch, and the checks each makes before working: the plan has files,
/// this stage has not completed the batch yet (its stamp), and the stage before it has.
/// </summary>
public sealed record BatchStage(string Stamp, string Title, string Verb, BatchStage? Previous)
{
    public static readonly BatchStage Extract = new(StageNames.Extract, "Extract", "extract", null);
    public static readonly BatchStage Transform = new(StageNames.Transform, "Transform", "transform", Extract);
    public static readonly BatchStage Gate = new(StageNames.Gate, "QualityGate", "check", Transform);
    public static readonly BatchStage Publish = new(StageNames.Publish, "PublishMart", "publish", Gate);

    /// <summary>
    /// The batch to work on, or null (after saying why) when there is nothing to do.
    /// Throws <see cref="PipelineStateException"/> when the stage before has not completed the batch.
    /// </summary>
    public async Task<BatchPlan?> OpenAsync(PipelineContext ctx)
    {
        var plan = await BatchPlan.LoadAsync(ctx.Work.PlanFile);
        if (plan.IsEmpty)
        {
            ctx.Log.Info($"{Title}: nothing new to {Verb}.");
            return null;
        }
        if (ctx.Work.IsDone(Stamp, plan.BatchId))
        {
            ctx.Log.Info($"{Title}: up to date, batch {plan.BatchId} is done.");
            return null;
        }
        if (Previous is { } previous && !ctx.Work.IsDone(previous.Stamp, plan.BatchId))
            throw new PipelineStateException($"Batch {plan.BatchId} has not passed {previous.Title}: run the {previous.Title} stage first.");
        return plan;
    }
}
