using System.Text.Json;
using System.Text.Json.Serialization;
using Highwater.Columnar;
using Highwater.Manifest;
using Highwater.Model;
using Highwater.Staging;

namespace Highwater.Stages;

/// <summary>
/// Transform: joins the staged events to the user dimension on user_id (inner join; events of unknown
/// users are quarantined with the reason), computes total_price = qty * unit_price and dt = UTC date of
/// event_ts, then builds the full new content of every partition the batch touches — merged with the rows
/// those partitions already hold — plus its daily KPIs, in the work area. Nothing is written to the
/// warehouse here.
/// </summary>
public static class TransformStage
{
    public const string MartDataset = "sales_mart";
    public const string KpiDataset = "kpi_daily";

    public static async Task<TransformSummary?> RunAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        var plan = await BatchPlan.LoadAsync(ctx.Work.PlanFile);
        if (plan.IsEmpty)
        {
            ctx.Log.Info("Transform: nothing new to transform.");
            return null;
        }
        if (ctx.Work.IsDone(StageNames.Transform, plan.BatchId))
        {
            ctx.Log.Info($"Transform: up to date for batch {plan.BatchId}.");
            return null;
        }
        if (!ctx.Work.IsDone(StageNames.Extract, plan.BatchId))
            throw new PipelineStateException($"Batch {plan.BatchId} has not been extracted: run the Extract stage first.");

        var started = ctx.Clock.GetTimestamp();
        ctx.Work.ClearStamp(StageNames.Gate);
        ctx.Work.ClearStamp(StageNames.Publish);
        var manifest = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct);
        EnsureManifestUnchanged(plan, manifest, ctx);
        var users = await UserDimension.LoadAsync(ctx.Users, ct);
        ctx.Log.Diagnostic($"user dimension: {users.Count:N0} users from {ctx.Users.Description}");

        // Join the batch and group it by partition.
        var batchByDt = new SortedDictionary<DateOnly, List<MartRecord>>();
        var contributions = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        long batchRows = 0, unknownUsers = 0;
        using (var quarantine = new QuarantineWriter(ctx.Work.TransformQuarantine, "transform"))
        {
            await foreach (var group in EventStagingReader.ReadRowGroupsAsync(ctx.Work.StagingEvents))
            {
                foreach (var e in group)
                {
                    batchRows++;
                    if (!users.TryGet(e.UserId, out var user))
                    {
                        unknownUsers++;
                        quarantine.Add(e.SourceKey, e.SourceLine, $"unknown user_id {e.UserId}: not in the user dimension", Describe(e));
                        continue;
                    }
                    var row = Join(e, user);
                    var dt = row.Dt;
                    if (!batchByDt.TryGetValue(dt, out var rows)) batchByDt[dt] = rows = [];
                    rows.Add(row);
                    if (!contributions.TryGetValue(e.SourceKey, out var parts)) contributions[e.SourceKey] = parts = new(StringComparer.Ordinal);
                    parts.Add(UtcTimestamp.FormatDate(dt));
                }
            }
        }

        // Re-uploaded files: their earlier rows are replaced wherever they went.
        var replaced = plan.Files.Where(f => f.PreviousETag is not null).Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var touched = new SortedSet<string>(batchByDt.Keys.Select(UtcTimestamp.FormatDate), StringComparer.Ordinal);
        foreach (var key in replaced)
            if (manifest.Files.TryGetValue(key, out var earlier)) touched.UnionWith(earlier.Partitions);

        WorkArea.ResetDirectory(ctx.Work.MartDir);
        WorkArea.ResetDirectory(ctx.Work.KpiDir);
        var partitions = new List<PartitionOutput>();
        using var progress = ctx.Log.StartProgress(ctx.Clock, "Transform", "partitions", touched.Count);
        foreach (var dt in touched)
        {
            var existing = new List<MartRecord>();
            foreach (var key in manifest.PartitionFiles(MartDataset, dt))
            {
                await using var body = await ctx.Warehouse.OpenReadAsync(key, ct);
                await using var seekable = await SeekableCopy.OfAsync(body, ct);
                await MartPartitionFile.ReadAsync(seekable, $"{ctx.Warehouse.Description}/{key}", existing);
            }
            var batch = batchByDt.TryGetValue(DateOnly.ParseExact(dt, "yyyy-MM-dd"), out var b) ? b : [];
            var merged = PartitionMerge.Merge(existing, batch, replaced);
            string? martFile = null, kpiFile = null;
            if (merged.Count > 0)
            {
                martFile = Path.Combine(ctx.Work.MartDir, $"dt={dt}", "part.parquet");
                kpiFile = Path.Combine(ctx.Work.KpiDir, $"dt={dt}", "part.parquet");
                await WriteFileAsync(martFile, s => MartPartitionFile.WriteAsync(s, merged));
                await WriteFileAsync(kpiFile, s => KpiPartitionFile.WriteAsync(s, DailyKpi.Compute(merged)));
            }
            partitions.Add(new PartitionOutput(dt, merged.Count, existing.Count, batch.Count, martFile, kpiFile));
            ctx.Log.Diagnostic($"dt={dt}: {existing.Count:N0} held + {batch.Count:N0} new -> {merged.Count:N0} rows");
            progress.Advance(1, merged.Count);
        }

        var summary = new TransformSummary
        {
            BatchId = plan.BatchId,
            BatchRows = batchRows,
            UnknownUsers = unknownUsers,
            Partitions = partitions,
            Contributions = plan.Files.ToDictionary(f => f.Key,
                f => contributions.TryGetValue(f.Key, out var p) ? p.ToList() : [], StringComparer.Ordinal),
        };
        WorkArea.WriteAtomically(ctx.Work.TransformSummaryFile, summary.ToJson());
        ctx.Work.MarkDone(StageNames.Transform, plan.BatchId);
        Reporting.StageMetrics.Record(ctx, StageNames.Transform, plan.BatchId, started, plan.Files.Count, rowsIn: batchRows,
            rowsOut: batchRows - unknownUsers, quarantined: unknownUsers, partitions: partitions.Count);
        ctx.Log.Info($"Transform: {batchRows:N0} rows joined to {users.Count:N0} users, {unknownUsers:N0} with unknown user quarantined; " +
                     $"{partitions.Count} partition(s) rebuilt ({partitions.Sum(p => p.Rows):N0} rows) in {ctx.Clock.GetElapsedTime(started).TotalSeconds:F2} s");
        return summary;
    }

    internal static void EnsureManifestUnchanged(BatchPlan plan, HighWatermarkManifest manifest, PipelineContext ctx)
    {
        if (manifest.Version != plan.ManifestVersion)
            throw new PipelineStateException(
                $"The warehouse {ctx.Warehouse.Description} was published to since this batch was planned " +
                $"(manifest version {manifest.Version}, plan made at version {plan.ManifestVersion}): run again from Discover.");
    }

    private static MartRecord Join(EventRecord e, UserRecord u) => new(
        e.OrderId, e.UserId, e.EventTs, e.ArrivalTs, e.Qty, e.UnitPrice,
        e.Qty is { } q && e.UnitPrice is { } p ? q * p : null,
        e.Currency, e.Sku, e.Channel, u.Country, u.Segment, u.SignupDate, e.SourceKey);

    private static string Describe(EventRecord e) =>
        $"order_id={e.OrderId ?? "null"}, user_id={e.UserId}, event_ts={UtcTimestamp.Format(e.EventTs)}";

    private static async Task WriteFileAsync(string path, Func<Stream, Task> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var s = File.Create(path);
        await write(s);
    }
}

/// <summary>What Transform produced: the rebuilt partitions and which partitions each source file fed.</summary>
public sealed class TransformSummary
{
    public string BatchId { get; set; } = "";
    public long BatchRows { get; set; }
    public long UnknownUsers { get; set; }
    public List<PartitionOutput> Partitions { get; set; } = [];
    public Dictionary<string, List<string>> Contributions { get; set; } = new(StringComparer.Ordinal);

    public string ToJson() => JsonSerializer.Serialize(this, TransformJson.Default.TransformSummary);

    public static TransformSummary Load(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), TransformJson.Default.TransformSummary)
        ?? throw new PipelineStateException($"{path} is empty: run the Transform stage again.");
}

/// <summary>
/// One rebuilt partition. <see cref="MartFile"/> is null when the partition became empty
/// (all its rows came from a re-uploaded file that no longer has rows for that day).
/// </summary>
public sealed record PartitionOutput(string Dt, long Rows, long HeldRows, long BatchRows, string? MartFile, string? KpiFile);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TransformSummary))]
internal sealed partial class TransformJson : JsonSerializerContext;
