using System.Text.Json;
using System.Text.Json.Serialization;
using Highwater.Pipeline.Core.State;

namespace Highwater.Pipeline.Core.Pipeline;

/// <summary>
/// What one stage did for one batch: counts and duration. Stages run as separate processes, so each
/// writes its own <c>metrics/&lt;stage&gt;.json</c> in the work area and the run report reads them all at publish.
/// </summary>
public sealed record StageMetrics
{
    public required string Stage { get; init; }
    public required string BatchId { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public double DurationSeconds { get; init; }
    public int Files { get; init; }
    public long Bytes { get; init; }
    public long RowsIn { get; init; }
    public long RowsOut { get; init; }
    public long Quarantined { get; init; }
    public int Partitions { get; init; }

    /// <summary>The stages in pipeline order, as they appear in reports.</summary>
    public static readonly string[] Order = [StageNames.Discover, StageNames.Extract, StageNames.Transform, StageNames.Gate, StageNames.Publish];

    public static string Folder(WorkArea work) => Path.Combine(work.Root, "metrics");

    public static string PathFor(WorkArea work, string stage) => Path.Combine(Folder(work), stage + ".json");

    /// <summary>
    /// Records a stage's metrics; <paramref name="started"/> is the stage's <see cref="TimeProvider.GetTimestamp"/>.
    /// Never fails the stage: metrics are for people, not for the pipeline's state.
    /// </summary>
    public static StageMetrics Record(PipelineContext ctx, string stage, string batchId, long started,
        int files = 0, long bytes = 0, long rowsIn = 0, long rowsOut = 0, long quarantined = 0, int partitions = 0)
    {
        var elapsed = ctx.Clock.GetElapsedTime(started);
        var metrics = new StageMetrics
        {
            Stage = stage,
            BatchId = batchId,
            StartedAt = ctx.Clock.GetUtcNow() - elapsed,
            DurationSeconds = Math.Round(elapsed.TotalSeconds, 3),
            Files = files,
            Bytes = bytes,
            RowsIn = rowsIn,
            RowsOut = rowsOut,
            Quarantined = quarantined,
            Partitions = partitions,
        };
        try
        {
            WorkArea.WriteAtomically(PathFor(ctx.Work, stage), JsonSerializer.Serialize(metrics, MetricsJson.Default.StageMetrics));
        }
        catch (IOException e)
        {
            ctx.Log.Warn($"could not record {stage} metrics: {e.Message}");
        }
        return metrics;
    }

    /// <summary>The recorded metrics of one batch, in pipeline order (stages without metrics for it are left out).</summary>
    public static List<StageMetrics> ReadAll(WorkArea work, string batchId)
    {
        var result = new List<StageMetrics>();
        foreach (var stage in Order)
        {
            var path = PathFor(work, stage);
            if (!File.Exists(path)) continue;
            try
            {
                var m = JsonSerializer.Deserialize(File.ReadAllText(path), MetricsJson.Default.StageMetrics);
                if (m is not null && m.BatchId == batchId) result.Add(m);
            }
            catch (JsonException) { /* a half-written file from another build: leave it out */ }
        }
        return result;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StageMetrics))]
internal sealed partial class MetricsJson : JsonSerializerContext;
