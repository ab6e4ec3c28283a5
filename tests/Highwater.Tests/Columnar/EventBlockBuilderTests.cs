using System.Text;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>
/// Extract builds spool blocks from byte columns (<see cref="ParsedEvents"/> -> <see cref="EventBlockBuilder"/>);
/// they must be the very bytes <see cref="EventColumns.Encode"/> gives for the same rows, so Transform's reader
/// reads the same data.
/// </summary>
public sealed class EventBlockBuilderTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private static readonly DateTime T = new(2026, 1, 25, 8, 0, 0, DateTimeKind.Utc);

    private static readonly EventRecord[] Records =
    [
        new("O-1", 1, T, T.AddHours(1), 2, 5.50m, "EUR", "SKU-1", "web", "events/a.json", 1),
        new(null, 2, T.AddTicks(10), T, null, null, null, null, null, "events/a.json", 2),
        new("Ö-ünïcødé-€🙂", long.MaxValue, DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc), DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc),
            int.MinValue, -0.01m, "", "SKU-1", "app", "events/a.json", long.MaxValue),
        new("", long.MinValue, T, T, int.MaxValue, 79228162514264337593543950335m, "EUR", "SKU-2", "web", "events/a.json", 4),
        new("O-5", 5, T, T, 0, 1.10m, "€UR", "ßku-" + new string('x', 100), "wéb", "events/a.json", 5), // non-ASCII and over-long keys
        new("O-6", 6, T, T, 7, -79228162514264337593543950335m, "EUR", "ßku-" + new string('x', 100), "web", "events/a.json", 6),
    ];

    private static EventColumns Columns(IEnumerable<EventRecord> records)
    {
        var list = records.ToList();
        var c = new EventColumns(Math.Max(1, list.Count));
        foreach (var r in list) c.Add(r);
        return c;
    }

    private static ParsedEvents Parsed(Utf8ValueIds ids, IEnumerable<EventRecord> records)
    {
        var list = records.ToList();
        var p = new ParsedEvents(Math.Max(1, list.Count), ids.Table);
        p.SetSourceKey(list[0].SourceKey, ids);
        foreach (var r in list) p.Add(r, ids);
        return p;
    }

    [Fact]
    public void A_built_block_is_byte_for_byte_the_encoded_rows_and_reads_back_the_same()
    {
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var builder = new EventBlockBuilder(16);
        var parsed = Parsed(ids, Records);
        for (var i = 0; i < parsed.Count; i++) builder.Add(parsed, i);

        var expected = new ColumnBlockWriter();
        Columns(Records).Encode(expected);

        Assert.Equal(expected.Written.ToArray(), builder.Encode().ToArray());
        var back = EventColumns.Decode(builder.Encode(), new StringPool());
        Assert.Equal(Records, Enumerable.Range(0, back.Count).Select(i => back[i]));
        Assert.Equal(decimal.GetBits(1.10m), decimal.GetBits(back.UnitPrice[4]!.Value)); // the scale is kept
    }

    [Fact]
    public void Rows_from_several_parsers_and_files_share_one_dictionary_per_block_in_first_appearance_order()
    {
        var table = new Utf8ValueTable();
        var (one, two) = (new Utf8ValueIds(table), new Utf8ValueIds(table));
        two.IdOf("web"u8); // the other parser numbers values in another order
        two.IdOf("SKU-2"u8);
        var first = Records[..3].Select(r => r with { SourceKey = "events/a.json" }).ToArray();
        var second = Records[3..].Select(r => r with { SourceKey = "events/b.json" }).ToArray();
        var builder = new EventBlockBuilder(16);
        foreach (var (chunk, _) in new[] { (Parsed(one, first), 0), (Parsed(two, second), 1) })
            for (var i = 0; i < chunk.Count; i++) builder.Add(chunk, i);

        var expected = new ColumnBlockWriter();
        Columns(first.Concat(second)).Encode(expected);

        Assert.Equal(expected.Written.ToArray(), builder.Encode().ToArray());
    }

    [Fact]
    public void A_reused_chunk_with_values_of_its_own_gives_each_row_its_own_value()
    {
        // Values over the table's length limit stay with the chunk; a pooled chunk reuses their references.
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var builder = new EventBlockBuilder(16);
        var chunk = new ParsedEvents(4, ids.Table);
        var all = new List<EventRecord>();
        foreach (var name in new[] { "first", "second" })
        {
            chunk.Clear();
            chunk.SetSourceKey($"events/{name}-" + new string('k', 80) + ".json", ids);
            var records = Enumerable.Range(0, 2).Select(i => new EventRecord($"O-{name}-{i}", i, T, T, i, 1m, "EUR",
                $"{name}-" + new string('s', 70), "web", $"events/{name}-" + new string('k', 80) + ".json", i + 1)).ToList();
            foreach (var r in records) chunk.Add(r, ids);
            for (var i = 0; i < chunk.Count; i++) builder.Add(chunk, i);
            all.AddRange(records);
        }

        var expected = new ColumnBlockWriter();
        Columns(all).Encode(expected);

        Assert.Equal(expected.Written.ToArray(), builder.Encode().ToArray());
    }

    [Fact]
    public void A_cleared_builder_starts_a_fresh_block()
    {
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var builder = new EventBlockBuilder(16);
        var parsed = Parsed(ids, Records);
        for (var i = 0; i < parsed.Count; i++) builder.Add(parsed, i);
        builder.Encode();
        builder.Clear();
        for (var i = parsed.Count - 1; i >= 0; i--) builder.Add(parsed, i);

        var expected = new ColumnBlockWriter();
        Columns(Records.Reverse()).Encode(expected);

        Assert.Equal(expected.Written.ToArray(), builder.Encode().ToArray());
    }

    [Fact]
    public void A_cut_built_block_is_refused()
    {
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var builder = new EventBlockBuilder(16);
        var parsed = Parsed(ids, Records);
        for (var i = 0; i < parsed.Count; i++) builder.Add(parsed, i);
        var cut = builder.Encode()[..^5].ToArray();

        var e = Assert.Throws<InvalidDataException>(() => EventColumns.Decode(cut, new StringPool()));
        Assert.Contains("ends early", e.Message);
    }

    [Fact]
    public void The_staging_writer_splits_rows_by_bucket_in_arrival_order()
    {
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var orderIds = Enumerable.Range(0, 20_000).Select(i => i % 7 == 0 ? null : i % 11 == 0 ? $"Ö-{i}" : $"O-{i}").ToList();
        var records = orderIds.Select((id, i) => new EventRecord(id, i, T, T, i, i / 100m, "EUR", $"SKU-{i % 13}", "web", "events/a.json", i + 1)).ToList();
        var path = Path.Combine(_dir.Path, "events.spool");
        using (var writer = EventStagingWriter.Create(path))
        {
            foreach (var chunk in records.Chunk(3_000)) writer.Append(Parsed(ids, chunk));
            writer.Complete();
            Assert.Equal(records.Count, writer.RowsWritten);
        }

        using var spool = PartitionedSpool.Reader.Open(path);
        var pool = new StringPool();
        var read = new List<EventRecord>();
        foreach (var partition in spool.Partitions)
        {
            var rows = EventStagingReader.ReadPartition(spool, partition, pool).SelectMany(b => Enumerable.Range(0, b.Count).Select(i => b[i])).ToList();
            Assert.All(rows, r => Assert.Equal(partition, EventStagingWriter.PartitionOf(r.OrderId is null ? -1 : OrderBuckets.IndexOf(r.OrderId))));
            Assert.Equal(rows.OrderBy(r => r.SourceLine).ToList(), rows); // plan order kept within a bucket
            read.AddRange(rows);
        }
        Assert.Equal(records.OrderBy(r => r.SourceLine), read.OrderBy(r => r.SourceLine));
        Assert.True(spool.BlocksOf(EventStagingWriter.Unkeyed).Count > 0);
    }

    [Fact]
    public void The_spool_is_the_file_a_row_by_row_writer_gives_even_when_a_bucket_fills_twice_in_a_chunk()
    {
        // Order ids of three buckets only and a quarter of rows unkeyed, so blocks (8,192 rows) of several buckets
        // fill within one chunk, some twice, at interleaved rows: they must still be appended in the order they filled.
        var ids3 = Enumerable.Range(0, 100_000).Select(k => $"O-{k}").Where(id => OrderBuckets.IndexOf(id) is 3 or 17 or 42).Take(5000).ToArray();
        var records = Enumerable.Range(0, 60_000).Select(i => new EventRecord(i % 4 == 0 ? null : ids3[i % ids3.Length], i, T.AddSeconds(i), T,
            i % 9 == 0 ? null : i, i % 5 == 0 ? null : i / 100m, i % 3 == 0 ? "EUR" : "USD", $"SKU-{i % 300}", "web",
            i < 30_000 ? "events/a.json" : "events/b.json", i + 1)).ToList();
        var expectedPath = Path.Combine(_dir.Path, "expected.spool");
        using (var spool = new PartitionedSpool.Writer(expectedPath, BlockColumns.Events))
        {
            var buffers = new Dictionary<int, List<EventRecord>>();
            var block = new ColumnBlockWriter();
            void Flush(int bucket)
            {
                if (!buffers.TryGetValue(bucket, out var rows) || rows.Count == 0) return;
                Columns(rows).Encode(block);
                spool.Append(EventStagingWriter.PartitionOf(bucket), block.Written, rows.Count);
                rows.Clear();
            }
            foreach (var r in records)
            {
                var bucket = r.OrderId is null ? -1 : OrderBuckets.IndexOf(r.OrderId);
                if (!buffers.TryGetValue(bucket, out var rows)) buffers[bucket] = rows = [];
                rows.Add(r);
                if (rows.Count == EventStagingWriter.BlockRows) Flush(bucket);
            }
            for (var b = 0; b < OrderBuckets.Count; b++) Flush(b);
            Flush(-1);
            spool.Complete();
        }

        var path = Path.Combine(_dir.Path, "events.spool");
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        using (var writer = EventStagingWriter.Create(path))
        {
            foreach (var chunk in records.Chunk(20_000).SelectMany(c => c.GroupBy(r => r.SourceKey).Select(g => g.ToArray())))
                writer.Append(Parsed(ids, chunk));
            writer.Complete();
        }

        Assert.Equal(File.ReadAllBytes(expectedPath), File.ReadAllBytes(path));
    }

    [Fact]
    public void The_bucket_of_utf8_bytes_is_the_bucket_of_the_string()
    {
        foreach (var id in new[] { "", "X", "O-3-1-123456", "Ö-ünïcødé-€", new string('é', 2000), "🙂", "a\u0000b", "\ud800lone" })
            Assert.Equal(OrderBuckets.IndexOf(id), OrderBuckets.IndexOf(Encoding.UTF8.GetBytes(id)));
    }

    [Fact]
    public void Value_ids_are_shared_by_parsers_and_bounded()
    {
        var table = new Utf8ValueTable();
        var (one, two) = (new Utf8ValueIds(table), new Utf8ValueIds(table));
        var eur = one.IdOf("EUR"u8);
        var longer = one.IdOf("a value longer than fifteen bytes"u8);

        Assert.Equal(eur, two.IdOf("EUR"u8));
        Assert.Equal(eur, one.IdOf("EUR"u8));
        Assert.Equal(longer, two.IdOf("a value longer than fifteen bytes"u8));
        Assert.NotEqual(eur, one.IdOf("EU"u8));
        Assert.NotEqual(one.IdOf(""u8), one.IdOf("\0"u8));
        Assert.Equal(-1, one.IdOf(new byte[Utf8ValueTable.MaxValueBytes + 1]));
        Assert.Equal("EUR"u8.ToArray(), table[eur]);

        for (var i = 0; table.Count < Utf8ValueTable.MaxEntries; i++) one.IdOf(Encoding.UTF8.GetBytes($"v{i}"));
        Assert.Equal(-1, two.IdOf("one more"u8)); // full: the chunk keeps such a value itself
        Assert.Equal(eur, two.IdOf("EUR"u8));
        var chunk = new ParsedEvents(1, table);
        var own = chunk.ValueOf("one more"u8, two);
        Assert.True(own <= -2);
        Assert.Equal("one more"u8.ToArray(), chunk.ValueBytes(own));
    }

    public void Dispose() => _dir.Dispose();
}
