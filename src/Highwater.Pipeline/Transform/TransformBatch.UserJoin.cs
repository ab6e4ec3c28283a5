using System.Runtime.InteropServices;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Transform;

/// <summary>The inner join to the user dimension on user_id, with total_price, and the quarantine of the rows it sets aside.</summary>
internal sealed partial class TransformBatch
{
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
        // total_price of the whole block first, in place: a row that moves up takes its value along (MoveRow).
        using var totals = _derived.Compute(rows, from, end - from);
        var beyond = totals.Beyond;
        var nextBeyond = 0;
        var kept = from;
        for (var i = from; i < end; i++)
        {
            var isBeyond = nextBeyond < beyond.Count && beyond[nextBeyond].Row == i - from;
            if (isBeyond) nextBeyond++;
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
            if (isBeyond)
            {
                overflows++;
                var source = sourceKeys[rows.SourceKey[i]];
                var reason = beyond[nextBeyond - 1].Reason(source, lines[i - from]);
                lock (_gate)
                    _quarantine.Add((_planOrder.GetValueOrDefault(source, int.MaxValue), lines[i - from], source,
                        reason, Describe(rows.OrderId.StringAt(i), rows.UserId[i], rows.EventTs[i])));
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
    private void SpillByDay(PartitionColumns rows, List<int> chosen, SpillKit kit)
    {
        if (chosen.Count == 0) return;
        var byDay = new Dictionary<int, List<int>>();
        foreach (var i in chosen)
        {
            var day = DayNumber(rows.EventTs[i]);
            if (!byDay.TryGetValue(day, out var list)) byDay[day] = list = [];
            list.Add(i);
        }
        foreach (var (day, positions) in byDay.OrderBy(d => d.Key))
        {
            var dt = UtcTimestamp.FormatDate(DateOnly.FromDayNumber(day));
            for (var from = 0; from < positions.Count; from += SpillBlockRows)
            {
                var n = Math.Min(SpillBlockRows, positions.Count - from);
                rows.Encode(kit.Encoder, CollectionsMarshal.AsSpan(positions).Slice(from, n));
                Spill.Append(dt, kit.Encoder.Written, n);
            }
            lock (_gate) _touched.Add(dt);
        }
    }
}
