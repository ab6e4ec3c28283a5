using CsCheck;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Transform;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>
/// The rules that decide which row of an order survives (<see cref="OrderWinner.Winners"/>) and how a
/// partition is rewritten from that verdict (<see cref="PartitionRewrite.Apply"/>), as properties over
/// random candidates with many ties.
/// </summary>
public sealed class OrderWinnerTests
{
    private static readonly DateTime T0 = new(2026, 1, 25, 8, 0, 0, DateTimeKind.Utc);

    private static MartRecord Row(string? orderId, int eventMinute, int arrivalMinute, string source, int qty = 1) =>
        new(orderId, 1001, T0.AddMinutes(eventMinute), T0.AddMinutes(arrivalMinute), qty, 1.00m, qty * 1.00m,
            "EUR", "SKU-1", "web", "DE", "retail", null, source);

    private static readonly Gen<MartRecord> GenRow = Gen.Select(
        Gen.OneOf<string?>(null, "O-1", "O-2", "O-3", "O-4"),
        Gen.Int[0, 3],   // small ranges make ties likely
        Gen.Int[0, 3],
        Gen.OneOf("a.json", "b.json", "c.json"),
        Gen.Int[0, 100],
        (id, ev, arr, src, qty) => Row(id, ev, arr, src, qty));

    [Fact]
    public void The_latest_arrival_wins_and_a_tie_goes_to_the_greater_source_key()
    {
        var early = Row("O-1", 0, 1, "b.json");
        var late = Row("O-1", 0, 2, "a.json");
        var tieLow = Row("O-2", 0, 1, "a.json");
        var tieHigh = Row("O-2", 0, 1, "c.json");

        var winners = MartTestRows.Winners([late, early, tieHigh, tieLow]);

        Assert.Equal(late, winners["O-1"]);
        Assert.Equal(tieHigh, winners["O-2"]);
    }

    [Fact]
    public void Property_one_winner_per_order_that_beats_every_other_candidate_whatever_the_input_order()
    {
        Gen.Select(GenRow.List[0, 30], Gen.Int).Sample((rows, seed) =>
        {
            var keyed = rows.Where(r => r.OrderId is not null).ToList();
            var winners = MartTestRows.Winners(keyed);

            Assert.Equal(keyed.Select(r => r.OrderId).Distinct().Order(StringComparer.Ordinal), winners.Keys.Order(StringComparer.Ordinal));
            foreach (var (order, winner) in winners)
                foreach (var other in keyed.Where(r => r.OrderId == order))
                    Assert.False(MartTestRows.Beats(other, winner), $"{other} beats the winner {winner}");

            var shuffled = keyed.OrderBy(_ => new Random(seed).Next()).ToList();
            var again = MartTestRows.Winners(shuffled);
            foreach (var (order, winner) in winners)
                Assert.Equal((winner.ArrivalTs, winner.SourceKey), (again[order].ArrivalTs, again[order].SourceKey));
        }, iter: 500);
    }

    [Fact]
    public void Property_a_rewrite_drops_removed_orders_and_unkeyed_rows_of_replaced_files_keeps_the_rest_and_sorts()
    {
        Gen.Select(GenRow.List[0, 25], GenRow.List[0, 10], Gen.OneOf("O-1", "O-2").List[0, 2], Gen.OneOf("a.json", "b.json").List[0, 2])
            .Sample((existing, added, removedOrders, replacedSources) =>
            {
                var removed = removedOrders.ToHashSet(StringComparer.Ordinal);
                var replaced = replacedSources.ToHashSet(StringComparer.Ordinal);
                var rows = MartTestRows.Rewrite(existing, removed, added, replaced);

                var expected = existing
                    .Where(r => r.OrderId is null ? !replaced.Contains(r.SourceKey) : !removed.Contains(r.OrderId))
                    .Concat(added).Select(r => r.ToString()).Order(StringComparer.Ordinal);
                Assert.Equal(expected, rows.Select(r => r.ToString()).Order(StringComparer.Ordinal));
                for (var i = 1; i < rows.Count; i++)
                {
                    var (a, b) = (rows[i - 1], rows[i]);
                    var c = a.EventTs.CompareTo(b.EventTs);
                    if (c == 0) c = string.CompareOrdinal(a.OrderId, b.OrderId);
                    if (c == 0) c = string.CompareOrdinal(a.SourceKey, b.SourceKey);
                    Assert.True(c <= 0, $"rows {i - 1} and {i} are out of order");
                }
            }, iter: 500);
    }
}
