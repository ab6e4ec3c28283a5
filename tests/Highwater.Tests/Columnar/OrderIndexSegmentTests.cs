using Highwater.Pipeline;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>Order-index segments: rows come back as written, the filter skips, a damaged file is refused by name.</summary>
public sealed class OrderIndexSegmentTests
{
    private static readonly DateTime T0 = new(2026, 1, 25, 8, 0, 0, DateTimeKind.Utc);

    private static MartRecord Row(int i) => new(i % 7 == 0 ? null : $"O-{i}", 1000 + i, T0.AddSeconds(i), T0.AddSeconds(2 * i),
        i % 5 == 0 ? null : i, i % 3 == 0 ? null : 1.25m * i, i % 5 == 0 || i % 3 == 0 ? null : 1.25m * i * i, "EUR", $"SKU-{i % 11}", "web",
        i % 2 == 0 ? "DE" : null, "retail", i % 4 == 0 ? null : T0.Date, $"events/2026-01-25/f{i % 3}.json");

    private static byte[] Segment(List<MartRecord> rows)
    {
        using var s = new MemoryStream();
        MartTestRows.WriteSegment(s, rows);
        return s.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(OrderIndexSegment.BlockRows + 17)]
    public async Task Rows_come_back_as_they_were_written_across_blocks(int count)
    {
        var rows = Enumerable.Range(0, count).Select(Row).ToList();
        var read = new List<MartRecord>();

        Assert.True(await MartTestRows.ReadSegmentAsync(new MemoryStream(Segment(rows)), "seg", read, keep: null, wanted: null));

        Assert.Equal(rows, read);
    }

    [Fact]
    public async Task Only_the_rows_keep_accepts_are_read_and_a_segment_without_any_wanted_order_is_skipped()
    {
        var rows = Enumerable.Range(0, 1000).Select(Row).ToList();
        var bytes = Segment(rows);
        var read = new List<MartRecord>();

        Assert.True(await MartTestRows.ReadSegmentAsync(new MemoryStream(bytes), "seg", read, id => id is "O-8" or "O-9", ["O-8", "O-9"]));
        Assert.Equal(rows.Where(r => r.OrderId is "O-8" or "O-9"), read);

        read.Clear();
        Assert.False(await MartTestRows.ReadSegmentAsync(new MemoryStream(bytes), "seg", read, id => id == "Z-1", ["Z-1"]));
        Assert.Empty(read);
    }

    [Fact]
    public async Task Wanted_orders_are_found_by_their_bytes_in_whichever_block_holds_them()
    {
        // Five groups, so five blocks; ids that share prefixes or lengths with the wanted ones, and non-ASCII ones.
        var rows = Enumerable.Range(0, 500).Select(Row).ToList();
        rows[120] = rows[120] with { OrderId = "Ö-ü" };
        rows[430] = rows[430] with { OrderId = "Ö-ü2" };
        var groups = Enumerable.Range(0, 5).Select(g => new OrderIndexSegment.RowGroup(null, [.. Enumerable.Range(g * 100, 100)])).ToList();
        using var s = new MemoryStream();
        MartTestRows.WriteSegment(s, rows, groups);
        string[] wanted = ["O-15", "Ö-ü", "O-499", "O-1500", "Ö"];

        var read = new List<MartRecord>();
        Assert.True(await MartTestRows.ReadSegmentAsync(new MemoryStream(s.ToArray()), "seg", read, id => id is not null && wanted.Contains(id), wanted));

        Assert.Equal(rows.Where(r => r.OrderId is "O-15" or "Ö-ü" or "O-499"), read);
    }

    [Fact]
    public async Task A_block_without_a_wanted_order_is_not_decoded()
    {
        // Two blocks; the last byte of the second (a source_key row id) is made to point outside its dictionary, so
        // decoding that block fails: a read that does not fail did not decode it.
        var rows = Enumerable.Range(1, 200).Select(Row).ToList();
        using var s = new MemoryStream();
        var blocks = MartTestRows.WriteSegment(s, rows,
            [new("2026-01-25", [.. Enumerable.Range(0, 100)]), new("2026-01-26", [.. Enumerable.Range(100, 100)])]);
        var bytes = s.ToArray();
        var second = blocks.Single(b => b.Partition == "2026-01-26");
        bytes[second.Offset + second.Length - 1] = 0xFE;

        var read = new List<MartRecord>();
        Assert.True(await MartTestRows.ReadSegmentAsync(new MemoryStream(bytes), "seg", read, id => id == "O-8", ["O-8"]));
        Assert.Equal(rows.Where(r => r.OrderId == "O-8"), read);

        var e = await Assert.ThrowsAsync<DataException>(() =>
            MartTestRows.ReadSegmentAsync(new MemoryStream(bytes), "wh/bucket=07/part-r1-00000.hwidx", [], id => id == "O-108", ["O-108"]));
        Assert.Contains("bucket=07/part-r1-00000.hwidx", e.Message);
        Assert.Contains("damaged", e.Message);
    }

    [Theory]
    [InlineData(8)]     // right after the opening mark
    [InlineData(200)]   // inside the filter or a block
    [InlineData(-4)]    // the closing mark is missing
    public async Task A_segment_cut_short_is_refused_with_its_name(int keep)
    {
        var bytes = Segment(Enumerable.Range(0, 100).Select(Row).ToList());
        var cut = bytes.AsSpan(0, keep >= 0 ? keep : bytes.Length + keep).ToArray();

        var e = await Assert.ThrowsAsync<DataException>(() =>
            MartTestRows.ReadSegmentAsync(new MemoryStream(cut), "wh/_highwater/order-index/bucket=03/part-r1-00000.hwidx", [], null, null));

        Assert.Contains("bucket=03/part-r1-00000.hwidx", e.Message);
        Assert.Contains("damaged", e.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_a_segment_is_refused()
    {
        var e = await Assert.ThrowsAsync<DataException>(() =>
            MartTestRows.ReadSegmentAsync(new MemoryStream("PAR1PAR1PAR1"u8.ToArray()), "x.hwidx", [], null, null));
        Assert.Contains("does not start like an order-index segment", e.Message);
    }

    [Fact]
    public async Task Rows_written_in_groups_come_back_whole_and_the_tagged_blocks_decode_to_their_groups_rows()
    {
        var rows = Enumerable.Range(0, 2 * OrderIndexSegment.BlockRows + 100).Select(Row).ToList(); // the even rows need two blocks
        var even = Enumerable.Range(0, rows.Count).Where(i => i % 2 == 0).ToList();
        var odd = Enumerable.Range(0, rows.Count).Where(i => i % 2 == 1).Reverse().ToList();
        using var s = new MemoryStream();
        var blocks = MartTestRows.WriteSegment(s, rows, [new("2026-01-25", even), new(null, odd)]);

        // Read whole, the segment holds every row once: the tagged group first, then the rest, each in its own order.
        var read = new List<MartRecord>();
        Assert.True(await MartTestRows.ReadSegmentAsync(new MemoryStream(s.ToArray()), "seg", read, keep: null, wanted: null));
        Assert.Equal(even.Concat(odd).Select(i => rows[i]), read);

        // Only the tagged group's blocks are reported, and they decode, from the file's bytes, to exactly its rows.
        Assert.Equal(2, blocks.Count);
        Assert.All(blocks, b => Assert.Equal("2026-01-25", b.Partition));
        var decoded = new PartitionColumns();
        var bytes = s.ToArray();
        foreach (var b in blocks)
            OrderIndexSegment.DecodeBlock(bytes.AsSpan((int)b.Offset, b.Length), decoded, new Highwater.Parquet.Reading.StringPool(), "seg");
        Assert.Equal(even.Select(i => rows[i]), decoded.Records());
        Assert.Equal(even.Count, blocks.Sum(b => b.Rows));
    }

    [Fact]
    public void Groups_that_do_not_cover_every_row_are_refused()
    {
        var rows = Enumerable.Range(0, 10).Select(Row).ToList();
        Assert.Throws<ArgumentException>(() => MartTestRows.WriteSegment(new MemoryStream(), rows, [new(null, [0, 1, 2])]));
    }
}
