using Highwater.Model;

namespace Highwater.Stages;

/// <summary>
/// The daily KPI table for one dt partition: per country, segment and currency, the number of orders,
/// units, revenue (sum of total_price), distinct buyers and average order value (revenue / orders,
/// rounded half away from zero to 2 places). Null qty or total_price count as zero.
/// </summary>
public static class DailyKpi
{
    public static List<KpiRecord> Compute(IEnumerable<MartRecord> partition)
    {
        var groups = new Dictionary<(string?, string?, string?), (long Orders, long Units, decimal Revenue, HashSet<long> Buyers)>();
        foreach (var row in partition)
        {
            var key = (row.Country, row.Segment, row.Currency);
            if (!groups.TryGetValue(key, out var g)) g = (0, 0, 0m, new HashSet<long>());
            g.Buyers.Add(row.UserId);
            groups[key] = (g.Orders + 1, g.Units + (row.Qty ?? 0), g.Revenue + (row.TotalPrice ?? 0m), g.Buyers);
        }
        return groups
            .OrderBy(g => g.Key.Item1, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Item2, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Item3, StringComparer.Ordinal)
            .Select(g => new KpiRecord(g.Key.Item1, g.Key.Item2, g.Key.Item3, g.Value.Orders, g.Value.Units, g.Value.Revenue,
                g.Value.Buyers.Count, decimal.Round(g.Value.Revenue / g.Value.Orders, Schemas.MoneyScale, MidpointRounding.AwayFromZero)))
            .ToList();
    }
}
