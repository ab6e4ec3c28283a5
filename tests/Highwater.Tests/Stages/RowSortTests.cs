using CsCheck;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Transform;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>The in-place position sort gives exactly a stable sort by key, then tie-break.</summary>
public sealed class RowSortTests
{
    private static readonly DateTime T0 = new(2026, 1, 25, 0, 0, 0, DateTimeKind.Utc);

    private static readonly Gen<MartRecord> GenRow = Gen.Select(Gen.Int[0, 5], Gen.OneOf<string?>(null, "", "a", "b", "O-0-0-1", "O-0-0-10", "O-0-0-1\0", "O-0-0-2", "O-0-0-12", "O-0-0-1x", "\uffffz"), Gen.Int[0, 1000],
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

            MartTestRows.SortByKey(sorted, (in MartRecord r) => r.EventTs.Ticks, (in MartRecord r) => OrdinalPrefix.Of(r.OrderId), (in MartRecord a, in MartRecord b) => string.CompareOrdinal(a.OrderId, b.OrderId));

            Assert.Equal(expected, sorted);
        }, iter: 500);
    }

    [Fact]
    public void Rows_spread_over_any_key_range_sort_as_a_stable_ordered_sort()
    {
        // Enough rows for the bucket pass, with keys a day apart, bunched, or at the ends of the 64-bit range.
        var gen = Gen.Select(Gen.OneOf(Gen.Long[0, TimeSpan.TicksPerDay], Gen.Long[0, 3], Gen.OneOf(Gen.Const(long.MinValue), Gen.Const(long.MaxValue), Gen.Long)),
            Gen.OneOf<string?>(null, "a", "O-0-0-1", "O-0-0-10", "O-0-0-2"), (key, id) => (key, id));
        gen.List[256, 2000].Sample(items =>
        {
            var rows = items.Select(p => new MartRecord(p.id, p.key, T0, T0, 1, null, null, null, null, null, null, null, null, "k")).ToList();
            var expected = rows.Select((r, i) => (r, i))
                .OrderBy(p => p.r.UserId).ThenBy(p => p.r.OrderId, StringComparer.Ordinal).ThenBy(p => p.i)
                .Select(p => p.r).ToList();
            var sorted = rows.ToList();

            MartTestRows.SortByKey(sorted, (in MartRecord r) => r.UserId, (in MartRecord r) => OrdinalPrefix.Of(r.OrderId), (in MartRecord a, in MartRecord b) => string.CompareOrdinal(a.OrderId, b.OrderId));

            Assert.Equal(expected, sorted);
        }, iter: 200);
    }

    [Fact]
    public void Ordinal_prefixes_never_contradict_ordinal_string_order()
    {
        var gen = Gen.OneOf<string?>(Gen.Const((string?)null), Gen.String[Gen.Char['\0', '\u0005'], 0, 10]!, Gen.String[Gen.Char.AlphaNumeric, 0, 12]!, Gen.String!);
        Gen.Select(gen, gen).Sample((a, b) =>
        {
            var byPrefix = OrdinalPrefix.Of(a).CompareTo(OrdinalPrefix.Of(b));
            if (byPrefix != 0) Assert.Equal(Math.Sign(byPrefix), Math.Sign(string.CompareOrdinal(a, b)));
            else Assert.Equal(Padded(a), Padded(b)); // equal prefixes only when the first eight units (padded with \0) are equal
        }, iter: 5000);
    }

    private static string Padded(string? s) => (s ?? "").PadRight(8, '\0')[..8];
}
