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
internal sealed class TransformBatch
{
    private readonly PipelineContext _ctx;
    private readonly HighWatermarkManifest _manifest;
    private readonly UserDimension _users;
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

    public TransformBatch(PipelineContext ctx, BatchPlan plan, HighWatermarkManifest manifest, UserDimension users,
        HashSet<string> replaced, HashSet<string> retracting, bool fullRefresh, SortedSet<string> touched, string spillPath)
    {
        _ctx = ctx;
        _manifest = manifest;
        _users = users;
        _replaced = replaced;
        _retracting = retracting;
        _fullRefresh = fullRefresh;
        _touched = touched;
        _planOrder = plan.Files.Select((f, i) => (f.Key, i)).ToDictionary(p => p.Key, p => p.i, StringComparer.Ordinal);
        Spill = new PartitionedSpool.Writer(spillPath);
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

    /// <summary>Rows quarantined because qty × unit_price does not fit total_price (<see cref="TotalPrice"/>).</summary>
    public long PriceOverflows => Interlocked.Read(ref _priceOverflows);

    /// <summary>Source file -> the partitions (dt) its rows went to.</summary>
    public Dictionary<string, SortedSet<string>> Contributions { get; } = new(StringComparer.Ordinal);

    /// <summary>Source file -> the order-index buckets its rows went to.</summary>
    public Dictionary<string, SortedSet<string>> BucketContributions { get; } = new(StringComparer.Ordinal);

    public List<IndexBucketOutput> IndexBuckets { get; } = [];

    /// <summary>Rows without an order_id are never superseded: each is spilled to its day as it is.</summary>
    public void JoinUnkeyed(PartitionedSpool.Reader staging)
    {
        var pool = new StringPool();
        var contributions = new HashSet<(string, int)>();
        foreach (var rows in EventStagingReader.ReadPartition(staging, EventStagingWriter.Unkeyed, pool))
        {
            var joined = new List<MartRecord>(rows.Count);
            Join(rows, joined, contributions, sources: null);
            SpillByDay(joined, Enumerable.Range(0, joined.Count).ToList());
        }
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
        foreach (var block in staging.BlocksOf(bucket))
        {
            // A block's rows are decoded and joined straight onto the candidates, then kept or dropped in place: a row
            // that only replaces an earlier candidate of its (order_id, source file) leaves a gap the next kept row closes.
            var start = fresh.Count;
            var lines = fresh.AppendStagingBlock(staging.Read(block, ref kit.Buffer), kit.Strings);
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
        var old = new List<MartRecord>();
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
                        if (OrderIndex.Beats(fresh, at, best)) best = at;
                    entering.Add(best);
                }
                var file = await WriteIndexFileAsync(bucket, fresh.Count, i => fresh.EventTs[i].Ticks, entering,
                    (s, groups) => OrderIndexSegment.Write(s, fresh, groups, kit.Block, kit.Encoder));
                AddIndexBucket(bucket, fresh.Count, file, append, fresh.Count, held: 0, segments.Count, skipped);
            }
            else
            {
                await ResolveWithHeldAsync(bucket, fresh.ToRecords(), old, append, segments.Count, skipped, kit);
            }
        }
        finally
        {
            ReturnOrderRows(byOrder);
            ReturnColumns(fresh);
            ReturnKit(kit);
        }
    }

    /// <summary>
    /// A bucket whose batch orders were held before: the order index decides against the held candidates, as records.
    /// An order whose winner is not the same row as before leaves the winner's partition, and its new winner (if any)
    /// enters its own.
    /// </summary>
    private async Task ResolveWithHeldAsync(string bucket, List<MartRecord> fresh, List<MartRecord> old, bool append, int segmentCount, int skipped, SpillKit kit)
    {
        var candidates = old.Where(r => !_replaced.Contains(r.SourceKey)).Concat(fresh).ToList();
        var leaving = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var before = OrderIndex.WinnerIndexes(old);
        var after = OrderIndex.WinnerIndexes(candidates);
        foreach (var (orderId, wasAt) in before)
        {
            var was = old[wasAt];
            if (after.TryGetValue(orderId, out var nowAt) && candidates[nowAt] == was) continue;
            var dt = UtcTimestamp.FormatDate(was.Dt);
            if (!leaving.TryGetValue(dt, out var list)) leaving[dt] = list = [];
            list.Add(orderId);
        }
        var entering = new List<int>(after.Count);
        foreach (var (orderId, nowAt) in after)
            if (!before.TryGetValue(orderId, out var wasAt) || candidates[nowAt] != old[wasAt])
                entering.Add(nowAt);
        Release(before);
        Release(after);

        var written = append ? fresh : candidates;
        // The winners among the rows written to the bucket's index file are read back from it by the partition rebuild;
        // the others (held candidates that win again after a retraction, when the batch appends) are spilled.
        var writtenFrom = ReferenceEquals(written, candidates) ? 0 : candidates.Count - written.Count;
        var spilled = new List<int>();
        var inWritten = new List<int>(entering.Count);
        foreach (var at in entering)
            if (at < writtenFrom) spilled.Add(at);
            else inWritten.Add(at - writtenFrom);
        SpillByDay(candidates, spilled);
        if (leaving.Count > 0)
            lock (_gate)
                foreach (var (dt, ids) in leaving)
                {
                    if (!_removed.TryGetValue(dt, out var set)) _removed[dt] = set = new(StringComparer.Ordinal);
                    set.UnionWith(ids);
                    _touched.Add(dt);
                }
        var file = await WriteIndexFileAsync(bucket, written.Count, i => written[i].EventTs.Ticks, inWritten,
            (s, groups) => OrderIndexSegment.Write(s, written, groups, kit.Block, kit.Encoder));
        AddIndexBucket(bucket, written.Count, file, append, fresh.Count, old.Count, segmentCount, skipped);
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
    /// the index and again for a spill. Not sorted by order_id (sorting 150k ids per bucket cost ~4 s of CPU at 10M
    /// events): the rows are in the order they were gathered (held segments in manifest order, then the batch in plan
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

    /// <summary>Rebuilds one partition: what it held, minus the orders that left it, plus what was spilled to it.</summary>
    public async Task<PartitionOutput> RebuildPartitionAsync(PartitionedSpool.Reader spilled, string dt, CancellationToken ct)
    {
        var existing = new List<MartRecord>();
        if (!_fullRefresh)
            foreach (var key in _manifest.PartitionFiles(Schemas.SalesMart.Dataset, dt))
                await ReadMartFileAsync(key, existing, ct);
        List<(string File, OrderIndexSegment.WrittenBlock Block)> winners;
        lock (_gate) winners = [.. (_winnerBlocks.GetValueOrDefault(dt) ?? []).OrderBy(b => b.File, StringComparer.Ordinal).ThenBy(b => b.Block.Offset)];
        // The partition is rebuilt as columns: its blocks decode straight into them, and its files are written from them.
        var rows = RentColumns();
        var kit = RentKit();
        foreach (var b in spilled.BlocksOf(dt)) rows.AppendBlock(spilled.Read(b, ref kit.Buffer), kit.Strings);
        foreach (var fileBlocks in winners.GroupBy(b => b.File))
        {
            using var handle = File.OpenHandle(fileBlocks.Key, FileMode.Open, FileAccess.Read, FileShare.Read);
            foreach (var (_, block) in fileBlocks)
            {
                if (!PartitionedSpool.TryReadAt(handle, block.Offset, block.Length, ref kit.Buffer))
                    throw new DataException($"{fileBlocks.Key}: the order-index file written by this Transform ends before offset {block.Offset + block.Length:N0}; run Transform again.");
                OrderIndexSegment.DecodeBlock(kit.Buffer.AsSpan(0, block.Length), rows, kit.Strings, fileBlocks.Key);
            }
        }
        ReturnKit(kit);
        HashSet<string>? removed;
        lock (_gate) removed = _removed.GetValueOrDefault(dt);
        var (heldRows, newRows) = (existing.Count, rows.Count);
        // What the partition held stays, but for the orders that left it and the unkeyed rows of replaced files.
        foreach (var row in CollectionsMarshal.AsSpan(existing))
            if (!PartitionRewrite.Leaves(row, removed ?? NoOrders, _replaced)) rows.Append(in row);
        existing.Clear();
        existing.TrimExcess();
        string? martFile = null, kpiFile = null;
        var count = rows.Count;
        try
        {
            if (count > 0)
            {
                // The rows are written through their sorted order, not moved into it.
                var order = System.Buffers.ArrayPool<int>.Shared.Rent(count);
                try
                {
                    PartitionRewrite.Order(rows, order.AsSpan(0, count));
                    martFile = Path.Combine(_ctx.Work.MartDir, $"dt={dt}", "part.parquet");
                    kpiFile = Path.Combine(_ctx.Work.KpiDir, $"dt={dt}", "part.parquet");
                    await WriteFileAsync(martFile, s => MartPartitionFile.WriteAsync(s, rows, order, _ctx.MartIntegers));
                    await WriteFileAsync(kpiFile, s => KpiPartitionFile.WriteAsync(s, DailyKpi.Compute(rows), dt));
                }
                finally
                {
                    System.Buffers.ArrayPool<int>.Shared.Return(order);
                }
            }
        }
        finally
        {
            ReturnColumns(rows);
        }
        _ctx.Log.Diagnostic($"dt={dt}: {heldRows:N0} held, {removed?.Count ?? 0:N0} superseded, {newRows:N0} new -> {count:N0} rows");
        return new PartitionOutput(dt, count, heldRows, newRows, martFile, kpiFile);
    }

    /// <summary>Writes the rows of unknown users and of a total_price beyond its type to Transform's quarantine, in plan and line order.</summary>
    public void WriteQuarantine()
    {
        using var quarantine = new QuarantineWriter(_ctx.Work.TransformQuarantine, "transform");
        foreach (var q in _quarantine.OrderBy(q => q.File).ThenBy(q => q.Line))
            quarantine.Add(q.Source, q.Line, q.Reason, q.Raw);
    }

    /// <summary>
    /// The inner join on user_id of rows [from, Count) of <paramref name="rows"/>, in place: each row gets its user's
    /// country, segment and signup_date, and total_price; the rows of unknown users are set aside with the reason and
    /// the rows after them move up.
    /// </summary>
    private void Join(PartitionColumns rows, int from, ReadOnlySpan<long> lines, HashSet<(string, int)> contributions, HashSet<string> sources, SpillKit kit)
    {
        var end = rows.Count;
        kit.EnsureUserStrings(end - from);
        var (country, segment) = (kit.Country, kit.Segment);
        var (countryCodes, segmentCodes) = (kit.CountryCodes, kit.SegmentCodes);
        // A packed dimension gives the user's strings as codes: mapped to the rows' ids once per code, not per row.
        var codes = _users.Codes;
        var sourceKeys = rows.SourceKeyValues.Entries;
        var (lastSource, lastDay) = (-1, -1);
        long unknown = 0, overflows = 0;
        var kept = from;
        for (var i = from; i < end; i++)
        {
            // The users are random accesses into megabytes: ask for a later row's user now, so it is in cache by then.
            if (i + UserPrefetchDistance < end) _users.Prefetch(rows.UserId[i + UserPrefetchDistance]);
            UserRecord user = default;
            int countryCode = 0, segmentCode = 0;
            DateTime? signup = null;
            if (codes is not null
                    ? !_users.TryGetCodes(rows.UserId[i], out countryCode, out segmentCode, out signup)
                    : !_users.TryGet(rows.UserId[i], out user))
            {
                unknown++;
                var source = sourceKeys[rows.SourceKey[i]];
                lock (_gate)
                    _quarantine.Add((_planOrder.GetValueOrDefault(source, int.MaxValue), lines[i - from], source,
                        $"unknown user_id {rows.UserId[i]}: not in the user dimension", Describe(rows.OrderId.StringAt(i), rows.UserId[i], rows.EventTs[i])));
                continue;
            }
            if (!TotalPrice.TryCompute(rows.Qty[i], rows.UnitPrice[i], out var total))
            {
                overflows++;
                var source = sourceKeys[rows.SourceKey[i]];
                lock (_gate)
                    _quarantine.Add((_planOrder.GetValueOrDefault(source, int.MaxValue), lines[i - from], source,
                        TotalPrice.Reason(source, lines[i - from], rows.Qty[i]!.Value, rows.UnitPrice[i]!.Value), Describe(rows.OrderId.StringAt(i), rows.UserId[i], rows.EventTs[i])));
                continue;
            }
            if (kept != i) rows.MoveRow(i, kept);
            if (codes is not null)
            {
                countryCodes[kept - from] = countryCode;
                segmentCodes[kept - from] = segmentCode;
                rows.SignupDate[kept] = signup;
            }
            else
            {
                country[kept - from] = user.Country;
                segment[kept - from] = user.Segment;
                rows.SignupDate[kept] = user.SignupDate;
            }
            rows.TotalPrice[kept] = total;
            var day = DayNumber(rows.EventTs[kept]);
            if (rows.SourceKey[kept] != lastSource || day != lastDay)
            {
                (lastSource, lastDay) = (rows.SourceKey[kept], day);
                contributions.Add((sourceKeys[lastSource], day));
                sources.Add(sourceKeys[lastSource]);
            }
            kept++;
        }
        rows.Truncate(kept);
        if (codes is not null) rows.SetUserCodes(from, countryCodes.AsSpan(0, kept - from), segmentCodes.AsSpan(0, kept - from), codes);
        else rows.SetUserStrings(from, country.AsSpan(0, kept - from), segment.AsSpan(0, kept - from));
        Interlocked.Add(ref _batchRows, end - from);
        Interlocked.Add(ref _unknownUsers, unknown);
        Interlocked.Add(ref _priceOverflows, overflows);
    }

    /// <summary>The inner join on user_id, with total_price; rows of unknown users are set aside with the reason.</summary>
    private void Join(EventColumns rows, List<MartRecord> into, HashSet<(string, int)> contributions, HashSet<string>? sources)
    {
        string? lastSource = null;
        var lastDay = -1;
        long unknown = 0, overflows = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            // The users are random accesses into megabytes: ask for a later row's user now, so it is in cache by then.
            if (i + UserPrefetchDistance < rows.Count) _users.Prefetch(rows.UserId[i + UserPrefetchDistance]);
            if (!_users.TryGet(rows.UserId[i], out var user))
            {
                unknown++;
                var e = rows[i];
                lock (_gate)
                    _quarantine.Add((_planOrder.GetValueOrDefault(e.SourceKey, int.MaxValue), e.SourceLine, e.SourceKey,
                        $"unknown user_id {e.UserId}: not in the user dimension", Describe(e)));
                continue;
            }
            var qty = rows.Qty[i];
            var price = rows.UnitPrice[i];
            if (!TotalPrice.TryCompute(qty, price, out var total))
            {
                overflows++;
                var e = rows[i];
                lock (_gate)
                    _quarantine.Add((_planOrder.GetValueOrDefault(e.SourceKey, int.MaxValue), e.SourceLine, e.SourceKey,
                        TotalPrice.Reason(e.SourceKey, e.SourceLine, qty!.Value, price!.Value), Describe(e)));
                continue;
            }
            var row = new MartRecord(rows.OrderId[i], rows.UserId[i], rows.EventTs[i], rows.ArrivalTs[i], qty, price, total,
                rows.Currency[i], rows.Sku[i], rows.Channel[i], user.Country, user.Segment, user.SignupDate, rows.SourceKey[i]);
            var day = DayNumber(row.EventTs);
            if (!ReferenceEquals(row.SourceKey, lastSource) || day != lastDay)
            {
                contributions.Add((row.SourceKey, day));
                sources?.Add(row.SourceKey);
                (lastSource, lastDay) = (row.SourceKey, day);
            }
            into.Add(row);
        }
        Interlocked.Add(ref _batchRows, rows.Count);
        Interlocked.Add(ref _unknownUsers, unknown);
        Interlocked.Add(ref _priceOverflows, overflows);
    }

    private void AddContributions(HashSet<(string Source, int Day)> days, string? bucket, HashSet<string>? sources)
    {
        var dts = days.Select(d => (d.Source, Dt: UtcTimestamp.FormatDate(DateOnly.FromDayNumber(d.Day)))).ToList();
        lock (_gate)
        {
            foreach (var (source, dt) in dts) Add(Contributions, source, dt);
            if (bucket is not null && sources is not null)
                foreach (var source in sources) Add(BucketContributions, source, bucket);
        }
    }

    /// <summary>Spills the chosen rows to their partitions (dt), a day's rows in blocks of bounded size.</summary>
    private void SpillByDay(List<MartRecord> rows, List<int> chosen)
    {
        if (chosen.Count == 0) return;
        var span = CollectionsMarshal.AsSpan(rows);
        var byDay = new Dictionary<int, List<int>>();
        foreach (var i in chosen)
        {
            var day = DayNumber(span[i].EventTs);
            if (!byDay.TryGetValue(day, out var list)) byDay[day] = list = [];
            list.Add(i);
        }
        var kit = RentKit();
        foreach (var (day, positions) in byDay.OrderBy(d => d.Key))
        {
            var dt = UtcTimestamp.FormatDate(DateOnly.FromDayNumber(day));
            for (var from = 0; from < positions.Count; from += SpillBlockRows)
            {
                var n = Math.Min(SpillBlockRows, positions.Count - from);
                kit.Block.Encode(kit.Encoder, rows, CollectionsMarshal.AsSpan(positions).Slice(from, n));
                Spill.Append(dt, kit.Encoder.Written, n);
            }
            lock (_gate) _touched.Add(dt);
        }
        ReturnKit(kit);
    }

    /// <summary>
    /// The buffers one worker uses to spill or read back a block: large (a block of wide rows), so they are
    /// reused across buckets and partitions instead of being allocated on the large-object heap each time.
    /// </summary>
    private sealed class SpillKit
    {
        public readonly MartRowBlock Block = new();
        public readonly ColumnBlockWriter Encoder = new();
        public readonly StringPool Strings = new();
        public byte[] Buffer = [];

        /// <summary>A staging block's users' country and segment (as strings, or as a packed dimension's codes), before they become the rows' ids.</summary>
        public string?[] Country = [], Segment = [];
        public int[] CountryCodes = [], SegmentCodes = [];

        public void EnsureUserStrings(int n)
        {
            if (Country.Length >= n) return;
            Country = new string?[n];
            Segment = new string?[n];
            CountryCodes = new int[n];
            SegmentCodes = new int[n];
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentBag<SpillKit> _kits = [];

    private SpillKit RentKit() => _kits.TryTake(out var kit) ? kit : new SpillKit();

    /// <summary>Order-id tables of a bucket, reused by the next one (a table of 150k ids is ~2 MB).</summary>
    private readonly System.Collections.Concurrent.ConcurrentBag<OrderIdRows> _tables = [];

    private OrderIdRows RentOrderRows(int capacity, Utf8Column keys)
    {
        var table = _tables.TryTake(out var held) ? held : new OrderIdRows();
        table.Reset(capacity, keys);
        return table;
    }

    private void ReturnOrderRows(OrderIdRows table) => _tables.Add(table);

    private void ReturnKit(SpillKit kit) => _kits.Add(kit);

    /// <summary>Partitions' columns, reused by the next partition (a day of 333k rows is ~50 MB of arrays).</summary>
    private readonly System.Collections.Concurrent.ConcurrentBag<PartitionColumns> _columns = [];

    private PartitionColumns RentColumns() => _columns.TryTake(out var columns) ? columns : new PartitionColumns();

    private void ReturnColumns(PartitionColumns columns)
    {
        columns.Clear();
        _columns.Add(columns);
    }

    private const int SpillBlockRows = 32_768;
    private const int UserPrefetchDistance = 16;
    private const int TablePrefetchDistance = 8;

    private static void Release<TKey, TValue>(Dictionary<TKey, TValue> map) where TKey : notnull
    {
        map.Clear();
        map.TrimExcess();
    }

    private static int DayNumber(DateTime utc) => (int)(utc.Ticks / TimeSpan.TicksPerDay);

    private static string Describe(EventRecord e) => Describe(e.OrderId, e.UserId, e.EventTs);

    private static string Describe(string? orderId, long userId, DateTime eventTs) =>
        $"order_id={orderId ?? "null"}, user_id={userId}, event_ts={UtcTimestamp.Format(eventTs)}";

    private static void Add(Dictionary<string, SortedSet<string>> map, string key, string value)
    {
        if (!map.TryGetValue(key, out var set)) map[key] = set = new(StringComparer.Ordinal);
        set.Add(value);
    }

    /// <summary>Reads a mart or index file; false when its order_id filter showed none of <paramref name="wanted"/> is in it.</summary>
    private async Task<bool> ReadMartFileAsync(string key, List<MartRecord> into, CancellationToken ct, Func<string?, bool>? keep = null,
        IReadOnlyCollection<string>? wanted = null)
    {
        await using var body = await _ctx.Warehouse.OpenReadAsync(key, ct);
        // Index segments are read front to back, straight from the store; Parquet (the mart, and index segments of
        // earlier versions) needs a seekable copy.
        if (OrderIndexSegment.IsSegment(key))
            return await OrderIndexSegment.ReadAsync(body, $"{_ctx.Warehouse.Description}/{key}", into, keep, wanted);
        await using var seekable = await SeekableCopy.OfAsync(body, ct);
        return await MartPartitionFile.ReadAsync(seekable, $"{_ctx.Warehouse.Description}/{key}", into, keep, wanted);
    }

    private static async Task WriteFileAsync(string path, Func<Stream, Task> write)
    {
        await using var s = WorkArea.CreateFile(path); // a fresh file: PublishMart may have hard-linked the old one
        await write(s);
        // PublishMart flushes every file Transform writes to disk before its commit: start the writing now.
        await s.FlushAsync();
        Writeback.Start(s.SafeFileHandle);
    }
}
