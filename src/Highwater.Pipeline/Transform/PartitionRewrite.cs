using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Transform;

/// <summary>
/// Applies the order index's verdict to one partition: rows whose order_id no longer wins here are removed
/// (they lost to a later arrival, possibly in another partition, or their source file was replaced), the
/// new winners that belong here are added, and rows without an order_id from replaced files are dropped.
/// The result is sorted by event_ts, order_id and source_key, so the same input always gives the same file content.
/// </summary>
internal static class PartitionRewrite
{
    /// <summary>Whether row <paramref name="i"/>, which the partition held, leaves it: its order's winner changed, or it has no order_id and its file was replaced.</summary>
    internal static bool Leaves(PartitionColumns rows, int i, IReadOnlySet<string> removedOrders, IReadOnlySet<string> replacedSources) =>
        rows.OrderId.IsNull(i) ? replacedSources.Contains(rows.SourceKeyAt(i)) : removedOrders.Count > 0 && removedOrders.Contains(rows.OrderId.StringAt(i)!);

    /// <summary>
    /// The positions of the rows in the partition's order (event_ts, order_id, source_key, arrival_ts, then position),
    /// from the columns themselves: order_id compared as UTF-8 in <see cref="Utf8Ordinal"/> order (the order of its
    /// strings compared ordinally), source_key by its value.
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

    /// <summary>Between rows of equal event_ts and order_id prefix: order_id, source_key, then arrival_ts.</summary>
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
                c = string.CompareOrdinal(rows.SourceKeyAt(x), rows.SourceKeyAt(y));
                if (c != 0) return c;
            }
            return rows.ArrivalTs[x].CompareTo(rows.ArrivalTs[y]);
        }
    }
}
