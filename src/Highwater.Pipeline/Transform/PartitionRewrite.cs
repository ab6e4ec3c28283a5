using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Transform;

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
            if (!Leaves(row, removedOrders, replacedSources)) rows.Add(row);
        return rows;
    }

    /// <summary>Whether a row the partition held leaves it: its order's winner changed, or it has no order_id and its file was replaced.</summary>
    public static bool Leaves(in MartRecord row, IReadOnlySet<string> removedOrders, IReadOnlySet<string> replacedSources) =>
        row.OrderId is null ? replacedSources.Contains(row.SourceKey) : removedOrders.Contains(row.OrderId);

    /// <summary>The positions of the rows in the partition's order (event_ts, order_id, source_key, arrival_ts, then position).</summary>
    public static void Order(List<MartRecord> rows, Span<int> order) => RowSort.Order(rows, SortKey, SortPrefix, TieBreak, order);

    /// <summary>
    /// As <see cref="Order(List{MartRecord}, Span{int})"/> for a partition held as columns: the same order, from the
    /// columns themselves (order_id compared as UTF-8 in <see cref="Utf8Ordinal"/> order, source_key by its value).
    /// </summary>
    internal static void Order(PartitionColumns rows, Span<int> order)
    {
        var n = rows.Count;
        var entries = System.Buffers.ArrayPool<RowSort.Entry>.Shared.Rent(n);
        try
        {
            for (var i = 0; i < n; i++) entries[i] = new RowSort.Entry(rows.EventTs[i].Ticks, Utf8Ordinal.Prefix(rows.OrderId[i]), i);
            RowSort.Order(entries.AsSpan(0, n), new ColumnTieBreak(rows), order);
        }
        finally
        {
            System.Buffers.ArrayPool<RowSort.Entry>.Shared.Return(entries);
        }
    }

    /// <summary><see cref="TieBreak"/> over the columns.</summary>
    private readonly struct ColumnTieBreak(PartitionColumns rows) : RowSort.ITieBreak
    {
        public int Compare(int x, int y)
        {
            var ids = rows.OrderId;
            int c;
            if (ids.IsNull(x) || ids.IsNull(y)) c = ids.IsNull(x) == ids.IsNull(y) ? 0 : ids.IsNull(x) ? -1 : 1;
            else c = Utf8Ordinal.Compare(ids[x], ids[y]);
            if (c != 0) return c;
            var (a, b) = (rows.SourceKey[x], rows.SourceKey[y]);
            if (a != b)
            {
                c = string.CompareOrdinal(PartitionColumns.Value(rows.SourceKeyValues, a), PartitionColumns.Value(rows.SourceKeyValues, b));
                if (c != 0) return c;
            }
            return rows.ArrivalTs[x].CompareTo(rows.ArrivalTs[y]);
        }
    }

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
