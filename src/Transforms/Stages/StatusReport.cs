using System.Text.Json;
using System.Text.Json.Serialization;
using Highwater.Manifest;

namespace Highwater.Stages;

/// <summary>
/// Status: what the warehouse holds and what is waiting — watermark, last run, processed files,
/// files pending now (count, bytes, oldest), partitions per dataset, and the last gate verdict in the
/// work area. Reads only.
/// </summary>
public static class StatusReport
{
    public sealed record Snapshot(
        string Warehouse, string Landing, long ManifestVersion, string? LastRunId, DateTimeOffset? CommittedAt,
        DateTimeOffset? Watermark, int ProcessedFiles, int PendingFiles, long PendingBytes, DateTimeOffset? OldestPending,
        Dictionary<string, int> Partitions, string? LastGate);

    public static async Task<Snapshot> CollectAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        var manifest = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct);
        var (pending, _) = await DiscoverStage.FindPendingAsync(ctx, manifest, ct);
        string? lastGate = null;
        if (File.Exists(GateVerdict.PathIn(ctx.Work)))
        {
            var v = GateVerdict.Load(ctx.Work);
            lastGate = $"{(v.Passed ? "passed" : "failed")} (batch {v.BatchId})";
        }
        return new Snapshot(ctx.Warehouse.Description, ctx.Landing.Description, manifest.Version, manifest.LastRunId,
            manifest.CommittedAt, manifest.Watermark, manifest.Files.Count, pending.Count, pending.Sum(f => f.Size),
            pending.Count == 0 ? null : pending.Min(f => f.Arrival),
            manifest.Datasets.ToDictionary(d => d.Key, d => d.Value.Count, StringComparer.Ordinal), lastGate);
    }

    public static async Task WriteAsync(PipelineContext ctx, string format, TextWriter output, CancellationToken ct = default)
    {
        var s = await CollectAsync(ctx, ct);
        if (format == "json")
        {
            output.WriteLine(JsonSerializer.Serialize(s, StatusJson.Default.Snapshot));
            return;
        }
        if (format != "text") throw new ConfigurationException($"--format={format}: use text or json.");
        output.WriteLine($"Warehouse      {s.Warehouse}");
        output.WriteLine($"Landing        {s.Landing}");
        output.WriteLine($"Manifest       v{s.ManifestVersion}, {s.ProcessedFiles:N0} processed file(s)");
        output.WriteLine($"Watermark      {s.Watermark?.ToString("u") ?? "none (never published)"}");
        output.WriteLine($"Last run       {s.LastRunId ?? "none"}{(s.CommittedAt is { } c ? $" committed {c:u}" : "")}");
        output.WriteLine($"Pending        {s.PendingFiles:N0} file(s), {s.PendingBytes:N0} bytes{(s.OldestPending is { } o ? $", oldest arrived {o:u}" : "")}");
        foreach (var (dataset, count) in s.Partitions)
            output.WriteLine($"Partitions     {dataset}: {count:N0}");
        output.WriteLine($"Last gate      {s.LastGate ?? "none in this work area"}");
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StatusReport.Snapshot))]
internal sealed partial class StatusJson : JsonSerializerContext;
