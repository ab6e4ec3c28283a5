using Highwater.Model;

namespace Highwater.Stages;

/// <summary>
/// Merges a batch's rows into what a partition already held: rows of replaced source files (re-uploads)
/// are removed, then one row per order_id is kept — the one with the latest arrival_ts; on a tie the
/// batch's row wins. Rows with a null order_id cannot be matched and are all kept (the quality gate
/// rejects them). The result is sorted by event_ts, order_id and source_key, so the same input always
/// gives the same file content.
/// </summary>
public static class PartitionMerge
{
    public static List<MartRecord> Merge(IEnumerable<MartRecord> existing, IEnumerable<MartRecord> batch, IReadOnlySet<string> replacedSources)
    {
        var byOrder = new Dictionary<string, MartRecord>(StringComparer.Ordinal);
        var unkeyed = new List<MartRecord>();
        foreach (var row in existing)
            if (!replacedSources.Contains(row.SourceKey)) Add(row);
        foreach (var row in batch) Add(row);

        var merged = new List<MartRecord>(byOrder.Count + unkeyed.Count);
        merged.AddRange(byOrder.Values);
        merged.AddRange(unkeyed);
        merged.Sort(static (a, b) =>
        {
            var c = a.EventTs.CompareTo(b.EventTs);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.OrderId, b.OrderId);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.SourceKey, b.SourceKey);
            return c != 0 ? c : a.ArrivalTs.CompareTo(b.ArrivalTs);
        });
        return merged;

        void Add(MartRecord row)
        {
            if (row.OrderId is null)
            {
                unkeyed.Add(row);
                return;
            }
            if (!byOrder.TryGetValue(row.OrderId, out var held) || row.ArrivalTs >= held.ArrivalTs)
                byOrder[row.OrderId] = row;
        }
    }
}

/// <summary>
/// Applies the order index's verdict to one partition: rows whose order_id no longer wins here are removed
/// (they lost to a later arrival, possibly in another partition, or their source file was replaced), the
/// new winners that belong here are added, and rows without an order_id from replaced files are dropped.
/// The result is sorted like <see cref="PartitionMerge"/>'s.
/// </summary>
public static class PartitionRewrite
{
    public static List<MartRecord> Apply(IEnumerable<MartRecord> existing, IReadOnlySet<string> removedOrders,
        IEnumerable<MartRecord> added, IReadOnlySet<string> replacedSources)
    {
        var rows = new List<MartRecord>();
        foreach (var row in existing)
        {
            if (row.OrderId is null ? replacedSources.Contains(row.SourceKey) : removedOrders.Contains(row.OrderId)) continue;
            rows.Add(row);
        }
        rows.AddRange(added);
        rows.Sort(static (a, b) =>
        {
            var c = a.EventTs.CompareTo(b.EventTs);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.OrderId, b.OrderId);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.SourceKey, b.SourceKey);
            return c != 0 ? c : a.ArrivalTs.CompareTo(b.ArrivalTs);
        });
        return rows;
    }
}
