using System.Runtime.InteropServices;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Transform;

/// <summary>
/// The working state of one Transform run, in its two passes, on rows held as columns (<see cref="PartitionColumns"/>).
/// First, bucket by bucket (independent, so several at once): join the bucket's staged rows to the users, reduce them
/// to one candidate per (order_id, source file), let the order index decide the winners, and write the bucket's index
/// file with the winners that enter a partition in blocks of their own (the few that are not in it are spilled).
/// Then, partition by partition: merge what the partition held with those blocks and the spill, minus what left it,
/// and write its mart and KPI files. Memory follows one bucket and one partition per worker, not the batch.
/// </summary>
internal sealed partial class TransformBatch
{
    private readonly PipelineContext _ctx;
    private readonly HighWatermarkManifest _manifest;
    private readonly UserDimension _users;
    private readonly DatasetColumns _mart;
    private readonly BlockColumns _staged;
    private readonly DerivedColumns _derived;
    private readonly DailyKpi _kpis;
    private readonly HashSet<string> _replaced;
    private readonly HashSet<string> _retracting;
    private readonly bool _fullRefresh;
    private readonly SortedSet<string> _touched;
    private readonly Dictionary<string, int> _planOrder;
    private readonly Lock _gate = new();
    private static readonly HashSet<string> NoOrders = new(StringComparer.Ordinal);

    private readonly Dictionary<string, HashSet<string>> _removed = new(StringComparer.Ordinal); // dt -> order_ids leaving it
    // dt -> the blocks of the local index files that hold winners entering it (see ResolveBucketAsync)
    private readonly Dictionary<string, List<(string File, OrderIndexSegment.WrittenBlock Block)>> _winnerBlocks = new(StringComparer.Ordinal);
    private readonly List<(int File, long Line, string Source, string Reason, string Raw)> _quarantine = [];
    private long _batchRows, _unknownUsers, _priceOverflows;

    /// <param name="mart">The mart's columns, as its contract declares them: what rows are held, spilled and written as.</param>
    /// <param name="staged">The staging spool's columns.</param>
    public TransformBatch(PipelineContext ctx, BatchPlan plan, HighWatermarkManifest manifest, UserDimension users, DatasetColumns mart, BlockColumns staged,
        DerivedColumns derived, DailyKpi kpis, HashSet<string> replaced, HashSet<string> retracting, bool fullRefresh, SortedSet<string> touched,
        string spillPath)
    {
        _mart = mart;
        _staged = PartitionColumns.StagedOf(mart.Blocks, staged);
        _ctx = ctx;
        _manifest = manifest;
        _users = users;
        _derived = derived;
        _kpis = kpis;
        _replaced = replaced;
        _retracting = retracting;
        _fullRefresh = fullRefresh;
        _touched = touched;
        _planOrder = plan.Files.Select((f, i) => (f.Key, i)).ToDictionary(p => p.Key, p => p.i, StringComparer.Ordinal);
        Spill = new PartitionedSpool.Writer(spillPath, mart.Blocks);
    }

    /// <summary>Winners on their way to their partitions: one spool partition per dt.</summary>
    public PartitionedSpool.Writer Spill { get; }

    public long BatchRows => Interlocked.Read(ref _batchRows);

    /// <summary>Winners entering a partition that pass 2 reads back from the index files written in pass 1.</summary>
    public long WinnerRowsInIndexFiles
    {
        get { lock (_gate) return _winnerBlocks.Values.Sum(blocks => blocks.Sum(b => (long)b.Block.Rows)); }
    }

    public long UnknownUsers => Interlocked.Read(ref _unknownUsers);

    /// <summary>Rows quarantined because a derived column (total_price) could not be computed or does not fit its type (<see cref="DerivedColumns"/>).</summary>
    public long PriceOverflows => Interlocked.Read(ref _priceOverflows);

    /// <summary>Source file -> the partitions (dt) its rows went to.</summary>
    public Dictionary<string, SortedSet<string>> Contributions { get; } = new(StringComparer.Ordinal);

    /// <summary>Source file -> the order-index buckets its rows went to.</summary>
    public Dictionary<string, SortedSet<string>> BucketContributions { get; } = new(StringComparer.Ordinal);

    public List<IndexBucketOutput> IndexBuckets { get; } = [];

    /// <summary>Rows without an order_id are never superseded: each is spilled to its day as it is.</summary>
    public void JoinUnkeyed(PartitionedSpool.Reader staging)
    {
        var contributions = new HashSet<(string, int)>();
        var sources = new HashSet<string>(StringComparer.Ordinal);
        var kit = RentKit();
        var rows = RentColumns();
        var plan = staging.PlanFor(rows.Staged);
        var all = new List<int>(EventStagingWriter.BlockRows);
        foreach (var block in staging.BlocksOf(EventStagingWriter.Unkeyed))
        {
            rows.Clear();
            var lines = rows.AppendStagingBlock(staging.Read(block, ref kit.Buffer), kit.Strings, plan);
            Join(rows, 0, lines, contributions, sources, kit);
            all.Clear();
            for (var i = 0; i < rows.Count; i++) all.Add(i);
            SpillByDay(rows, all, kit);
        }
        ReturnColumns(rows);
        ReturnKit(kit);
        AddContributions(contributions, bucket: null, sources: null);
    }

    /// <summary>Decides the winners of one order-index bucket, writes its index file and spills the winners that move.</summary>
    public async Task ResolveBucketAsync(PartitionedSpool.Reader staging, string bucket, CancellationToken ct)
    {
        // The batch's candidates, as columns: one per (order_id, source file); within a file the latest arrival wins, on
        // a tie the later line (rows come in line order).
        var kit = RentKit();
        var staged = (int)Math.Min(staging.RowsOf(bucket), int.MaxValue / 2);
        var fresh = RentColumns();
        // Candidates by order_id (one hash of the id's bytes per row, not of the (order_id, source) pair); an order fed
        // by several source files chains its further candidates through `next`.
        var byOrder = RentOrderRows(staged, fresh.OrderId);
        var next = new List<int>(staged);
        var contributions = new HashSet<(string, int)>();
        var sources = new HashSet<string>(StringComparer.Ordinal);
        var hashes = new int[EventStagingWriter.BlockRows];
        var plan = staging.PlanFor(fresh.Staged);
        foreach (var block in staging.BlocksOf(bucket))
        {
            // A block's rows are decoded and joined straight onto the candidates, then kept or dropped in place: a row
            // that only replaces an earlier candidate of its (order_id, source file) leaves a gap the next kept row closes.
            var start = fresh.Count;
            var lines = fresh.AppendStagingBlock(staging.Read(block, ref kit.Buffer), kit.Strings, plan);
            Join(fresh, start, lines, contributions, sources, kit);
            var end = fresh.Count;
            // The table is megabytes: hash the block's ids first, then ask for each row's slot a few rows ahead.
            if (hashes.Length < end - start) hashes = new int[end - start];
            for (var i = start; i < end; i++) hashes[i - start] = OrderIdRows.HashOf(fresh.OrderId[i]);
            var kept = start;
            for (var i = start; i < end; i++)
            {
                if (i + TablePrefetchDistance < end) byOrder.Prefetch(hashes[i + TablePrefetchDistance - start]);
                ref var first = ref byOrder.GetRowOrAdd(i, hashes[i - start], out var exists);
                var source = fresh.SourceKey[i];
                if (exists)
                {
                    var at = first;
                    while (fresh.SourceKey[at] != source && next[at] >= 0) at = next[at];
                    if (fresh.SourceKey[at] == source)
                    {
                        if (fresh.ArrivalTs[i] >= fresh.ArrivalTs[at]) fresh.MoveRow(i, at);
                        continue; // not kept: it replaced its candidate, or lost to it
                    }
                    next[at] = kept;
                }
                else
                {
                    first = kept;
                }
                if (kept != i) fresh.MoveRow(i, kept);
                next.Add(-1);
                kept++;
            }
            fresh.Truncate(kept);
        }
        AddContributions(contributions, bucket, sources);

        var segments = _fullRefresh ? [] : _manifest.PartitionFiles(OrderIndex.Dataset, bucket);
        // Without retractions nothing held changes: the batch's candidates become a new segment, and only the
        // held candidates of the batch's own orders are read (row groups without one are not decoded).
        var append = segments.Count is > 0 and < OrderIndex.MaxSegments && fresh.Count > 0 && !_retracting.Contains(bucket);
        HashSet<string>? wanted = null;
        if (append)
        {
            wanted = new HashSet<string>(byOrder.Count, StringComparer.Ordinal);
            foreach (var row in byOrder.Rows) wanted.Add(fresh.OrderId.StringAt(row)!);
        }
        var old = RentColumns();
        var skipped = 0;
        foreach (var key in segments)
            if (!await ReadMartFileAsync(key, old, ct, wanted is null ? null : id => id is not null && wanted.Contains(id), wanted))
                skipped++;
        try
        {
            if (old.Count == 0)
            {
                // Nothing held for these orders: every order's winner enters its partition and nothing leaves; the
                // candidates are written from their columns.
                var entering = new List<int>(byOrder.Count);
                foreach (var first in byOrder.Rows)
                {
                    var best = first;
                    for (var at = next[first]; at >= 0; at = next[at])
                        if (OrderWinner.Beats(fresh, at, best)) best = at;
                    entering.Add(best);
                }
                var file = await WriteIndexFileAsync(bucket, fresh.Count, i => fresh.EventTs[i].Ticks, entering,
                    (s, groups) => OrderIndexSegment.Write(s, fresh, groups, kit.Encoder));
                AddIndexBucket(bucket, fresh.Count, file, append, fresh.Count, held: 0, segments.Count, skipped);
            }
            else
            {
                await ResolveWithHeldAsync(bucket, fresh, old, append, segments.Count, skipped, kit);
            }
        }
        finally
        {
            ReturnOrderRows(byOrder);
            ReturnColumns(old);
            ReturnColumns(fresh);
            ReturnKit(kit);
        }
    }

    /// <summary>
    /// A bucket whose batch orders were held before: the order index decides between the held candidates and the batch's.
    /// An order whose winner is not the same row as before leaves the winner's partition, and its new winner (if any)
    /// enters its own.
    /// </summary>
    private async Task ResolveWithHeldAsync(string bucket, PartitionColumns fresh, PartitionColumns old, bool append, int segmentCount, int skipped, SpillKit kit)
    {
        // The candidates: the held ones whose file was not replaced, then the batch's.
        var candidates = RentColumns();
        try
        {
            for (var i = 0; i < old.Count; i++)
                if (!_replaced.Contains(old.SourceKeyAt(i))) candidates.AppendRow(old, i);
            var freshFrom = candidates.Count;
            for (var i = 0; i < fresh.Count; i++) candidates.AppendRow(fresh, i);

            var leaving = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var before = OrderWinner.WinnerIndexes(old);
            var after = OrderWinner.WinnerIndexes(candidates);
            foreach (var (orderId, wasAt) in before)
            {
                if (after.TryGetValue(orderId, out var nowAt) && candidates.RowEquals(nowAt, old, wasAt)) continue;
                var dt = UtcTimestamp.FormatDate(DateOnly.FromDateTime(old.EventTs[wasAt]));
                if (!leaving.TryGetValue(dt, out var list)) leaving[dt] = list = [];
                list.Add(orderId);
            }
            var entering = new List<int>(after.Count);
            foreach (var (orderId, nowAt) in after)
                if (!before.TryGetValue(orderId, out var wasAt) || !candidates.RowEquals(nowAt, old, wasAt))
                    entering.Add(nowAt);
            Release(before);
            Release(after);

            // The winners among the rows written to the bucket's index file are read back from it by the partition rebuild;
            // the others (held candidates that win again after a retraction, when the batch appends) are spilled.
            var (written, writtenFrom) = append ? (fresh, freshFrom) : (candidates, 0);
            var spilled = new List<int>();
            var inWritten = new List<int>(entering.Count);
            foreach (var at in entering)
                if (at < writtenFrom) spilled.Add(at);
                else inWritten.Add(at - writtenFrom);
            SpillByDay(candidates, spilled, kit);
            if (leaving.Count > 0)
                lock (_gate)
                    foreach (var (dt, ids) in leaving)
                    {
                        if (!_removed.TryGetValue(dt, out var set)) _removed[dt] = set = new(StringComparer.Ordinal);
                        set.UnionWith(ids);
                        _touched.Add(dt);
                    }
            var file = await WriteIndexFileAsync(bucket, written.Count, i => written.EventTs[i].Ticks, inWritten,
                (s, groups) => OrderIndexSegment.Write(s, written, groups, kit.Encoder));
            AddIndexBucket(bucket, written.Count, file, append, fresh.Count, old.Count, segmentCount, skipped);
        }
        finally
        {
            ReturnColumns(candidates);
        }
    }

    /// <summary>Records a bucket's index file (<paramref name="written"/> candidates) and says what became of the batch's.</summary>
    private void AddIndexBucket(string bucket, int written, string? file, bool append, int fresh, int held, int segments, int skipped)
    {
        lock (_gate) IndexBuckets.Add(new IndexBucketOutput(bucket, written, file, append));
        _ctx.Log.Diagnostic(append
            ? $"order index bucket {bucket}: {fresh:N0} candidates appended as segment {segments + 1} ({held:N0} held candidates of the same orders read; " +
              $"{skipped} of {segments} segment(s) skipped by their order_id filter)"
            : $"order index bucket {bucket}: {held:N0} candidates held -> {written:N0} (rewritten as one segment)");
    }

    /// <summary>
    /// Writes a bucket's index file of <paramref name="count"/> rows: the winners that enter a partition
    /// (<paramref name="entering"/>, positions among the rows) in blocks of their own, one group per day, then the rest;
    /// the partition rebuild reads the winners back from that file, so they are encoded and written once, not once for
    /// the index and again for a spill. Not sorted by order_id (a string sort of every bucket's ids costs more than
    /// the order buys): the rows are in the order they were gathered (held segments in manifest order, then the batch in plan
    /// and line order), but for each day's winners, which <see cref="SliceByTime"/> puts in stretches of the day; both are
    /// deterministic. Returns the file, or null when there are no rows.
    /// </summary>
    private async Task<string?> WriteIndexFileAsync(string bucket, int count, Func<int, long> eventTicksOf, List<int> entering,
        Func<Stream, IReadOnlyList<OrderIndexSegment.RowGroup>, List<OrderIndexSegment.WrittenBlock>> write)
    {
        if (count == 0) return null;
        var byDay = new SortedDictionary<int, List<int>>();
        var winner = new bool[count];
        foreach (var w in entering)
        {
            winner[w] = true;
            var day = (int)(eventTicksOf(w) / TimeSpan.TicksPerDay);
            if (!byDay.TryGetValue(day, out var list)) byDay[day] = list = [];
            list.Add(w);
        }
        foreach (var (day, positions) in byDay) SliceByTime(positions, eventTicksOf, day * TimeSpan.TicksPerDay);
        var groups = byDay.Select(d => new OrderIndexSegment.RowGroup(UtcTimestamp.FormatDate(DateOnly.FromDayNumber(d.Key)), d.Value)).ToList();
        var rest = new List<int>(count - entering.Count);
        for (var i = 0; i < count; i++)
            if (!winner[i]) rest.Add(i);
        if (rest.Count > 0) groups.Add(new OrderIndexSegment.RowGroup(null, rest));
        var path = Path.Combine(_ctx.Work.IndexDir, $"bucket={bucket}", "part" + OrderIndexSegment.Extension);
        List<OrderIndexSegment.WrittenBlock> blocks = [];
        await WriteFileAsync(path, s =>
        {
            blocks = write(s, groups);
            return Task.CompletedTask;
        });
        lock (_gate)
            foreach (var b in blocks)
            {
                if (!_winnerBlocks.TryGetValue(b.Partition, out var list)) _winnerBlocks[b.Partition] = list = [];
                list.Add((path, b));
                _touched.Add(b.Partition);
            }
        return path;
    }

    /// <summary>
    /// Puts a day's winners in order of the stretch of the day they fall in (<see cref="TimeSlices"/> slices; a stable
    /// counting sort, so still deterministic). The partition rebuild writes its rows in event_ts order, gathering each
    /// column from the blocks of every bucket: with each block in time order it reads each block front to back, a few
    /// rows at a time, instead of at random (a day's columns are tens of megabytes, past the caches).
    /// </summary>
    private static void SliceByTime(List<int> positions, Func<int, long> eventTicksOf, long dayStart)
    {
        if (positions.Count < 2 * TimeSlices) return;
        Span<int> starts = stackalloc int[TimeSlices + 1];
        starts.Clear();
        var slices = new byte[positions.Count];
        var span = CollectionsMarshal.AsSpan(positions);
        for (var i = 0; i < span.Length; i++)
        {
            var slice = (int)Math.Clamp((eventTicksOf(span[i]) - dayStart) * TimeSlices / TimeSpan.TicksPerDay, 0, TimeSlices - 1);
            slices[i] = (byte)slice;
            starts[slice + 1]++;
        }
        for (var b = 0; b < TimeSlices; b++) starts[b + 1] += starts[b];
        var sorted = new int[span.Length];
        for (var i = 0; i < span.Length; i++) sorted[starts[slices[i]]++] = span[i];
        sorted.CopyTo(span);
    }

    private const int TimeSlices = 256;
}
