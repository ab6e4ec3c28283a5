using System.Text.Json;
using System.Text.Json.Serialization;
using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Discover;

namespace Highwater.Pipeline.Status;

/// <summary>
/// What a run would do now, without doing it: the landed file versions the manifest has not processed, and
/// the mart partitions that would be rewritten. Writes nothing, neither to the warehouse nor to the work area.
/// The partitions are an estimate derived from the plan — the date folders of the pending files, plus every
/// partition a re-uploaded file fed before (per the manifest) — because a row's dt is the UTC date of its
/// event_ts, which can fall outside its folder's date. When the work area already holds Transform's output for
/// exactly this batch, the partitions are taken from it and are exact.
/// </summary>
public static class RunPlanPreview
{
    public sealed record PendingFile(string Key, long Size, DateTimeOffset Arrival, bool Reuploaded, string? FolderDate);

    public sealed record Preview(
        string Landing, string Warehouse, long ManifestVersion, string BatchId, bool NothingToDo, int LandedFiles,
        List<PendingFile> Files, long Bytes, List<string> Partitions, bool PartitionsAreEstimate, string Basis);

    public static async Task<Preview> BuildAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        var manifest = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct);
        var (pending, landed, _) = await DiscoverStage.FindPendingAsync(ctx, manifest, ct);
        var batchId = BatchPlan.ComputeBatchId(ctx.Landing.Description, ctx.Warehouse.Description, manifest.Version, pending);
        var files = pending.OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => new PendingFile(f.Key, f.Size, f.Arrival, f.PreviousETag is not null,
                DiscoverStage.FolderDate(f.Key) is { } d ? d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : null))
            .ToList();

        var partitions = new SortedSet<string>(StringComparer.Ordinal);
        bool estimate;
        string basis;
        if (pending.Count > 0 && TryTransformed(ctx.Work, batchId) is { } transformed)
        {
            partitions.UnionWith(transformed.Partitions.Select(p => p.Dt));
            estimate = false;
            basis = "exact: this batch is already transformed in the work area";
        }
        else
        {
            foreach (var f in files)
            {
                if (f.FolderDate is { } dt) partitions.Add(dt);
                if (f.Reuploaded && manifest.Files.TryGetValue(f.Key, out var before)) partitions.UnionWith(before.Partitions);
            }
            estimate = pending.Count > 0;
            basis = pending.Count == 0
                ? "nothing pending"
                : "estimate: the date folders of the pending files and the partitions re-uploaded files fed before; " +
                  "rows whose event_ts falls on another UTC day rewrite that day's partition too";
        }
        return new Preview(ctx.Landing.Description, ctx.Warehouse.Description, manifest.Version, batchId, pending.Count == 0,
            landed, files, pending.Sum(f => f.Size), partitions.ToList(), estimate, basis);
    }

    private static TransformSummary? TryTransformed(WorkArea work, string batchId)
    {
        if (!File.Exists(work.TransformSummaryFile) || !work.IsDone(StageNames.Transform, batchId)) return null;
        try
        {
            var summary = TransformSummary.Load(work.TransformSummaryFile);
            return summary.BatchId == batchId ? summary : null;
        }
        catch (Exception e) when (e is JsonException or PipelineStateException) { return null; }
    }

    public static async Task<Preview> WriteAsync(PipelineContext ctx, string format, TextWriter output, CancellationToken ct = default)
    {
        if (format is not ("text" or "json")) throw new ConfigurationException($"--format={format}: use text or json.");
        var p = await BuildAsync(ctx, ct);
        if (format == "json")
        {
            output.WriteLine(JsonSerializer.Serialize(p, PreviewJson.Default.Preview));
            return p;
        }
        output.WriteLine($"Plan (dry run: nothing is written) for {p.Landing} -> {p.Warehouse}, manifest v{p.ManifestVersion}");
        if (p.NothingToDo)
        {
            output.WriteLine($"  nothing to do: all {p.LandedFiles:N0} landed file(s) are processed.");
            return p;
        }
        output.WriteLine($"  batch {p.BatchId}: {p.Files.Count:N0} file(s), {p.Bytes:N0} bytes of {p.LandedFiles:N0} landed");
        foreach (var f in p.Files)
            output.WriteLine($"    {(f.Reuploaded ? "re-uploaded" : "new        ")}  {WorkflowCommandEscaping.Data(f.Key)}  ({f.Size:N0} bytes, arrived {f.Arrival:u})");
        output.WriteLine($"  partitions that would be rewritten ({(p.PartitionsAreEstimate ? "estimate" : "exact")}): " +
                         string.Join(", ", p.Partitions.Select(d => "dt=" + d)));
        output.WriteLine($"  ({p.Basis})");
        return p;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RunPlanPreview.Preview))]
internal sealed partial class PreviewJson : JsonSerializerContext;
