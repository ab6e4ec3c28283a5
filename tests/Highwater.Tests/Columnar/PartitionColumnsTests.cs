using Highwater.Tests.Support;
using System.Text;
using CsCheck;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using Highwater.Pipeline.Transform;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>
/// Rows held as columns (<see cref="PartitionColumns"/>) keep their values however they arrive (decoded from blocks,
/// appended one by one, moved, reused after a clear), sort in the partition order, and write the same files for the
/// same rows, for any rows.
/// </summary>
public sealed class PartitionColumnsTests
{
    private static readonly DateTime T0 = new(2026, 1, 25, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Valid text of any script: code points from the whole range but the surrogates (which UTF-8 cannot carry alone).</summary>
    private static readonly Gen<string> Text = Gen.Int[0x20, 0x10FFFF].Where(c => c is < 0xD800 or > 0xDFFF).Select(char.ConvertFromUtf32)
        .Array[0, 5].Select(string.Concat);

    /// <summary>order_ids that tie often and differ where UTF-8 and UTF-16 orders part (U+E000 to U+FFFF against U+10000 up).</summary>
    private static readonly Gen<string?> OrderId = Gen.Frequency(
        (3, Gen.OneOf<string?>(null, "", "a", "O-1", "O-10", "O-1\0", "\uE000x", "\U0001F600", "\U0001F600a", "\uFFFF", "ö-1", "日本", "O-0000000000000001", "O-0000000000000001x")),
        (2, Text.Select(s => (string?)s)));

    private static readonly Gen<string?> Code = Gen.OneOf<string?>(null, "", "EUR", "USD", "日本", "\U0001F600", "smb");

    private static readonly Gen<decimal?> Money = Gen.OneOf(Gen.Const((decimal?)null), Gen.Long[-99_999_999, 99_999_999].Select(v => (decimal?)(v / 100m)));

    private static readonly Gen<MartRecord> Row = Gen.Select(
        Gen.Select(OrderId, Gen.Long[-3, 3], Gen.Int[0, 4], Gen.Int[0, 2], Gen.OneOf(Gen.Const((int?)null), Gen.Int[-5, 5].Select(v => (int?)v))),
        Gen.Select(Money, Money, Code, Gen.OneOf(Code, Text.Select(s => (string?)s)), Code),
        Gen.Select(Code, Code, Gen.OneOf(Gen.Const((DateTime?)null), Gen.Int[0, 3].Select(d => (DateTime?)T0.AddDays(-d))), Gen.OneOf(Gen.Const("events/a.json"), Gen.Const("events/b.json"), Text)),
        (a, b, c) => new MartRecord(a.Item1, a.Item2, T0.AddSeconds(a.Item3), T0.AddMinutes(a.Item4), a.Item5, b.Item1, b.Item2,
            b.Item3, b.Item4, b.Item5, c.Item1, c.Item2, c.Item3, c.Item4));

    /// <summary>The rows as a partition rebuild gathers them: the first ones in blocks of the given size, the rest one by one.</summary>
    private static PartitionColumns Columns(List<MartRecord> rows, int blocked, int blockRows, PartitionColumns? into = null)
    {
        var columns = into ?? new PartitionColumns();
        var source = MartTestRows.Columns(rows);
        var writer = new ColumnBlockWriter();
        var pool = new StringPool();
        for (var from = 0; from < blocked; from += blockRows)
        {
            var positions = Enumerable.Range(from, Math.Min(blockRows, blocked - from)).ToArray();
            source.Encode(writer, positions);
            columns.AppendBlock(writer.Written, pool);
        }
        for (var i = blocked; i < rows.Count; i++) columns.Append(rows[i]);
        return columns;
    }

    private static readonly Gen<(List<MartRecord> Rows, int Blocked, int BlockRows)> Partition =
        Row.List[0, 400].SelectMany(rows => Gen.Select(Gen.Int[0, rows.Count], Gen.Int[1, 64], (blocked, size) => (rows, blocked, size)));

    [Fact]
    public void Blocks_and_held_rows_decode_to_the_rows_encoded()
    {
        Partition.Sample(p =>
        {
            var columns = Columns(p.Rows, p.Blocked, p.BlockRows);

            Assert.Equal(p.Rows.Count, columns.Count);
            Assert.Equal(p.Rows, columns.Records());
        }, iter: 300);
    }

    [Fact]
    public void Columns_sort_by_event_ts_order_id_source_key_arrival_ts_then_position()
    {
        Partition.Sample(p =>
        {
            var columns = Columns(p.Rows, p.Blocked, p.BlockRows);
            var expected = p.Rows.Select((r, i) => (r, i))
                .OrderBy(x => x.r.EventTs).ThenBy(x => x.r.OrderId, StringComparer.Ordinal).ThenBy(x => x.r.SourceKey, StringComparer.Ordinal)
                .ThenBy(x => x.r.ArrivalTs).ThenBy(x => x.i).Select(x => x.i).ToArray();
            var actual = new int[p.Rows.Count];

            PartitionRewrite.Order(columns, actual);

            Assert.Equal(expected, actual);
        }, iter: 500);
    }

    [Fact]
    public void Rows_decoded_from_blocks_write_the_file_and_KPIs_of_the_same_rows_appended_one_by_one()
    {
        Partition.Where(p => p.Rows.Count > 0).Sample(p =>
        {
            var columns = Columns(p.Rows, p.Blocked, p.BlockRows);
            var appended = Columns(p.Rows, 0, 1);

            Assert.Equal(ColumnFile(appended), ColumnFile(columns));
            Assert.Equal(DeclaredKpi.Rows(DeclaredKpi.Instance.Compute(appended)), DeclaredKpi.Rows(DeclaredKpi.Instance.Compute(columns)));
        }, iter: 200);
    }

    [Fact]
    public void Columns_reused_after_a_clear_write_what_fresh_columns_write()
    {
        // Transform reuses one instance for bucket after bucket and partition after partition; Clear keeps the string
        // columns' values of the earlier ones, which must change nothing the next one writes.
        Gen.Select(Partition, Partition).Where(t => t.Item2.Rows.Count > 0).Sample((earlier, p) =>
        {
            var reused = Columns(earlier.Rows, earlier.Blocked, earlier.BlockRows);
            reused.Clear();
            Columns(p.Rows, p.Blocked, p.BlockRows, reused);
            var fresh = Columns(p.Rows, p.Blocked, p.BlockRows);

            Assert.Equal(p.Rows, reused.Records());
            Assert.Equal(ColumnFile(fresh), ColumnFile(reused));
            Assert.Equal(DeclaredKpi.Rows(DeclaredKpi.Instance.Compute(fresh)), DeclaredKpi.Rows(DeclaredKpi.Instance.Compute(reused)));
            var (expected, actual) = (new int[p.Rows.Count], new int[p.Rows.Count]);
            PartitionRewrite.Order(fresh, expected);
            PartitionRewrite.Order(reused, actual);
            Assert.Equal(expected, actual);
            var all = new List<OrderIndexSegment.RowGroup> { new("2026-01-25", Enumerable.Range(0, p.Rows.Count).ToList()) };
            using var fromFresh = new MemoryStream();
            using var fromReused = new MemoryStream();
            OrderIndexSegment.Write(fromFresh, fresh, all, new ColumnBlockWriter());
            OrderIndexSegment.Write(fromReused, reused, all, new ColumnBlockWriter());
            Assert.Equal(fromFresh.ToArray(), fromReused.ToArray());
        }, iter: 200);
    }

    [Fact]
    public async Task A_partition_of_unique_order_ids_over_two_row_groups_is_the_same_file()
    {
        // Unique order_ids take the writer's straight-from-UTF-8 path; sku repeats enough to be a dictionary.
        var rows = Enumerable.Range(0, ParquetColumns.RowGroupRows + 5_000).Select(i => new MartRecord(
            i % 997 == 0 ? null : $"O-{(i * 7919L) % 1_000_003:D9}", i % 5_000, T0.AddSeconds(i % 86_400), T0.AddSeconds(i), i % 7 == 0 ? null : i % 9,
            i % 3 == 0 ? null : 0.25m * (i % 400), 0.01m * i, i % 2 == 0 ? "EUR" : "USD", $"SKU-{(i * 31) % 4_000}", "web", i % 5 == 0 ? null : "DE",
            "smb", T0.AddDays(-(i % 900)).Date, $"events/2026-01-25/f{i % 4}.json")).ToList();
        var columns = Columns(rows, rows.Count - 1_000, 32_768);
        var file = ColumnFile(columns);

        Assert.Equal(ColumnFile(Columns(rows, 0, 1)), file);
        var read = new List<MartRecord>();
        await MartTestRows.ReadAsync(new MemoryStream(file), "x", read);
        var order = new int[columns.Count];
        PartitionRewrite.Order(columns, order);
        Assert.Equal(order.Select(i => rows[i] with { SignupDate = rows[i].SignupDate is { } d ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : null }), read);
    }

    [Fact]
    public void A_staging_block_appends_its_events_and_hands_back_their_lines()
    {
        var gen = Gen.Select(Row, Gen.Long[1, 1_000_000]).List[1, 300];
        gen.Sample(items =>
        {
            var events = new EventColumns(items.Count);
            foreach (var (r, line) in items)
                events.Add(new EventRecord(r.OrderId, r.UserId, r.EventTs, r.ArrivalTs, r.Qty, r.UnitPrice, r.Currency, r.Sku, r.Channel, r.SourceKey, line));
            var writer = new ColumnBlockWriter();
            events.Encode(writer);
            var columns = new PartitionColumns();
            columns.Append(items[0].Item1); // a row before the block: the block's rows go after it

            var lines = columns.AppendStagingBlock(writer.Written, new StringPool(), BlockPlan.For(BlockColumns.Events, columns.Staged)).ToArray();
            columns.SetUserStrings(1, new string?[items.Count], new string?[items.Count]); // the join's part, left out here

            Assert.Equal(items.Select(i => i.Item2), lines);
            Assert.Equal(items.Count + 1, columns.Count);
            for (var i = 0; i < items.Count; i++)
            {
                var (expected, actual) = (items[i].Item1, columns.Row(i + 1));
                Assert.Equal((expected.OrderId, expected.UserId, expected.EventTs, expected.ArrivalTs, expected.Qty, expected.UnitPrice, expected.Currency, expected.Sku, expected.Channel, expected.SourceKey),
                    (actual.OrderId, actual.UserId, actual.EventTs, actual.ArrivalTs, actual.Qty, actual.UnitPrice, actual.Currency, actual.Sku, actual.Channel, actual.SourceKey));
            }
        }, iter: 200);
    }

    [Fact]
    public void Users_given_as_codes_get_the_ids_and_values_their_strings_get()
    {
        // A packed dimension's codes (0 is null) and the same users' strings, set in runs as the join sets them, across a
        // Clear (the next bucket) that must forget the codes' ids.
        string?[] codes = [null, "DE", "FR", "日本", "smb", "retail", ""];
        var gen = Gen.Select(Gen.Int[0, codes.Length - 1], Gen.Int[0, codes.Length - 1]).Array[1, 120].Array[1, 4];
        gen.Sample(runs =>
        {
            var (byCodes, byStrings) = (new PartitionColumns(), new PartitionColumns());
            foreach (var (run, r) in runs.Select((run, r) => (run, r)))
            {
                if (r == 2) { byCodes.Clear(); byStrings.Clear(); }
                var from = byCodes.Count;
                foreach (var _ in run)
                {
                    var row = new MartRecord("O", 1, T0, T0, 1, 1m, 1m, "EUR", "S", "web", null, null, null, "k");
                    byCodes.Append(row);
                    byStrings.Append(row);
                }
                byCodes.SetUserCodes(from, run.Select(c => c.Item1).ToArray(), run.Select(c => c.Item2).ToArray(), codes);
                byStrings.SetUserStrings(from, run.Select(c => codes[c.Item1]).ToArray(), run.Select(c => codes[c.Item2]).ToArray());
            }

            foreach (var name in new[] { "country", "segment" })
            {
                var (s, c) = ((StringIdVector)byStrings.Vector(name)!, (StringIdVector)byCodes.Vector(name)!);
                Assert.Equal(s.Values.AsSpan(0, byStrings.Count).ToArray(), c.Values.AsSpan(0, byCodes.Count).ToArray());
                Assert.Equal(s.Distinct.Entries, c.Distinct.Entries);
            }
            Assert.Equal(byStrings.Records(), byCodes.Records());
        }, iter: 300);
    }

    [Fact]
    public void Rows_moved_and_truncated_keep_their_values()
    {
        Partition.Where(p => p.Rows.Count > 1).SelectMany(p => Gen.Int[0, p.Rows.Count - 1].Array[1, 20].Select(moves => (p, moves))).Sample(t =>
        {
            var (p, moves) = t;
            var columns = Columns(p.Rows, p.Blocked, p.BlockRows);
            var expected = p.Rows.ToList();
            for (var m = 0; m + 1 < moves.Length; m += 2)
            {
                columns.MoveRow(moves[m], moves[m + 1]);
                expected[moves[m + 1]] = expected[moves[m]];
            }
            var keep = moves[0];
            columns.Truncate(keep);
            columns.Append(p.Rows[^1]);
            expected = [.. expected.Take(keep), p.Rows[^1]];

            Assert.Equal(expected, columns.Records());
        }, iter: 300);
    }

    [Fact]
    public void A_block_whose_row_points_outside_its_dictionary_is_refused()
    {
        var rows = new List<MartRecord> { new("O-1", 1, T0, T0, 1, 1m, 1m, "EUR", "S", "web", "DE", "smb", null, "events/a.json") };
        var writer = new ColumnBlockWriter();
        MartTestRows.Columns(rows).Encode(writer, [0]);
        var bytes = writer.Written.ToArray();
        bytes[^1] = 6; // the last column is source_key: one value, so one byte a row (id + 1); id 5 is outside it

        var e = Assert.Throws<InvalidDataException>(() => new PartitionColumns().AppendBlock(bytes, new StringPool()));
        Assert.Contains("dictionary value 5 of 1", e.Message);
    }

    [Fact]
    public void Utf8_comparison_and_prefixes_agree_with_ordinal_string_order()
    {
        Gen.Select(OrderId, OrderId).Sample((a, b) =>
        {
            if (a is null || b is null) return;
            var (x, y) = (Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
            var expected = Math.Sign(string.CompareOrdinal(a, b));

            Assert.Equal(expected, Math.Sign(Utf8Ordinal.Compare(x, y)));
            var byPrefix = Utf8Ordinal.Prefix(x).CompareTo(Utf8Ordinal.Prefix(y));
            if (byPrefix != 0) Assert.Equal(expected, Math.Sign(byPrefix));
        }, iter: 20_000);
    }

    private static byte[] ColumnFile(PartitionColumns columns)
    {
        var order = new int[columns.Count];
        PartitionRewrite.Order(columns, order);
        using var s = new MemoryStream();
        MartPartitionFile.WriteAsync(s, columns, order).GetAwaiter().GetResult();
        return s.ToArray();
    }
}
