using CsCheck;
using Highwater.Model;
using Highwater.Stages;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>The in-place position sort gives exactly a stable sort by key, then tie-break.</summary>
public sealed class RowSortTests
{
    private static readonly DateTime T0 = new(2026, 1, 25, 0, 0, 0, DateTimeKind.Utc);

    private static readonly Gen<MartRecord> GenRow = Gen.Select(Gen.Int[0, 5], Gen.OneOf<string?>(null, "a", "b", "c"), Gen.Int[0, 1000],
        (tick, id, qty) => new MartRecord(id, 1, T0.AddTicks(tick), T0, qty, null, null, null, null, null, null, null, null, "k"));

    [Fact]
    public void Sorting_positions_and_permuting_in_place_equals_a_stable_ordered_sort()
    {
        GenRow.List[0, 300].Sample(rows =>
        {
            var expected = rows.Select((r, i) => (r, i))
                .OrderBy(p => p.r.EventTs.Ticks).ThenBy(p => p.r.OrderId, StringComparer.Ordinal).ThenBy(p => p.i)
                .Select(p => p.r).ToList();
            var sorted = rows.ToList();

            RowSort.SortByKey(sorted, r => r.EventTs.Ticks, (in MartRecord a, in MartRecord b) => string.CompareOrdinal(a.OrderId, b.OrderId));

            Assert.Equal(expected, sorted);
        }, iter: 500);
    }
}
