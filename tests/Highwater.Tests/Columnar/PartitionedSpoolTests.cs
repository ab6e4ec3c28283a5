using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>The work area's spool: column blocks by partition, read back exactly as written.</summary>
public sealed class PartitionedSpoolTests : IDisposable
{
    private readonly TempFolder _dir = new();

    private static EventColumns Rows(params EventRecord[] records)
    {
        var c = new EventColumns(records.Length);
        foreach (var r in records) c.Add(r);
        return c;
    }

    private static readonly DateTime T = new(2026, 1, 25, 8, 0, 0, DateTimeKind.Utc);

    /// <summary>A spool of one block of one event in <paramref name="partition"/>; without <paramref name="complete"/>, without its footer.</summary>
    private static void WriteOneEventSpool(string path, string partition, string orderId, bool complete = true)
    {
        var block = new ColumnBlockWriter();
        using var w = new PartitionedSpool.Writer(path, BlockColumns.Events);
        Rows(new EventRecord(orderId, 1, T, T, 1, 1m, "EUR", "S", "web", "k", 1)).Encode(block);
        w.Append(partition, block.Written, 1);
        if (complete) w.Complete();
    }

    [Fact]
    public void Event_blocks_round_trip_with_nulls_unicode_and_repeated_values()
    {
        var records = new[]
        {
            new EventRecord("O-1", 1, T, T.AddHours(1), 2, 5.50m, "EUR", "SKU-1", "web", "events/a.json", 1),
            new EventRecord(null, 2, T.AddTicks(10), T, null, null, null, null, null, "events/a.json", 2),
            new EventRecord("Ö-ünïcødé-€", long.MaxValue, DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc), T, -3, -0.01m, "", "SKU-1", "app", "events/b.json", long.MaxValue),
            new EventRecord("", 4, T, T, int.MaxValue, 79228162514264337593543950335m, "EUR", "SKU-2", "web", "events/a.json", 4),
        };
        var block = new ColumnBlockWriter();
        Rows(records).Encode(block);

        var back = EventColumns.Decode(block.Written, new StringPool());

        Assert.Equal(records.Length, back.Count);
        Assert.Equal(records, Enumerable.Range(0, back.Count).Select(i => back[i]));
        Assert.Equal(DateTimeKind.Utc, back.EventTs[0].Kind);
        Assert.Same(back.Currency[0], back.Currency[3]); // a dictionary value is one string
    }

    [Fact]
    public void Blocks_are_read_by_partition_in_append_order()
    {
        var path = Path.Combine(_dir.Path, "s.spool");
        var block = new ColumnBlockWriter();
        using (var w = new PartitionedSpool.Writer(path, BlockColumns.Events))
        {
            foreach (var (partition, id) in new[] { ("07", "a"), ("03", "b"), ("07", "c"), ("unkeyed", "d") })
            {
                Rows(new EventRecord(id, 1, T, T, 1, 1m, "EUR", "S", "web", "k", 1)).Encode(block);
                w.Append(partition, block.Written, 1);
            }
            w.Complete();
        }

        using var r = PartitionedSpool.Reader.Open(path);
        Assert.Equal(["03", "07", "unkeyed"], r.Partitions);
        Assert.Equal(2, r.RowsOf("07"));
        var pool = new StringPool();
        Assert.Equal(["a", "c"], EventStagingReader.ReadPartition(r, "07", pool).Select(c => c.OrderId[0]).ToList());
        Assert.Empty(EventStagingReader.ReadPartition(r, "42", pool));
    }

    [Fact]
    public void A_writer_replaces_what_was_left_at_its_path_with_a_new_file()
    {
        var path = Path.Combine(_dir.Path, "s.spool");
        File.WriteAllBytes(path, new byte[100_000]); // a longer file of an earlier run
        WriteOneEventSpool(path, "01", "a");

        Assert.True(new FileInfo(path).Length < 1_000);
        using var r = PartitionedSpool.Reader.Open(path);
        Assert.Equal(["a"], EventStagingReader.ReadPartition(r, "01", new StringPool()).Select(c => c.OrderId[0]).ToList());
    }

    [Theory]
    [InlineData("HWSPOOL1")] // wide blocks
    [InlineData("HWSPOOL2")] // compact blocks without a column list
    public void A_spool_of_an_earlier_version_is_refused_as_such_with_its_path(string magic)
    {
        var path = Path.Combine(_dir.Path, "old.spool");
        WriteOneEventSpool(path, "01", "a");
        var bytes = File.ReadAllBytes(path);
        System.Text.Encoding.ASCII.GetBytes(magic).CopyTo(bytes.AsSpan(bytes.Length - 8)); // the trailer an earlier version wrote
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<InvalidDataException>(() => PartitionedSpool.Reader.Open(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("written by an earlier version of highwater", e.Message);
    }

    [Fact]
    public void An_incomplete_or_cut_spool_is_refused_with_its_path()
    {
        var path = Path.Combine(_dir.Path, "cut.spool");
        WriteOneEventSpool(path, "00", "x", complete: false); // no footer
        var e = Assert.Throws<InvalidDataException>(() => PartitionedSpool.Reader.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not completed", e.Message);

        var block = new ColumnBlockWriter();
        Rows(new EventRecord("x", 1, T, T, 1, 1m, "EUR", "S", "web", "k", 1)).Encode(block);
        var truncated = block.Written[..^3].ToArray();
        var e2 = Assert.Throws<InvalidDataException>(() => EventColumns.Decode(truncated, new StringPool()));
        Assert.Contains("ends early", e2.Message);
    }

    [Fact]
    public void Mart_row_blocks_round_trip()
    {
        var rows = new List<MartRecord>
        {
            new("O-1", 1, T, T.AddHours(1), 2, 5.50m, 11.00m, "EUR", "SKU-1", "web", "DE", "retail", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), "events/a.json"),
            new(null, 2, T, T, null, null, null, null, null, null, null, null, null, "events/b.json"),
        };
        var block = new ColumnBlockWriter();
        MartTestRows.Columns(rows).Encode(block, [1, 0, 1]); // the rows at these positions, in this order
        var back = MartTestRows.Columns([rows[1]]);

        back.AppendBlock(block.Written, new StringPool());

        Assert.Equal([rows[1], rows[1], rows[0], rows[1]], back.Records());
    }

    [Fact]
    public void Order_buckets_match_fnv_1a_of_the_utf8_bytes()
    {
        static int Reference(string id)
        {
            var hash = 2166136261u;
            foreach (var b in System.Text.Encoding.UTF8.GetBytes(id)) hash = (hash ^ b) * 16777619u;
            return (int)(hash % 64);
        }
        foreach (var id in new[] { "", "X", "O-3-1-123456", "Ö-ünïcødé-€", new string('é', 2000), "🙂" })
            Assert.Equal(Reference(id), OrderBuckets.IndexOf(id));
        Assert.Equal("05", OrderBuckets.Name(5));
    }

    public void Dispose() => _dir.Dispose();
}
