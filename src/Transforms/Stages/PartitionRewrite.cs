using Highwater.Model;

namespace Highwater.Stages;

/// <summary>
/// Applies the order index's verdict to one partition: rows whose order_id no longer wins here are removed
/// (they lost to a later arrival, possibly in another partition, or their source file was replaced), the
/// new winners that belong here are added, and rows without an order_id from replaced files are dropped.
/// The result is sorted by event_ts, order_id and source_key, so the same input always gives the same file content.
/// </summary>
public static class PartitionRewrite
{
    public static List<MartRecord> Apply(IEnumerable<MartRecord> existing, IReadOnlySet<string> removedOrders,
        IEnumerable<MartRecord> added, IReadOnlySet<string> replacedSources)
    {
        var rows = new List<MartRecord>(added.TryGetNonEnumeratedCount(out var more) ? more : 0);
        rows.AddRange(added);
        return ApplyInto(rows, existing, removedOrders, replacedSources);
    }

    /// <summary>
    /// As <see cref="Apply"/>, reusing <paramref name="added"/> as the result: the held rows that stay are appended
    /// to it and it is sorted in place, so a partition is in memory once (plus what it held).
    /// </summary>
    public static List<MartRecord> ApplyInto(List<MartRecord> added, IEnumerable<MartRecord> existing, IReadOnlySet<string> removedOrders,
        IReadOnlySet<string> replacedSources)
    {
        var rows = MergeInto(added, existing, removedOrders, replacedSources);
        RowSort.SortByKey(rows, SortKey, SortPrefix, TieBreak);
        return rows;
    }

    /// <summary>As <see cref="ApplyInto"/>, without sorting: the rows stay where they are and <see cref="Order"/> gives their order.</summary>
    public static List<MartRecord> MergeInto(List<MartRecord> added, IEnumerable<MartRecord> existing, IReadOnlySet<string> removedOrders,
        IReadOnlySet<string> replacedSources)
    {
        var rows = added;
        if (existing.TryGetNonEnumeratedCount(out var held)) rows.EnsureCapacity(rows.Count + held);
        foreach (var row in existing)
        {
            if (row.OrderId is null ? replacedSources.Contains(row.SourceKey) : removedOrders.Contains(row.OrderId)) continue;
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The positions of the rows in the partition's order (event_ts, order_id, source_key, arrival_ts, then position).</summary>
    public static void Order(List<MartRecord> rows, Span<int> order) => RowSort.Order(rows, SortKey, SortPrefix, TieBreak, order);

    private static readonly RowSort.Key SortKey = static (in MartRecord r) => r.EventTs.Ticks;
    private static readonly RowSort.Prefix SortPrefix = static (in MartRecord r) => OrdinalPrefix.Of(r.OrderId);
    private static readonly RowSort.Comparison TieBreak = static (in MartRecord a, in MartRecord b) =>
    {
        var c = string.CompareOrdinal(a.OrderId, b.OrderId);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.SourceKey, b.SourceKey);
        return c != 0 ? c : a.ArrivalTs.CompareTo(b.ArrivalTs);
    };
}
