using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Pipeline.Discover;

/// <summary>
/// Discover: lists the landing zone's <c>events/YYYY-MM-DD/</c> folders and plans every file version
/// the manifest has not processed: new keys, late files in older folders, and re-uploads under a known
/// key (a changed version tag or size). Writes the plan and batch id to the work area; rewrites them only when
/// the batch changed (or what it notes about the landing), so later stages' stamps stay valid across reruns.
/// Which keys are event files is <see cref="EventFileRule"/>'s; which folders are listed, <see cref="LookbackWindow"/>'s.
/// Nothing listed is passed over silently: ignored keys, hidden ones, entries the store could not list and
/// future-dated folders are logged, kept in the plan (for the run report) and shown by Status.
/// </summary>
public static class DiscoverStage
{
    public const string EventsPrefix = EventFileRule.Prefix;

    /// <summary>What a listing of the landing zone found: the files to take, how many event files are landed, and the notes.</summary>
    public sealed record LandingScan(List<PlannedFile> Files, int Landed, LandingNotes Notes);

    /// <summary>True for keys of landed event files (see <see cref="EventFileRule"/>).</summary>
    public static bool IsEventFile(string key) => EventFileRule.IsEventFile(key);

    /// <summary>The date of an event file's folder, or null when the key is not an event file.</summary>
    public static DateOnly? FolderDate(string key) => EventFileRule.FolderDate(key);

    /// <param name="scope">Null for the incremental plan; a backfill range or a full refresh (see <see cref="RebuildScope"/>).</param>
    public static async Task<BatchPlan> RunAsync(PipelineContext ctx, CancellationToken ct = default, RebuildScope? scope = null)
    {
        var started = ctx.Clock.GetTimestamp();
        var manifest = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct, rebuild: scope?.FullRefresh == true);
        if (manifest.Unreadable is not null) ctx.Log.Warn($"{manifest.Unreadable}: the full refresh rebuilds the mart from the landing zone alone");
        var scan = scope is null ? await FindPendingAsync(ctx, manifest, ct) : await FindInScopeAsync(ctx, manifest, scope, ct);
        var files = scan.Files;
        var notes = scan.Notes.IsEmpty ? null : scan.Notes;
        // A contract gold/ cannot take stops a run that would write, before anything is written. With nothing new
        // nothing is written, and a no-op stays a LIST of the landing zone.
        if (files.Count > 0 || scope is not null) await SchemaEvolutionCheck.EnsureAsync(ctx, manifest, scope, ct);

        var landing = ctx.Landing.Description;
        var warehouse = ctx.Warehouse.Description;
        var batchId = BatchPlan.ComputeBatchId(landing, warehouse, manifest.Version, files, scope);
        var current = File.Exists(ctx.Work.PlanFile) ? await TryLoad(ctx.Work.PlanFile) : null;
        BatchPlan plan;
        if (current is not null && current.BatchId == batchId && ctx.Work.ReadBatchId() == batchId)
        {
            plan = current; // unchanged: keep the file (and the stages' stamps) as they are
            var before = plan.ToJson();
            plan.Notes = notes;
            if (plan.ToJson() != before) WorkArea.WriteAtomically(ctx.Work.PlanFile, plan.ToJson()); // the same batch, new notes
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
                Notes = notes,
            };
            WorkArea.WriteAtomically(ctx.Work.PlanFile, plan.ToJson());
            WorkArea.WriteAtomically(ctx.Work.BatchIdFile, batchId);
        }

        StageMetrics.Record(ctx, StageNames.Discover, plan.BatchId, started, files: plan.Files.Count, bytes: plan.TotalBytes);
        var elapsed = ctx.Clock.GetElapsedTime(started);
        if (scan.Notes.DescribeFuture() is { } future) ctx.Log.Warn($"Discover: {future}");
        if (scan.Notes.DescribeIgnored() is { } ignored) ctx.Log.Warn($"Discover: {ignored}");
        if (scan.Notes.DescribeHidden() is { } hidden) ctx.Log.Info($"Discover: {hidden}");
        ctx.Log.Info(plan.IsEmpty
            ? $"Discover: nothing new ({scan.Landed:N0} landed files, all processed; watermark {manifest.Watermark?.ToString("u") ?? "none"}) in {elapsed.TotalSeconds:F2} s"
            : $"Discover: {(scope is null ? "" : scope.Describe() + ": ")}{plan.Files.Count:N0} file(s) to process, {plan.TotalBytes:N0} bytes ({plan.Files.Count(f => f.PreviousETag is not null)} re-uploaded) of {scan.Landed:N0} landed; batch {plan.BatchId} in {elapsed.TotalSeconds:F2} s");
        return plan;
    }

    /// <summary>The landed event file versions the manifest has not processed, how many event files are landed, and the notes.</summary>
    public static async Task<LandingScan> FindPendingAsync(PipelineContext ctx, HighWatermarkManifest manifest, CancellationToken ct)
    {
        var now = ctx.Clock.GetUtcNow();
        var startAfter = LookbackWindow.ListingStart(manifest, ctx.LookbackDays, now);
        if (startAfter is not null)
            ctx.Log.Diagnostic($"listing from {startAfter}/ ({ctx.LookbackDays} day(s) before the newest processed folder not in the future)");
        return await ScanAsync(ctx, startAfter, now, (obj, _) =>
        {
            if (manifest.IsProcessed(obj)) return ScanVerdict.Landed;
            var previous = manifest.Files.TryGetValue(obj.Key, out var seen) ? seen.ETag : null;
            ctx.Log.Diagnostic(previous is null ? $"new {obj.Key} ({obj.Size:N0} bytes)" : $"re-uploaded {obj.Key} ({obj.Size:N0} bytes)");
            return ScanVerdict.Take(previous);
        }, ct);
    }

    /// <summary>
    /// A backfill's files: every landed event file of the scope's date folders (all folders for a full refresh),
    /// processed before or not, how many event files are landed in the listed folders, and the notes.
    /// </summary>
    public static async Task<LandingScan> FindInScopeAsync(PipelineContext ctx, HighWatermarkManifest manifest, RebuildScope scope, CancellationToken ct)
    {
        if (!scope.FullRefresh && (scope.From is not { } from || scope.To is not { } to || from > to))
            throw new ConfigurationException($"A backfill needs --from=YYYY-MM-DD and --to=YYYY-MM-DD with from <= to (got {scope.From:yyyy-MM-dd}..{scope.To:yyyy-MM-dd}), or --full-refresh.");
        var startAfter = scope.FullRefresh ? null : $"{EventsPrefix}{scope.From:yyyy-MM-dd}"; // every key of that folder sorts after it
        var scan = await ScanAsync(ctx, startAfter, ctx.Clock.GetUtcNow(), (obj, folder) =>
        {
            if (!scope.Contains(folder)) return !scope.FullRefresh && folder > scope.To ? ScanVerdict.Stop : ScanVerdict.Skip; // keys sort by date
            var previous = manifest.Files.TryGetValue(obj.Key, out var seen) ? seen.ETag : null;
            ctx.Log.Diagnostic($"{scope.Describe()}: {obj.Key} ({obj.Size:N0} bytes{(previous is null ? ", not processed before" : "")})");
            return ScanVerdict.Take(previous);
        }, ct);
        return scan with { Landed = scan.Files.Count };
    }

    private enum ScanAction { Landed, Skip, Stop, Take }

    /// <summary>What a scan does with one event file: count it as landed (processed), skip it, stop listing, or take it.</summary>
    private readonly record struct ScanVerdict(ScanAction Action, string? PreviousETag)
    {
        public static readonly ScanVerdict Landed = new(ScanAction.Landed, null), Skip = new(ScanAction.Skip, null), Stop = new(ScanAction.Stop, null);
        public static ScanVerdict Take(string? previous) => new(ScanAction.Take, previous);
    }

    /// <summary>
    /// Lists <c>events/</c> after <paramref name="startAfter"/>: each event file goes to <paramref name="decide"/>; every
    /// other key, every entry the store could not list and every future-dated folder is noted.
    /// </summary>
    private static async Task<LandingScan> ScanAsync(PipelineContext ctx, string? startAfter, DateTimeOffset now,
        Func<StoredObject, DateOnly, ScanVerdict> decide, CancellationToken ct)
    {
        var files = new List<PlannedFile>();
        var notes = new LandingNotes();
        var unlisted = new List<UnlistedEntry>();
        var future = new SortedDictionary<DateOnly, int>();
        var landed = 0;
        await foreach (var obj in ctx.Landing.ListAsync(EventsPrefix, startAfter, ct, unlisted))
        {
            var verdict = EventFileRule.Classify(obj.Key);
            if (verdict.Kind != LandedKind.EventFile)
            {
                if (verdict.Kind == LandedKind.Hidden) notes.Hide(obj.Key, verdict.Reason!);
                else notes.Ignore(obj.Key, verdict.Reason!);
                ctx.Log.Diagnostic($"ignored {obj.Key}: {verdict.Reason}");
                continue;
            }
            var decision = decide(obj, verdict.Folder);
            if (decision.Action == ScanAction.Stop) break;
            if (decision.Action == ScanAction.Skip) continue;
            landed++;
            if (LookbackWindow.IsFuture(verdict.Folder, now)) future[verdict.Folder] = future.GetValueOrDefault(verdict.Folder) + 1;
            if (decision.Action == ScanAction.Take) files.Add(new PlannedFile(obj.Key, obj.ETag, obj.Size, obj.LastModified, decision.PreviousETag));
        }
        foreach (var entry in unlisted)
        {
            if (EventFileRule.Classify(entry.Key.TrimEnd('/')).Kind == LandedKind.Hidden) notes.Hide(entry.Key, entry.Reason);
            else notes.Ignore(entry.Key, entry.Reason);
        }
        var latest = LookbackWindow.LatestExpected(now);
        notes.FutureFolders = future.Select(f => new FutureFolder($"{EventsPrefix}{f.Key:yyyy-MM-dd}/", f.Value, latest)).ToList();
        return new LandingScan(files, landed, notes);
    }

    private static async Task<BatchPlan?> TryLoad(string path)
    {
        try { return await BatchPlan.LoadAsync(path); }
        catch (Exception e) when (e is PipelineStateException or System.Text.Json.JsonException) { return null; }
    }
}
