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
/// event_ts. The order index (<see cref="OrderIndex"/>) then decides, one touched bucket at a time, which
/// version of each order wins and in which partition it lives; every partition that gains or loses a row
/// (in any day, not only the batch's) is rebuilt with its daily KPIs in the work area, together with the
/// rewritten index buckets. A backfill's scope retracts the reprocessed files' earlier rows; a full refresh
/// starts from nothing. Nothing is written to the warehouse here.
/// </summary>
public static class TransformStage
{
    public const string MartDataset = "sales_mart";
    public const string KpiDataset = "kpi_daily";

    public static async Task<TransformSummary?> RunAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        if (await BatchStage.Transform.OpenAsync(ctx) is not { } plan) return null;

        var started = ctx.Clock.GetTimestamp();
        ctx.Work.ClearStamp(StageNames.Gate);
        ctx.Work.ClearStamp(StageNames.Publish);
        var manifest = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct);
        EnsureManifestUnchanged(plan, manifest, ctx);
        var users = await UserDimension.LoadAsync(ctx.Users, ct);
        ctx.Log.Diagnostic($"user dimension: {users.Count:N0} users from {ctx.Users.Description}");

        var scope = plan.Scope;
        var fullRefresh = scope?.FullRefresh == true;
        if (!fullRefresh && manifest.Partitions(MartDataset).Count > 0 && manifest.Partitions(OrderIndex.Dataset).Count == 0)
            throw new PipelineStateException(
                $"The warehouse {ctx.Warehouse.Description} has no order index (it was published by an earlier version of highwater): " +
                "rebuild it once with ./build.sh --target=Backfill --full-refresh (or highwater discover --full-refresh, then the other stages).");

        // Join the batch; group its rows by order-index bucket, one candidate per (order_id, source file).
        var batchByBucket = new SortedDictionary<string, Dictionary<(string, string), MartRecord>>(StringComparer.Ordinal);
        var unkeyedByDt = new Dictionary<string, List<MartRecord>>(StringComparer.Ordinal);
        var contributions = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var bucketContributions = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
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
                    var dt = UtcTimestamp.FormatDate(row.Dt);
                    Add(contributions, e.SourceKey, dt);
                    if (row.OrderId is null)
                    {
                        if (!unkeyedByDt.TryGetValue(dt, out var list)) unkeyedByDt[dt] = list = [];
                        list.Add(row);
                        continue;
                    }
                    var bucket = OrderIndex.BucketOf(row.OrderId);
                    Add(bucketContributions, e.SourceKey, bucket);
                    if (!batchByBucket.TryGetValue(bucket, out var candidates)) batchByBucket[bucket] = candidates = [];
                    var key = OrderIndex.CandidateKey(row);
                    // Within one file the latest arrival wins; on a tie, the later line (rows come in line order).
                    if (!candidates.TryGetValue(key, out var held) || row.ArrivalTs >= held.ArrivalTs) candidates[key] = row;
                }
            }
        }

        // Files whose earlier rows this batch retracts: re-uploads, and every processed file a backfill reprocesses.
        var replaced = plan.Files.Where(f => scope is null ? f.PreviousETag is not null : manifest.Files.ContainsKey(f.Key))
            .Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var touchedBuckets = new SortedSet<string>(batchByBucket.Keys, StringComparer.Ordinal);
        var touched = new SortedSet<string>(unkeyedByDt.Keys, StringComparer.Ordinal);
        foreach (var key in replaced)
            if (manifest.Files.TryGetValue(key, out var earlier))
            {
                touchedBuckets.UnionWith(earlier.Buckets);
                touched.UnionWith(earlier.Partitions);
            }
        if (fullRefresh)
        {
            touchedBuckets.UnionWith(manifest.Partitions(OrderIndex.Dataset).Keys);
            touched.UnionWith(manifest.Partitions(MartDataset).Keys);
        }
        else if (scope is { From: { } from, To: { } to })
            touched.UnionWith(manifest.Partitions(MartDataset).Keys.Where(dt => DateOnly.ParseExact(dt, "yyyy-MM-dd") is var d && d >= from && d <= to));

        // The order index decides, bucket by bucket, which version of each order wins and where it lives.
        WorkArea.ResetDirectory(ctx.Work.IndexDir);
        var removed = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal); // dt -> order_ids leaving it
        var added = new Dictionary<string, List<MartRecord>>(StringComparer.Ordinal);    // dt -> winners entering it
        var buckets = new List<IndexBucketOutput>();
        var retracting = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in replaced)
            if (manifest.Files.TryGetValue(key, out var earlier)) retracting.UnionWith(earlier.Buckets);
        foreach (var bucket in touchedBuckets)
        {
            var segments = fullRefresh ? [] : manifest.PartitionFiles(OrderIndex.Dataset, bucket);
            var fresh = batchByBucket.TryGetValue(bucket, out var batchCandidates) ? batchCandidates.Values.ToList() : [];
            // Without retractions nothing held changes: the batch's candidates become a new segment, and only the
            // held candidates of the batch's own orders are read (row groups without one are not decoded).
            var append = segments.Count is > 0 and < OrderIndex.MaxSegments && fresh.Count > 0 && !retracting.Contains(bucket);
            var wanted = append ? fresh.Select(r => r.OrderId!).ToHashSet(StringComparer.Ordinal) : null;
            var old = new List<MartRecord>();
            foreach (var key in segments)
                await ReadMartFileAsync(ctx, key, old, ct, wanted is null ? null : id => id is not null && wanted.Contains(id));
            var before = OrderIndex.Winners(old);
            var candidates = old.Where(r => !replaced.Contains(r.SourceKey)).ToList();
            candidates.AddRange(fresh);
            var after = OrderIndex.Winners(candidates);
            foreach (var (orderId, was) in before)
            {
                if (after.TryGetValue(orderId, out var now) && now == was) continue;
                var dt = UtcTimestamp.FormatDate(was.Dt);
                if (!removed.TryGetValue(dt, out var set)) removed[dt] = set = new(StringComparer.Ordinal);
                set.Add(orderId);
                touched.Add(dt);
            }
            foreach (var (orderId, now) in after)
            {
                if (before.TryGetValue(orderId, out var was) && now == was) continue;
                var dt = UtcTimestamp.FormatDate(now.Dt);
                if (!added.TryGetValue(dt, out var list)) added[dt] = list = [];
                list.Add(now);
                touched.Add(dt);
            }
            var written = append ? fresh : candidates;
            string? file = null;
            if (written.Count > 0)
            {
                OrderIndex.SortCandidates(written);
                file = Path.Combine(ctx.Work.IndexDir, $"bucket={bucket}", "part.parquet");
                await WriteFileAsync(file, s => MartPartitionFile.WriteAsync(s, written));
            }
            buckets.Add(new IndexBucketOutput(bucket, written.Count, file, append));
            ctx.Log.Diagnostic(append
                ? $"order index bucket {bucket}: {fresh.Count:N0} candidates appended as segment {segments.Count + 1} ({old.Count:N0} held candidates of the same orders read)"
                : $"order index bucket {bucket}: {old.Count:N0} candidates held -> {candidates.Count:N0} (rewritten as one segment)");
        }

        WorkArea.ResetDirectory(ctx.Work.MartDir);
        WorkArea.ResetDirectory(ctx.Work.KpiDir);
        var partitions = new List<PartitionOutput>();
        var none = new HashSet<string>(StringComparer.Ordinal);
        using var progress = ctx.Log.StartProgress(ctx.Clock, "Transform", "partitions", touched.Count);
        foreach (var dt in touched)
        {
            var existing = new List<MartRecord>();
            if (!fullRefresh)
                foreach (var key in manifest.PartitionFiles(MartDataset, dt))
                    await ReadMartFileAsync(ctx, key, existing, ct);
            var incoming = added.GetValueOrDefault(dt) ?? [];
            if (unkeyedByDt.TryGetValue(dt, out var unkeyed)) incoming.AddRange(unkeyed);
            var merged = PartitionRewrite.Apply(existing, removed.GetValueOrDefault(dt) ?? none, incoming, replaced);
            string? martFile = null, kpiFile = null;
            if (merged.Count > 0)
            {
                martFile = Path.Combine(ctx.Work.MartDir, $"dt={dt}", "part.parquet");
                kpiFile = Path.Combine(ctx.Work.KpiDir, $"dt={dt}", "part.parquet");
                await WriteFileAsync(martFile, s => MartPartitionFile.WriteAsync(s, merged));
                await WriteFileAsync(kpiFile, s => KpiPartitionFile.WriteAsync(s, DailyKpi.Compute(merged)));
            }
            partitions.Add(new PartitionOutput(dt, merged.Count, existing.Count, incoming.Count, martFile, kpiFile));
            ctx.Log.Diagnostic($"dt={dt}: {existing.Count:N0} held, {removed.GetValueOrDefault(dt)?.Count ?? 0:N0} superseded, {incoming.Count:N0} new -> {merged.Count:N0} rows");
            progress.Advance(1, merged.Count);
            ctx.Faults.Reach(FaultPoints.TransformAfterPartition);
        }

        var summary = new TransformSummary
        {
            BatchId = plan.BatchId,
            BatchRows = batchRows,
            UnknownUsers = unknownUsers,
            Partitions = partitions,
            Contributions = plan.Files.ToDictionary(f => f.Key,
                f => contributions.TryGetValue(f.Key, out var p) ? p.ToList() : [], StringComparer.Ordinal),
            BucketContributions = plan.Files.ToDictionary(f => f.Key,
                f => bucketContributions.TryGetValue(f.Key, out var b) ? b.ToList() : [], StringComparer.Ordinal),
            IndexBuckets = buckets,
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

    private static void Add(Dictionary<string, SortedSet<string>> map, string key, string value)
    {
        if (!map.TryGetValue(key, out var set)) map[key] = set = new(StringComparer.Ordinal);
        set.Add(value);
    }

    private static async Task ReadMartFileAsync(PipelineContext ctx, string key, List<MartRecord> into, CancellationToken ct,
        Func<string?, bool>? keep = null)
    {
        await using var body = await ctx.Warehouse.OpenReadAsync(key, ct);
        await using var seekable = await SeekableCopy.OfAsync(body, ct);
        await MartPartitionFile.ReadAsync(seekable, $"{ctx.Warehouse.Description}/{key}", into, keep);
    }

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

    /// <summary>The order-index buckets each source file's rows went to.</summary>
    public Dictionary<string, List<string>> BucketContributions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The rewritten order-index buckets.</summary>
    public List<IndexBucketOutput> IndexBuckets { get; set; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, TransformJson.Default.TransformSummary);

    public static TransformSummary Load(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), TransformJson.Default.TransformSummary)
        ?? throw new PipelineStateException($"{path} is empty: run the Transform stage again.");
}

/// <summary>
/// One order-index bucket the batch changed: the local file of its candidate rows (null when it became empty).
/// With <see cref="Append"/> the file holds only the batch's new candidates, a segment added beside the bucket's
/// files; otherwise it holds every candidate and replaces them.
/// </summary>
public sealed record IndexBucketOutput(string Bucket, long Candidates, string? File, bool Append = false);

/// <summary>
/// One rebuilt partition. <see cref="MartFile"/> is null when the partition became empty
/// (its rows were superseded, or came from a re-uploaded file that no longer has rows for that day).
/// </summary>
public sealed record PartitionOutput(string Dt, long Rows, long HeldRows, long BatchRows, string? MartFile, string? KpiFile);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TransformSummary))]
internal sealed partial class TransformJson : JsonSerializerContext;
