using Highwater.Tests.Support;
using CsCheck;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Xunit;

namespace Highwater.Tests.Stages;

public sealed class DailyKpiTests
{
    private static readonly DateTime T0 = new(2026, 1, 25, 8, 0, 0, DateTimeKind.Utc);
    private static int _next;

    private static MartRecord Row(long user, int? qty, decimal? total, string? country = "DE", string? segment = "retail", string? currency = "EUR") =>
        new($"O-{Interlocked.Increment(ref _next)}", user, T0, T0.AddMinutes(5), qty, qty is null || total is null ? null : total / Math.Max(qty.Value, 1),
            total, currency, "SKU-1", "web", country, segment, null, "events/2026-01-25/a.json");

    [Fact]
    public void Empty_partition_has_no_kpi_rows()
    {
        Assert.Empty(DeclaredKpi.Rows([]));
    }

    [Fact]
    public void One_group_counts_orders_units_revenue_buyers_and_average()
    {
        var kpi = Assert.Single(DeclaredKpi.Rows([
            Row(1001, 2, 39.98m),
            Row(1002, 1, 19.99m),
            Row(1001, 3, 16.50m),
        ]));

        Assert.Equal(new DeclaredKpi.Row("DE", "retail", "EUR", Orders: 3, Units: 6, Revenue: 76.47m, Buyers: 2, AvgOrderValue: 25.49m), kpi);
    }

    [Fact]
    public void Groups_by_country_segment_and_currency_in_ordinal_order_nulls_first()
    {
        var kpis = DeclaredKpi.Rows([
            Row(1, 1, 1.00m, "FR", "retail", "EUR"),
            Row(2, 1, 2.00m, "DE", "retail", "USD"),
            Row(3, 1, 3.00m, "DE", "retail", "EUR"),
            Row(4, 1, 4.00m, "DE", "b2b", "EUR"),
            Row(5, 1, 5.00m, null, null, "EUR"),
            Row(6, 1, 6.00m, "DE", "retail", "EUR"),
            Row(7, 1, 7.00m, "de", "retail", "EUR"),
        ]);

        Assert.Equal(
            [(null, null, "EUR", 1L, 5.00m), ("DE", "b2b", "EUR", 1, 4.00m), ("DE", "retail", "EUR", 2, 9.00m),
             ("DE", "retail", "USD", 1, 2.00m), ("FR", "retail", "EUR", 1, 1.00m), ("de", "retail", "EUR", 1, 7.00m)],
            kpis.Select(k => (k.Country, k.Segment, k.Currency, k.Orders, k.Revenue)));
    }

    [Fact]
    public void Distinct_buyers_per_group()
    {
        var kpis = DeclaredKpi.Rows([
            Row(1001, 1, 1m), Row(1001, 1, 1m), Row(1001, 1, 1m), Row(1002, 1, 1m),
            Row(1001, 1, 1m, currency: "USD"),
        ]);

        Assert.Equal([2L, 1L], kpis.Select(k => k.Buyers));
        Assert.Equal([4L, 1L], kpis.Select(k => k.Orders));
    }

    [Theory]
    [InlineData("0.01", "0.04", "0.03")]     // 0.025 -> 0.03 (banker's rounding would give 0.02)
    [InlineData("0.05", "0.10", "0.08")]     // 0.075 -> 0.08
    [InlineData("-0.01", "-0.04", "-0.03")]  // half away from zero for negatives too
    [InlineData("10.00", "0.01", "5.01")]    // 5.005 -> 5.01
    [InlineData("1.00", "1.01", "1.01")]     // 1.005 -> 1.01
    public void Average_order_value_rounds_half_away_from_zero(string a, string b, string expected)
    {
        var kpi = Assert.Single(DeclaredKpi.Rows([Row(1, 1, decimal.Parse(a)), Row(2, 1, decimal.Parse(b))]));

        Assert.Equal(decimal.Parse(expected), kpi.AvgOrderValue);
    }

    [Fact]
    public void Average_of_thirds_rounds_to_two_places()
    {
        var kpi = Assert.Single(DeclaredKpi.Rows([Row(1, 1, 10.00m), Row(2, 1, 10.00m), Row(3, 1, 0.00m)]));

        Assert.Equal(6.67m, kpi.AvgOrderValue);
        Assert.Equal(20.00m, kpi.Revenue);
    }

    [Fact]
    public void Null_qty_and_null_total_price_count_as_zero_but_the_order_counts()
    {
        var kpi = Assert.Single(DeclaredKpi.Rows([
            Row(1, null, null),
            Row(2, 4, null),
            Row(3, null, 10.00m),
            Row(4, 2, 5.00m),
        ]));

        Assert.Equal(4, kpi.Orders);
        Assert.Equal(6, kpi.Units);
        Assert.Equal(15.00m, kpi.Revenue);
        Assert.Equal(3.75m, kpi.AvgOrderValue);
        Assert.Equal(4, kpi.Buyers);
    }

    [Fact]
    public void Group_of_only_null_totals_has_zero_revenue_and_average()
    {
        var kpi = Assert.Single(DeclaredKpi.Rows([Row(1, null, null), Row(1, null, null)]));

        Assert.Equal((2L, 0L, 0m, 1L, 0m), (kpi.Orders, kpi.Units, kpi.Revenue, kpi.Buyers, kpi.AvgOrderValue));
    }

    [Fact]
    public void Property_group_totals_add_up_to_the_partition()
    {
        var gen = Gen.Select(
            Gen.Long[1, 8], Gen.Int[0, 5], Gen.Bool, Gen.Int[0, 100_000], Gen.Bool,
            Gen.OneOf<string?>(null, "DE", "FR"), Gen.OneOf<string?>("EUR", "USD"),
            (user, qty, qtyNull, cents, totalNull, country, currency) =>
                Row(user, qtyNull ? null : qty, totalNull ? null : cents / 100m, country, "retail", currency)).List[0, 40];

        gen.Sample(rows =>
        {
            var kpis = DeclaredKpi.Rows(rows);

            Assert.Equal(rows.Count, kpis.Sum(k => k.Orders));
            Assert.Equal(rows.Sum(r => (long)(r.Qty ?? 0)), kpis.Sum(k => k.Units));
            Assert.Equal(rows.Sum(r => r.TotalPrice ?? 0m), kpis.Sum(k => k.Revenue));
            Assert.Equal(kpis.Count, kpis.Select(k => (k.Country, k.Segment, k.Currency)).Distinct().Count());
            foreach (var k in kpis)
            {
                Assert.InRange(k.Buyers, 1, k.Orders);
                var group = rows.Where(r => (r.Country, r.Segment, r.Currency) == (k.Country, k.Segment, k.Currency)).ToList();
                Assert.Equal(group.Select(r => r.UserId).Distinct().Count(), k.Buyers);
                Assert.Equal(group.Count, k.Orders);
                Assert.True(Math.Abs(k.AvgOrderValue * k.Orders - k.Revenue) <= 0.005m * k.Orders, $"{k}");
                Assert.True(k.AvgOrderValue.Scale <= 2, $"{k}");
            }
        }, iter: 300);
    }

    [Fact]
    public void Property_equal_values_are_one_group_whether_or_not_they_are_the_same_instance()
    {
        // Groups are found by the instances of their strings first: copies of a value, and more distinct groups than the
        // lookup table starts with, must still give one KPI row per ordinal (country, segment, currency).
        string? Copy(string? s, bool copy) => s is null || !copy ? s : new string(s.AsSpan());
        var gen = Gen.Select(Gen.Int[0, 40], Gen.Int[0, 3], Gen.Int[0, 2], Gen.Bool, Gen.Long[1, 30],
            (country, segment, currency, copy, user) => Row(user, 1, 1m,
                Copy(country == 0 ? null : $"C{country}", copy), Copy(segment == 0 ? null : $"S{segment}", !copy), Copy($"X{currency}", copy))).List[0, 400];

        gen.Sample(rows =>
        {
            var kpis = DeclaredKpi.Rows(rows);

            var expected = rows.GroupBy(r => (r.Country, r.Segment, r.Currency))
                .Select(g => (g.Key.Country, g.Key.Segment, g.Key.Currency, (long)g.Count(), (long)g.Select(r => r.UserId).Distinct().Count()))
                .OrderBy(k => k.Country, StringComparer.Ordinal).ThenBy(k => k.Segment, StringComparer.Ordinal).ThenBy(k => k.Currency, StringComparer.Ordinal);
            Assert.Equal(expected, kpis.Select(k => (k.Country, k.Segment, k.Currency, k.Orders, k.Buyers)));
        }, iter: 300);
    }

    [Fact]
    public void Property_distinct_buyers_of_any_user_ids()
    {
        // Any long is a user_id, long.MinValue (the empty mark of the counting set) and repeats among many ids included.
        var id = Gen.OneOf(Gen.Long, Gen.Long[-50, 50], Gen.Const(long.MinValue), Gen.Const(long.MaxValue), Gen.Long[0, 5000].Select(x => x << 40));
        id.Array[0, 3000].Sample(users =>
        {
            var kpis = DeclaredKpi.Rows(users.Select(u => Row(u, 1, 1m)).ToList());

            Assert.Equal(users.Distinct().LongCount(), kpis.SingleOrDefault()?.Buyers ?? 0);
        }, iter: 200);
    }

    [Fact]
    public void Keys_with_more_combinations_than_the_flat_table_still_give_one_row_per_group()
    {
        // 211 countries x 199 segments x 31 currencies (each + null) is more than the 2^20 slots of the flat table, so
        // groups are found through the per-key-column maps.
        var rows = Enumerable.Range(0, 6000).Select(i => Row(i % 977, i % 4, i % 7 * 1.25m,
            i % 211 == 0 ? null : $"C{i % 211}", $"S{i % 199}", i % 31 == 3 ? null : $"X{i % 31}")).ToList();

        var kpis = DeclaredKpi.Rows(rows);

        var expected = rows.GroupBy(r => (r.Country, r.Segment, r.Currency))
            .Select(g => (g.Key.Country, g.Key.Segment, g.Key.Currency, (long)g.Count(), g.Sum(r => (long)(r.Qty ?? 0)), g.Sum(r => r.TotalPrice ?? 0m),
                (long)g.Select(r => r.UserId).Distinct().Count()))
            .OrderBy(k => k.Country, StringComparer.Ordinal).ThenBy(k => k.Segment, StringComparer.Ordinal).ThenBy(k => k.Currency, StringComparer.Ordinal);
        Assert.True(kpis.Count > 5000, $"{kpis.Count} groups");
        Assert.Equal(expected, kpis.Select(k => (k.Country, k.Segment, k.Currency, k.Orders, k.Units, k.Revenue, k.Buyers)));
    }
}
