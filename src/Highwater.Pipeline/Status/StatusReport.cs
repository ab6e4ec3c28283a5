using System.Text.Json;
using System.Text.Json.Serialization;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.Reporting;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Discover;

namespace Highwater.Pipeline.Status;

/// <summary>
/// Status: what the warehouse holds and what is waiting — watermark, last run, processed files,
/// files pending now (count, bytes, oldest), partitions and row counts per dataset (from the Parquet footers),
/// the last gate verdict in the work area and the last run report, and what the listing did not take (ignored and
/// hidden keys under events/, with names) or took from future-dated folders (see <see cref="LandingNotes"/>). Reads only. The JSON form is stable for
/// scripts: properties in a fixed order, maps sorted by key, nothing that depends on when it was asked (but for which
/// folders are in the future, which moves with the date);
/// <c>upToDate</c> is true when no landed file is pending ("nothing to do").
/// </summary>
public static class StatusReport
{
    public sealed record Snapshot(
        string Warehouse, string Landing, long ManifestVersion, string? LastRunId, DateTimeOffset? CommittedAt,
        DateTimeOffset? Watermark, int ProcessedFiles, int PendingFiles, long PendingBytes, DateTimeOffset? OldestPending,
        bool UpToDate, SortedDictionary<string, int> Partitions, SortedDictionary<string, long> Rows,
        SortedDictionary<string, SortedDictionary<string, long>> PartitionRows, string? LastGate, string? LastReport,
        LandingNotes Notes);

    public static async Task<Snapshot> CollectAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        var manifest = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct);
        var (pending, _, notes) = await DiscoverStage.FindPendingAsync(ctx, manifest, ct);
        string? lastGate = null;
        if (File.Exists(GateVerdict.PathIn(ctx.Work)))
        {
            var v = GateVerdict.Load(ctx.Work);
            lastGate = $"{(v.Passed ? "passed" : "failed")} (batch {v.BatchId})";
        }
        var rows = await PartitionRowCounts.ReadAsync(ctx.Warehouse, manifest, ct);
        string? lastReport = null;
        if (manifest.LastRunId is { } run && await ctx.Warehouse.HeadAsync($"{RunReport.WarehousePrefix(run)}report.html", ct) is not null)
            lastReport = $"{ctx.Warehouse.Description}/{RunReport.WarehousePrefix(run)}report.html";
        return new Snapshot(ctx.Warehouse.Description, ctx.Landing.Description, manifest.Version, manifest.LastRunId,
            manifest.CommittedAt, manifest.Watermark, manifest.Files.Count, pending.Count, pending.Sum(f => f.Size),
            pending.Count == 0 ? null : pending.Min(f => f.Arrival), pending.Count == 0,
            new SortedDictionary<string, int>(manifest.Datasets.Where(d => d.Key != OrderIndex.Dataset).ToDictionary(d => d.Key, d => d.Value.Count), StringComparer.Ordinal),
            new SortedDictionary<string, long>(rows.ToDictionary(d => d.Key, d => d.Value.Values.Sum()), StringComparer.Ordinal),
            rows, lastGate, lastReport, notes);
    }

    /// <summary>Partitions per dataset listed in the text form, newest first.</summary>
    public const int PartitionLinesShown = 10;

    public static async Task<Snapshot> WriteAsync(PipelineContext ctx, string format, TextWriter output, CancellationToken ct = default)
    {
        if (format is not ("text" or "json")) throw new ConfigurationException($"--format={format}: use text or json.");
        var s = await CollectAsync(ctx, ct);
        if (format == "json")
        {
            output.WriteLine(JsonSerializer.Serialize(s, StatusJson.Default.Snapshot));
            return s;
        }
        if (format != "text") throw new ConfigurationException($"--format={format}: use text or json.");
        output.WriteLine($"Warehouse      {s.Warehouse}");
        output.WriteLine($"Landing        {s.Landing}");
        output.WriteLine($"Manifest       v{s.ManifestVersion}, {s.ProcessedFiles:N0} processed file(s)");
        output.WriteLine($"Watermark      {s.Watermark?.ToString("u") ?? "none (never published)"}");
        output.WriteLine($"Last run       {s.LastRunId ?? "none"}{(s.CommittedAt is { } c ? $" committed {c:u}" : "")}");
        output.WriteLine($"Pending        {s.PendingFiles:N0} file(s), {s.PendingBytes:N0} bytes{(s.OldestPending is { } o ? $", oldest arrived {o:u}" : "")}{(s.UpToDate ? " (up to date: nothing to do)" : "")}");
        if (s.Notes.DescribeFuture() is { } future) output.WriteLine($"Future         {future}");
        if (s.Notes.DescribeIgnored(shown: 10) is { } ignored) output.WriteLine($"Ignored        {ignored}{(s.Notes.IgnoredCount > 10 ? " (--format=json lists up to " + LandingNotes.MaxListed + ")" : "")}");
        if (s.Notes.DescribeHidden() is { } hidden) output.WriteLine($"Hidden         {hidden}");
        foreach (var (dataset, count) in s.Partitions)
        {
            var perDt = s.PartitionRows.GetValueOrDefault(dataset) ?? new SortedDictionary<string, long>();
            output.WriteLine($"Partitions     {dataset}: {count:N0}, {s.Rows.GetValueOrDefault(dataset):N0} rows" +
                             (perDt.Count == 0 ? "" : $" (newest dt={perDt.Keys.Last()}: {perDt.Values.Last():N0} rows)"));
            foreach (var (dt, rows) in perDt.Reverse().Take(PartitionLinesShown))
                output.WriteLine($"                 dt={dt}  {rows,12:N0}");
            if (perDt.Count > PartitionLinesShown) output.WriteLine($"                 ... {perDt.Count - PartitionLinesShown:N0} older partition(s) (--format=json lists all)");
        }
        output.WriteLine($"Last gate      {s.LastGate ?? "none in this work area"}");
        output.WriteLine($"Last report    {s.LastReport ?? "none"}");
        return s;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StatusReport.Snapshot))]
internal sealed partial class StatusJson : JsonSerializerContext;
