using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Tests.Support;

/// <summary>The KPIs as the repository's data-contracts/kpi_daily.yaml declares them, as Transform and the gate compute them.</summary>
public static class DeclaredKpi
{
    public static readonly DailyKpi Instance = DailyKpi.From(ContractLoader.LoadAll(RepoRoot.Combine("data-contracts")));

    /// <summary>One row of the shipped kpi_daily, read from the computed table by column name.</summary>
    public sealed record Row(string? Country, string? Segment, string? Currency, long Orders, long Units, decimal Revenue, long Buyers, decimal AvgOrderValue);

    /// <summary>The shipped KPIs of <paramref name="partition"/>, a row per group.</summary>
    public static List<Row> Rows(IEnumerable<MartRecord> partition) => Rows(Instance.Compute(partition));

    public static List<Row> Rows(KpiTable t)
    {
        var (country, segment, currency) = (t.Strings("country"), t.Strings("segment"), t.Strings("currency"));
        var (orders, units, buyers) = (t.Int64s("orders"), t.Int64s("units"), t.Int64s("buyers"));
        var (revenue, average) = (t.Decimals("revenue"), t.Decimals("avg_order_value"));
        return Enumerable.Range(0, t.Count).Select(g => new Row(country[g], segment[g], currency[g], orders[g], units[g],
            revenue[g] ?? throw new InvalidOperationException("revenue is null"), buyers[g],
            average[g] ?? throw new InvalidOperationException("avg_order_value is null"))).ToList();
    }
}
