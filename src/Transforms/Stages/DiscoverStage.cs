using System.Globalization;
using System.Text.RegularExpressions;
using Highwater.Manifest;
using Highwater.Storage;

namespace Highwater.Stages;

/// <summary>
/// Discover: lists the landing zone's <c>events/YYYY-MM-DD/</c> folders and plans every file version
/// the manifest has not processed: new keys, late files in older folders, and re-uploads under a known
/// key (a changed ETag or size). Writes the plan and batch id to the work area; rewrites them only when
/// the batch changed, so later stages' stamps stay valid across reruns.
/// </summary>
public static partial class DiscoverStage
{
    public const string EventsPrefix = "events/";

    [GeneratedRegex(@"^events/(\d{4}-\d{2}-\d{2})/[^/]+\.(json|jsonl|ndjson)(\.gz)?$", RegexOptions.CultureInvariant)]
    private static partial Regex EventKeyPattern();

    /// <summary>True for keys of landed event files; other objects under events/ are ignored.</summary>
    public static bool IsEventFile(string key)
    {
        var m = EventKeyPattern().Match(key);
        return m.Success && DateOnly.TryParseExact(m.Groups[1].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
    }

    /// <param name="scope">Null for the incremental plan; a backfill range or a full refresh (see <see cref="RebuildScope"/>).</param>
    public static async Task<BatchPlan> RunAsync(PipelineContext ctx, CancellationToken ct = default, RebuildScope? scope = null)
    {
        var started = ctx.Clock.GetTimestamp();
        var manifest = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct, rebuild: scope?.FullRefresh == true);
        if (manifest.Unreadable is not null) ctx.Log.Warn($"{manifest.Unreadable}: the full refresh rebuilds the mart from the landing zone alone");
        var (files, listed) = scope is null ? await FindPendingAsync(ctx, manifest, ct) : await FindInScopeAsync(ctx, manifest, scope, ct);

        var landing = ctx.Landing.Description;
        var warehouse = ctx.Warehouse.Description;
        var batchId = BatchPlan.ComputeBatchId(landing, warehouse, manifest.Version, files, scope);
        var current = File.Exists(ctx.Work.PlanFile) ? await TryLoad(ctx.Work.PlanFile) : null;
        BatchPlan plan;
        if (current is not null && current.BatchId == batchId && ctx.Work.ReadBatchId() == batchId)
        {
            plan = current; // unchanged: keep the file (and the stages' stamps) as they are
        }
        else
        {
            var now = ctx.Clock.GetUtcNow();
            plan = new BatchPlan
            {
                BatchId = batchId,
                RunId = batchId == BatchPlan.NothingNew ? "" : $"{now:yyyyMMdd'T'HHmmss'Z'}-{batchId[..8]}",
                Landing = landing,
                Warehouse = warehouse,
                ManifestVersion = manifest.Version,
                DiscoveredAt = now,
                Files = files,
                Scope = scope,
            };
            WorkArea.WriteAtomically(ctx.Work.PlanFile, plan.ToJson());
            WorkArea.WriteAtomically(ctx.Work.BatchIdFile, batchId);
        }

        Reporting.StageMetrics.Record(ctx, StageNames.Discover, plan.BatchId, started, files: plan.Files.Count, bytes: plan.TotalBytes);
        var elapsed = ctx.Clock.GetElapsedTime(started);
        ctx.Log.Info(plan.IsEmpty
            ? $"Discover: nothing new ({listed:N0} landed files, all processed; watermark {manifest.Watermark?.ToString("u") ?? "none"}) in {elapsed.TotalSeconds:F2} s"
            : $"Discover: {(scope is null ? "" : scope.Describe() + ": ")}{plan.Files.Count:N0} file(s) to process, {plan.TotalBytes:N0} bytes ({plan.Files.Count(f => f.PreviousETag is not null)} re-uploaded) of {listed:N0} landed; batch {plan.BatchId} in {elapsed.TotalSeconds:F2} s");
        return plan;
    }

    /// <summary>The landed event file versions the manifest has not processed, and how many event files are landed.</summary>
    public static async Task<(List<PlannedFile> Pending, int Landed)> FindPendingAsync(
        PipelineContext ctx, HighWatermarkManifest manifest, CancellationToken ct)
    {
        var files = new List<PlannedFile>();
        var landed = 0;
        var startAfter = ListingStart(manifest, ctx.LookbackDays);
        if (startAfter is not null) ctx.Log.Diagnostic($"listing from {startAfter}/ ({ctx.LookbackDays} day(s) before the newest processed folder)");
        await foreach (var obj in ctx.Landing.ListAsync(EventsPrefix, startAfter, ct))
        {
            if (!IsEventFile(obj.Key))
            {
                ctx.Log.Diagnostic($"ignored {obj.Key} (not events/YYYY-MM-DD/*.json)");
                continue;
            }
            landed++;
            if (manifest.IsProcessed(obj)) continue;
            var previous = manifest.Files.TryGetValue(obj.Key, out var seen) ? seen.ETag : null;
            files.Add(new PlannedFile(obj.Key, obj.ETag, obj.Size, obj.LastModified, previous));
            ctx.Log.Diagnostic(previous is null ? $"new {obj.Key} ({obj.Size:N0} bytes)" : $"re-uploaded {obj.Key} ({obj.Size:N0} bytes)");
        }
        return (files, landed);
    }

    /// <summary>
    /// A backfill's files: every landed event file of the scope's date folders (all folders for a full refresh),
    /// processed before or not, and how many event files are landed in the listed folders.
    /// </summary>
    public static async Task<(List<PlannedFile> Files, int Landed)> FindInScopeAsync(
        PipelineContext ctx, HighWatermarkManifest manifest, RebuildScope scope, CancellationToken ct)
    {
        if (!scope.FullRefresh && (scope.From is not { } from || scope.To is not { } to || from > to))
            throw new ConfigurationException($"A backfill needs --from=YYYY-MM-DD and --to=YYYY-MM-DD with from <= to (got {scope.From:yyyy-MM-dd}..{scope.To:yyyy-MM-dd}), or --full-refresh.");
        var files = new List<PlannedFile>();
        var startAfter = scope.FullRefresh ? null : $"{EventsPrefix}{scope.From:yyyy-MM-dd}"; // every key of that folder sorts after it
        await foreach (var obj in ctx.Landing.ListAsync(EventsPrefix, startAfter, ct))
        {
            if (FolderDate(obj.Key) is not { } folder) continue;
            if (!scope.Contains(folder))
            {
                if (!scope.FullRefresh && folder > scope.To) break; // keys sort by date
                continue;
            }
            var previous = manifest.Files.TryGetValue(obj.Key, out var seen) ? seen.ETag : null;
            files.Add(new PlannedFile(obj.Key, obj.ETag, obj.Size, obj.LastModified, previous));
            ctx.Log.Diagnostic($"{scope.Describe()}: {obj.Key} ({obj.Size:N0} bytes{(previous is null ? ", not processed before" : "")})");
        }
        return (files, files.Count);
    }

    /// <summary>
    /// Where listing starts: the date folder <paramref name="lookbackDays"/> days before the newest folder the
    /// manifest has processed (keys sort by date, so every later folder is listed), or null for a full listing.
    /// </summary>
    public static string? ListingStart(HighWatermarkManifest manifest, int lookbackDays)
    {
        DateOnly? newest = null;
        foreach (var key in manifest.Files.Keys)
            if (FolderDate(key) is { } d && (newest is null || d > newest)) newest = d;
        return newest is { } n ? $"{EventsPrefix}{n.AddDays(-lookbackDays):yyyy-MM-dd}" : null;
    }

    /// <summary>The date of an event file's folder, or null when the key is not an event file.</summary>
    public static DateOnly? FolderDate(string key)
    {
        var m = EventKeyPattern().Match(key);
        return m.Success && DateOnly.TryParseExact(m.Groups[1].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
    }

    private static async Task<BatchPlan?> TryLoad(string path)
    {
        try { return await BatchPlan.LoadAsync(path); }
        catch (Exception e) when (e is PipelineStateException or System.Text.Json.JsonException) { return null; }
    }
}
