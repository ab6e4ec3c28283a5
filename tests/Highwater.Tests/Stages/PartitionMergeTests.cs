using CsCheck;
using Highwater.Model;
using Highwater.Stages;
using Xunit;

namespace Highwater.Tests.Stages;

public sealed class PartitionMergeTests
{
    private static readonly DateTime T0 = new(2026, 1, 25, 8, 0, 0, DateTimeKind.Utc);
    private static readonly IReadOnlySet<string> NoneReplaced = new HashSet<string>(StringComparer.Ordinal);

    private static MartRecord Row(string? orderId, int eventMinute, int arrivalMinute, string source, int qty = 1, long user = 1001) =>
        new(orderId, user, T0.AddMinutes(eventMinute), T0.AddMinutes(arrivalMinute), qty, 1.00m, qty * 1.00m,
            "EUR", "SKU-1", "web", "DE", "retail", null, source);

    private static HashSet<string> Set(params string[] keys) => new(keys, StringComparer.Ordinal);

    [Fact]
    public void Latest_arrival_wins_whichever_side_it_is_on()
    {
        var existingNewer = Row("O-1", 0, 30, "events/2026-01-25/a.json", qty: 1);
        var batchOlder = Row("O-1", 0, 10, "events/2026-01-25/b.json", qty: 2);
        var existingOlder = Row("O-2", 0, 10, "events/2026-01-25/a.json", qty: 3);
        var batchNewer = Row("O-2", 0, 30, "events/2026-01-25/b.json", qty: 4);

        var merged = PartitionMerge.Merge([existingNewer, existingOlder], [batchOlder, batchNewer], NoneReplaced);

        Assert.Equal([existingNewer, batchNewer], merged);
    }

    [Fact]
    public void Latest_arrival_wins_within_the_batch()
    {
        var late = Row("O-1", 0, 50, "events/2026-01-25/b.json", qty: 2);
        var early = Row("O-1", 0, 20, "events/2026-01-25/c.json", qty: 3);

        Assert.Equal([late], PartitionMerge.Merge([], [late, early], NoneReplaced));
        Assert.Equal([late], PartitionMerge.Merge([], [early, late], NoneReplaced));
    }

    [Fact]
    public void On_an_arrival_tie_the_batch_row_wins()
    {
        var held = Row("O-1", 0, 30, "events/2026-01-25/a.json", qty: 1);
        var incoming = Row("O-1", 5, 30, "events/2026-01-25/b.json", qty: 9);

        var merged = PartitionMerge.Merge([held], [incoming], NoneReplaced);

        Assert.Equal([incoming], merged);
    }

    [Fact]
    public void Rows_with_null_order_id_are_all_kept()
    {
        var a = Row(null, 1, 10, "events/2026-01-25/a.json");
        var b = Row(null, 1, 10, "events/2026-01-25/a.json"); // identical, still kept
        var c = Row(null, 2, 5, "events/2026-01-25/b.json");
        var keyed = Row("O-1", 3, 5, "events/2026-01-25/b.json");

        var merged = PartitionMerge.Merge([a, b], [c, keyed], NoneReplaced);

        Assert.Equal(4, merged.Count);
        Assert.Equal(3, merged.Count(r => r.OrderId is null));
    }

    [Fact]
    public void Rows_of_replaced_source_files_are_removed()
    {
        const string reuploaded = "events/2026-01-25/a.json";
        var goneFromNewVersion = Row("O-1", 0, 50, reuploaded);
        var laterThanItsReplacement = Row("O-2", 0, 50, reuploaded, qty: 1);
        var unkeyedOld = Row(null, 0, 50, reuploaded);
        var untouched = Row("O-3", 0, 10, "events/2026-01-25/other.json");
        var replacement = Row("O-2", 0, 20, reuploaded, qty: 7);

        var merged = PartitionMerge.Merge([goneFromNewVersion, laterThanItsReplacement, unkeyedOld, untouched], [replacement], Set(reuploaded));

        Assert.Equal([replacement, untouched], merged);
    }

    [Fact]
    public void Replaced_sources_do_not_remove_batch_rows()
    {
        const string reuploaded = "events/2026-01-25/a.json";
        var incoming = Row("O-1", 0, 10, reuploaded);

        Assert.Equal([incoming], PartitionMerge.Merge([], [incoming], Set(reuploaded)));
    }

    [Fact]
    public void Output_is_sorted_by_event_ts_then_order_id_then_source_key()
    {
        var rows = new[]
        {
            Row("O-2", 5, 5, "s/a"),
            Row("O-1", 5, 5, "s/b"),
            Row(null, 5, 6, "s/b"),
            Row(null, 5, 5, "s/a"),
            Row("O-9", 1, 5, "s/z"),
            Row("O-0", 9, 5, "s/a"),
        };

        var merged = PartitionMerge.Merge(rows[..3], rows[3..], NoneReplaced);

        Assert.Equal(
            [("O-9", 1), (null, 5), (null, 5), ("O-1", 5), ("O-2", 5), ("O-0", 9)],
            merged.Select(r => (r.OrderId, r.EventTs.Minute - T0.Minute)));
        Assert.Equal([rows[3], rows[2]], merged.Where(r => r.OrderId is null)); // then by source key, then arrival
    }

    [Fact]
    public void Same_rows_in_any_input_order_give_the_same_output()
    {
        var existing = Enumerable.Range(0, 30).Select(i => Row($"O-{i % 11}", i % 7, i, $"s/e{i % 3}", qty: i)).ToList();
        var batch = Enumerable.Range(0, 20).Select(i => Row($"O-{i % 13}", i % 5, i * 2 + 1, $"s/b{i % 2}", qty: 100 + i)).ToList();

        var expected = PartitionMerge.Merge(existing, batch, NoneReplaced);
        var random = new Random(42);
        for (var i = 0; i < 5; i++)
        {
            var shuffledExisting = existing.OrderBy(_ => random.Next()).ToList();
            var shuffledBatch = batch.OrderBy(_ => random.Next()).ToList();
            Assert.Equal(expected, PartitionMerge.Merge(shuffledExisting, shuffledBatch, NoneReplaced));
        }
    }

    [Fact]
    public void Empty_inputs_give_an_empty_partition()
    {
        Assert.Empty(PartitionMerge.Merge([], [], NoneReplaced));
        Assert.Empty(PartitionMerge.Merge([Row("O-1", 0, 0, "s/a")], [], Set("s/a")));
    }

    // ---- properties ----

    private static readonly string[] ExistingSources = ["e1", "e2", "r1", "r2"];
    private static readonly string[] BatchSources = ["b1", "b2", "r1", "r2"];

    private static Gen<MartRecord> GenRow(string[] sources) =>
        Gen.Select(
            Gen.OneOf<string?>(null, "O-1", "O-2", "O-3", "O-4", "O-5", "O-6"),
            Gen.Int[0, 3],   // event minute: small ranges make ties likely
            Gen.Int[0, 4],   // arrival minute
            Gen.OneOf(sources),
            Gen.Int[0, 1000],
            (id, ev, arr, src, qty) => Row(id, ev, arr, src, qty));

    /// <summary>Existing rows, batch rows, and the replaced sources (re-uploads r1, r2 always; sometimes e2 too).</summary>
    private static readonly Gen<(List<MartRecord> Existing, List<MartRecord> Batch, HashSet<string> Replaced)> GenInput =
        Gen.Select(GenRow(ExistingSources).List[0, 25], GenRow(BatchSources).List[0, 25], Gen.Bool,
            (e, b, e2) => (e, b, e2 ? Set("r1", "r2", "e2") : Set("r1", "r2")));

    private static int Compare(MartRecord a, MartRecord b)
    {
        var c = a.EventTs.CompareTo(b.EventTs);
        if (c == 0) c = string.CompareOrdinal(a.OrderId, b.OrderId);
        if (c == 0) c = string.CompareOrdinal(a.SourceKey, b.SourceKey);
        return c != 0 ? c : a.ArrivalTs.CompareTo(b.ArrivalTs);
    }

    [Fact]
    public void Property_one_row_per_order_id_with_the_latest_arrival_and_nothing_lost()
    {
        GenInput.Sample(input =>
        {
            var (existing, batch, replaced) = input;
            var merged = PartitionMerge.Merge(existing, batch, replaced);
            var candidates = existing.Where(r => !replaced.Contains(r.SourceKey)).Concat(batch).ToList();

            var keyed = merged.Where(r => r.OrderId is not null).ToList();
            Assert.Equal(keyed.Count, keyed.Select(r => r.OrderId).Distinct().Count());
            Assert.Equal(
                candidates.Where(r => r.OrderId is not null).Select(r => r.OrderId).Distinct().Order(StringComparer.Ordinal),
                keyed.Select(r => r.OrderId).Order(StringComparer.Ordinal));
            foreach (var row in keyed)
            {
                Assert.Contains(row, candidates);
                Assert.Equal(candidates.Where(c => c.OrderId == row.OrderId).Max(c => c.ArrivalTs), row.ArrivalTs);
                var latestInBatch = batch.Where(c => c.OrderId == row.OrderId && c.ArrivalTs == row.ArrivalTs).ToList();
                if (latestInBatch.Count > 0) Assert.Equal(latestInBatch[^1], row); // a tie goes to the batch
            }

            Assert.Equal(
                candidates.Where(r => r.OrderId is null).OrderBy(r => r.ToString(), StringComparer.Ordinal),
                merged.Where(r => r.OrderId is null).OrderBy(r => r.ToString(), StringComparer.Ordinal));
            Assert.DoesNotContain(merged, r => replaced.Contains(r.SourceKey) && !batch.Contains(r));
            for (var i = 1; i < merged.Count; i++)
                Assert.True(Compare(merged[i - 1], merged[i]) <= 0, $"rows {i - 1} and {i} are out of order");
        }, iter: 500);
    }

    [Fact]
    public void Property_re_merging_the_same_batch_changes_nothing()
    {
        GenInput.Sample(input =>
        {
            var (existing, batch, replaced) = input;
            var once = PartitionMerge.Merge(existing, batch, replaced);

            // Merged again as a rerun would: the batch's own files count as replaced.
            var rerunReplaced = new HashSet<string>(replaced.Concat(batch.Select(r => r.SourceKey)), StringComparer.Ordinal);
            var twice = PartitionMerge.Merge(once, batch, rerunReplaced);
            Assert.Equal(once.OrderBy(r => r.ToString(), StringComparer.Ordinal), twice.OrderBy(r => r.ToString(), StringComparer.Ordinal));
            Assert.Equal(once.Select(r => (r.EventTs, r.OrderId, r.SourceKey, r.ArrivalTs)), twice.Select(r => (r.EventTs, r.OrderId, r.SourceKey, r.ArrivalTs)));

            // With the keyed rows only, re-merging with the same replaced set is idempotent as well.
            var keyedBatch = batch.Where(r => r.OrderId is not null).ToList();
            var keyedOnce = PartitionMerge.Merge(existing.Where(r => r.OrderId is not null), keyedBatch, replaced);
            Assert.Equal(keyedOnce, PartitionMerge.Merge(keyedOnce, keyedBatch, replaced));
        }, iter: 500);
    }
}
