using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Core.WorkFiles;
using Highwater.Pipeline.Discover;
using Highwater.Pipeline.Extract;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

public sealed class ExtractStageTests : IDisposable
{
    private const string DayA = "events/2026-01-25/file_a.json";
    private const string DayB = "events/2026-01-26/file_b.json";

    private readonly StageFixture _f = new("extract");

    public void Dispose() => _f.Dispose();

    private static string Event(string orderId, int minute = 0, int qty = 1, string price = "19.99", string currency = "EUR") =>
        $$"""{"order_id":"{{orderId}}","user_id":1001,"event_ts":"2026-01-25T08:{{minute:D2}}:00Z","arrival_ts":"2026-01-25T09:{{minute:D2}}:00Z","qty":{{qty}},"unit_price":{{price}},"currency":"{{currency}}","sku":"SKU-1","channel":"web"}""";

    private sealed record Quarantined(string Stage, string SourceKey, long Line, string Reason, string Raw);

    private List<Quarantined> ReadQuarantine()
    {
        if (!File.Exists(_f.Work.ExtractQuarantine)) return [];
        return File.ReadAllLines(_f.Work.ExtractQuarantine).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            return new Quarantined(r.GetProperty("stage").GetString()!, r.GetProperty("source_key").GetString()!,
                r.GetProperty("line").GetInt64(), r.GetProperty("reason").GetString()!, r.GetProperty("raw").GetString()!);
        }).ToList();
    }

    /// <summary>The staged rows as the staging file holds them: bucket by bucket, each in plan and line order.</summary>
    private async Task<List<EventRecord>> ReadStagedAsWritten()
    {
        var rows = new List<EventRecord>();
        await foreach (var group in EventStagingReader.ReadRowGroupsAsync(_f.Work.StagingEvents))
            rows.AddRange(group);
        return rows;
    }

    /// <summary>The staged rows in file and line order.</summary>
    private async Task<List<EventRecord>> ReadStaged() =>
        (await ReadStagedAsWritten()).OrderBy(r => r.SourceKey, StringComparer.Ordinal).ThenBy(r => r.SourceLine).ToList();

    private async Task<ExtractStage.Summary?> DiscoverAndExtract()
    {
        await DiscoverStage.RunAsync(_f.Context);
        return await ExtractStage.RunAsync(_f.Context);
    }

    [Fact]
    public async Task A_byte_order_mark_is_skipped_and_invalid_utf8_is_quarantined_with_its_original_bytes()
    {
        var bad = Encoding.UTF8.GetBytes(Event("A-2")).ToList();
        var at = Encoding.UTF8.GetBytes(Event("A-2")).AsSpan().IndexOf("\"sku\":\""u8) + 7;
        bad.Insert(at, 0xC3); // a lead byte without its continuation
        _f.Land(DayA, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Event("A-1") + "\n"), .. bad, (byte)'\n']);

        var summary = await DiscoverAndExtract();

        Assert.Equal(1, summary!.Rows);
        var q = Assert.Single(ReadQuarantine());
        Assert.Equal(2L, q.Line);
        Assert.Equal($"sku is not valid UTF-8: byte 0xC3 at byte {at} of the line", q.Reason);
        var json = JsonDocument.Parse(File.ReadAllLines(_f.Work.ExtractQuarantine)[0]).RootElement;
        Assert.Equal(bad.ToArray(), Convert.FromBase64String(json.GetProperty("raw_base64").GetString()!));
        Assert.Equal(["A-1"], (await ReadStaged()).Select(r => r.OrderId));
    }

    [Theory]
    [InlineData("1e-31", "unit_price 1e-31 has more than 2 decimal places")]
    [InlineData("1.2300000000000000000000000000001", "unit_price 1.2300000000000000000000000000001 has more than 2 decimal places")]
    [InlineData("1.005", "unit_price 1.005 has more than 2 decimal places")]
    [InlineData("1e16", "unit_price 1e16 does not fit DECIMAL(18,2)")]
    public async Task A_unit_price_with_more_than_two_places_in_any_spelling_is_quarantined(string price, string reason)
    {
        _f.Land(DayA, Event("A-1", price: "150e-2") + "\n" + Event("A-2", price: price) + "\n");

        var summary = await DiscoverAndExtract();

        Assert.Equal(1, summary!.Rows);
        Assert.Equal(reason, Assert.Single(ReadQuarantine()).Reason);
        Assert.Equal([1.5m], (await ReadStaged()).Select(r => r.UnitPrice!.Value));
    }

    [Fact]
    public async Task Cr_only_line_endings_are_named_in_the_reason()
    {
        _f.Land(DayA, Event("A-1") + "\r" + Event("A-2") + "\r");

        var summary = await DiscoverAndExtract();

        Assert.Equal(0, summary!.Rows);
        Assert.Contains("CR-only line endings are not supported", Assert.Single(ReadQuarantine()).Reason);
    }

    [Fact]
    public async Task Rows_are_staged_and_read_back()
    {
        _f.Land(DayA, Event("A-1", 1) + "\n" + Event("A-2", 2, qty: 3, price: "5.50") + "\n");
        _f.Land(DayB, Event("B-1", 3, currency: "USD") + "\n");

        var summary = await DiscoverAndExtract();

        Assert.NotNull(summary);
        Assert.Equal(2, summary.Files);
        Assert.Equal(3, summary.Lines);
        Assert.Equal(3, summary.Rows);
        Assert.Equal(0, summary.Quarantined);
        Assert.Equal(new FileInfo(_f.LandingPath(DayA)).Length + new FileInfo(_f.LandingPath(DayB)).Length, summary.Bytes);

        var rows = await ReadStaged();
        Assert.Equal(["A-1", "A-2", "B-1"], rows.Select(r => r.OrderId));
        Assert.Equal([(DayA, 1L), (DayA, 2L), (DayB, 1L)], rows.Select(r => (r.SourceKey, r.SourceLine)));
        var a2 = rows[1];
        Assert.Equal(1001L, a2.UserId);
        Assert.Equal(3, a2.Qty);
        Assert.Equal(5.50m, a2.UnitPrice);
        Assert.Equal(new DateTime(2026, 1, 25, 8, 2, 0, DateTimeKind.Utc), a2.EventTs);
        Assert.Equal(new DateTime(2026, 1, 25, 9, 2, 0, DateTimeKind.Utc), a2.ArrivalTs);
        Assert.Equal(("EUR", "SKU-1", "web"), (a2.Currency, a2.Sku, a2.Channel));
        Assert.Equal("USD", rows[2].Currency);

        Assert.Empty(ReadQuarantine());
        Assert.False(File.Exists(_f.Work.StagingEvents + ".partial"));
        Assert.True(_f.Work.IsDone(StageNames.Extract, _f.Work.ReadBatchId()!));
    }

    [Fact]
    public async Task Bad_lines_are_quarantined_with_source_key_line_and_reason()
    {
        _f.Land(DayA, string.Join("\n",
            Event("A-1"),
            "{\"order_id\": \"A-2\", broken",
            Event("A-3").Replace("\"qty\":1", "\"qty\":\"two\""),
            "[1,2]",
            Event("A-5")) + "\n");
        _f.Land(DayB, Event("B-1").Replace(",\"channel\":\"web\"", "") + "\n");

        var summary = await DiscoverAndExtract();

        Assert.Equal(2, summary!.Rows);
        Assert.Equal(4, summary.Quarantined);
        Assert.Equal(6, summary.Lines);
        var q = ReadQuarantine();
        Assert.Equal([(DayA, 2L), (DayA, 3L), (DayA, 4L), (DayB, 1L)], q.Select(x => (x.SourceKey, x.Line)));
        Assert.All(q, x => Assert.Equal("extract", x.Stage));
        Assert.StartsWith("not valid JSON", q[0].Reason);
        Assert.Equal("qty should be an integer, found the string \"two\"", q[1].Reason);
        Assert.Equal("not a JSON object", q[2].Reason);
        Assert.Equal("required field missing: channel", q[3].Reason);
        Assert.Equal("[1,2]", q[2].Raw);
        Assert.Equal(["A-1", "A-5"], (await ReadStaged()).Select(r => r.OrderId));
    }

    [Fact]
    public async Task Staged_rows_and_quarantine_are_in_plan_order_whatever_the_parallelism()
    {
        // Enough files and lines that parsers run ahead of the writer and chunks interleave.
        for (var f = 0; f < 9; f++)
        {
            var lines = Enumerable.Range(1, 20_000 + 997 * f).Select(n =>
                n % 1_000 == 7 ? $"broken {f}-{n}" : Event($"F{f}-{n}", n % 60, qty: 1 + n % 5));
            _f.Land($"events/2026-01-{10 + f:D2}/part-{f}.json", string.Join("\n", lines) + "\n");
        }
        await DiscoverStage.RunAsync(_f.Context);

        async Task<(List<(string, long, string?)> Rows, string Quarantine)> ExtractWith(int parallelism)
        {
            var saved = ExtractStage.Parallelism;
            ExtractStage.Parallelism = parallelism;
            try
            {
                _f.Work.ClearStamp(StageNames.Extract);
                await ExtractStage.RunAsync(_f.Context);
            }
            finally
            {
                ExtractStage.Parallelism = saved;
            }
            return ((await ReadStagedAsWritten()).Select(r => (r.SourceKey, r.SourceLine, r.OrderId)).ToList(), File.ReadAllText(_f.Work.ExtractQuarantine));
        }

        var one = await ExtractWith(1);
        var four = await ExtractWith(4);

        Assert.Equal(one.Rows.Count, four.Rows.Count);
        Assert.True(one.Rows.SequenceEqual(four.Rows), "staged rows differ between 1 and 4 parsers");
        Assert.Equal(one.Quarantine, four.Quarantine);
        // Staged by order-index bucket (all versions of an order together), each bucket in file, line order.
        var buckets = one.Rows.Select(r => r.Item3 is null ? -1 : OrderBuckets.IndexOf(r.Item3)).ToList();
        Assert.True(buckets.Zip(buckets.Skip(1)).All(p => p.First <= p.Second || p.Second == -1 && p.First != -1), "staged rows are not grouped by bucket");
        Assert.True(one.Rows.Count > 100_000 && buckets.Distinct().Count() == OrderBuckets.Count, "the rows should spread over every bucket");
        foreach (var bucket in one.Rows.Zip(buckets).GroupBy(p => p.Second))
        {
            var rows = bucket.Select(p => p.First).ToList();
            var expected = rows.OrderBy(r => r.Item1, StringComparer.Ordinal).ThenBy(r => r.Item2).ToList();
            Assert.True(expected.SequenceEqual(rows), $"staged rows of bucket {bucket.Key} are not in file, line order");
        }
    }

    [Fact]
    public async Task Gzip_files_are_read_transparently()
    {
        const string gz = "events/2026-01-25/file_c.json.gz";
        using (var buffer = new MemoryStream())
        {
            using (var zip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
                zip.Write(Encoding.UTF8.GetBytes(Event("Z-1") + "\r\n" + "oops\r\n" + Event("Z-3")));
            _f.Land(gz, buffer.ToArray());
        }

        var summary = await DiscoverAndExtract();

        Assert.Equal(2, summary!.Rows);
        Assert.Equal([(gz, 1L, "Z-1"), (gz, 3L, "Z-3")], (await ReadStaged()).Select(r => (r.SourceKey, r.SourceLine, r.OrderId)));
        var q = Assert.Single(ReadQuarantine());
        Assert.Equal((gz, 2L, "oops"), (q.SourceKey, q.Line, q.Raw));
    }

    [Fact]
    public async Task Blank_lines_are_skipped_and_not_quarantined()
    {
        _f.Land(DayA, "\n" + Event("A-2") + "\n   \n\t\r\n\r\n" + Event("A-6") + "\n\n");

        var summary = await DiscoverAndExtract();

        Assert.Equal(2, summary!.Rows);
        Assert.Equal(0, summary.Quarantined);
        Assert.Equal([2L, 6L], (await ReadStaged()).Select(r => r.SourceLine)); // line numbers keep counting blanks
        Assert.Empty(ReadQuarantine());
    }

    [Fact]
    public async Task Body_that_breaks_mid_stream_once_is_read_again_and_yields_each_row_once()
    {
        var lines = new[] { Event("A-1", 1), "bad line 2", Event("A-3", 3), Event("A-4", 4), "bad line 5", Event("A-6", 6) };
        var text = string.Join("\n", lines) + "\n";
        _f.Land(DayA, text);
        _f.Land(DayB, Event("B-1") + "\n");
        // Break in the middle of line 4, after line 2 (bad) and line 3 were taken.
        var breakAfter = Encoding.UTF8.GetByteCount(string.Join("\n", lines[..3]) + "\n") + 20;
        var flaky = new BreakingStore(_f.LandingStore, DayA, breakAfter, breakingOpens: 1);
        _f.UseLanding(flaky);

        var summary = await DiscoverAndExtract();

        Assert.Equal(2, flaky.Opens(DayA));
        Assert.Equal(1, flaky.Opens(DayB));
        Assert.Equal(5, summary!.Rows);
        Assert.Equal(2, summary.Quarantined);
        Assert.Equal(7, summary.Lines);
        var rows = await ReadStaged();
        Assert.Equal(["A-1", "A-3", "A-4", "A-6", "B-1"], rows.Select(r => r.OrderId));
        Assert.Equal([1L, 3L, 4L, 6L, 1L], rows.Select(r => r.SourceLine));
        var q = ReadQuarantine();
        Assert.Equal([(DayA, 2L), (DayA, 5L)], q.Select(x => (x.SourceKey, x.Line)));
    }

    [Fact]
    public async Task Gzip_body_that_breaks_once_is_read_again()
    {
        const string gz = "events/2026-01-25/file_c.json.gz";
        var text = string.Join("\n", Enumerable.Range(1, 200).Select(i => Event($"Z-{i}", i % 60))) + "\n";
        byte[] compressed;
        using (var buffer = new MemoryStream())
        {
            using (var zip = new GZipStream(buffer, CompressionLevel.NoCompression, leaveOpen: true))
                zip.Write(Encoding.UTF8.GetBytes(text));
            compressed = buffer.ToArray();
        }
        _f.Land(gz, compressed);
        var flaky = new BreakingStore(_f.LandingStore, gz, compressed.Length / 2, breakingOpens: 1);
        _f.UseLanding(flaky);

        var summary = await DiscoverAndExtract();

        Assert.Equal(2, flaky.Opens(gz));
        Assert.Equal(200, summary!.Rows);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => $"Z-{i}"), (await ReadStaged()).Select(r => r.OrderId));
    }

    [Fact]
    public async Task Body_that_always_breaks_fails_naming_the_key_after_max_attempts()
    {
        _f.Land(DayA, Event("A-1") + "\n" + Event("A-2") + "\n");
        var flaky = new BreakingStore(_f.LandingStore, DayA, breakAfterBytes: 10, breakingOpens: int.MaxValue);
        _f.UseLanding(flaky);
        await DiscoverStage.RunAsync(_f.Context);

        var e = await Assert.ThrowsAsync<StorageException>(() => ExtractStage.RunAsync(_f.Context));

        Assert.Contains(DayA, e.Message);
        Assert.Contains($"after {ExtractStage.MaxAttemptsPerFile} attempts", e.Message);
        Assert.IsAssignableFrom<IOException>(e.InnerException);
        Assert.Equal(ExtractStage.MaxAttemptsPerFile, flaky.Opens(DayA));
        Assert.False(_f.Work.IsDone(StageNames.Extract, _f.Work.ReadBatchId()!));
        Assert.False(File.Exists(_f.Work.StagingEvents));
    }

    [Fact]
    public async Task Missing_object_is_not_retried()
    {
        _f.Land(DayA, Event("A-1") + "\n");
        await DiscoverStage.RunAsync(_f.Context);
        File.Delete(_f.LandingPath(DayA));

        var e = await Assert.ThrowsAsync<ObjectNotFoundException>(() => ExtractStage.RunAsync(_f.Context));

        Assert.Equal(DayA, e.Key);
    }

    [Fact]
    public async Task Rerun_with_the_same_batch_is_a_no_op()
    {
        _f.Land(DayA, Event("A-1") + "\n" + "bad\n");
        var first = await DiscoverAndExtract();
        Assert.NotNull(first);
        var staged = File.ReadAllBytes(_f.Work.StagingEvents);
        var stagedAt = File.GetLastWriteTimeUtc(_f.Work.StagingEvents);
        var quarantine = File.ReadAllBytes(_f.Work.ExtractQuarantine);

        var second = await DiscoverAndExtract();

        Assert.Null(second);
        Assert.Equal(staged, File.ReadAllBytes(_f.Work.StagingEvents));
        Assert.Equal(stagedAt, File.GetLastWriteTimeUtc(_f.Work.StagingEvents));
        Assert.Equal(quarantine, File.ReadAllBytes(_f.Work.ExtractQuarantine));
    }

    [Fact]
    public async Task Empty_plan_extracts_nothing()
    {
        var summary = await DiscoverAndExtract();

        Assert.Null(summary);
        Assert.False(File.Exists(_f.Work.StagingEvents));
    }

    [Fact]
    public async Task New_batch_clears_the_stamps_of_later_stages()
    {
        _f.Land(DayA, Event("A-1") + "\n");
        var plan = await DiscoverStage.RunAsync(_f.Context);
        _f.Work.MarkDone(StageNames.Transform, plan.BatchId);
        _f.Work.MarkDone(StageNames.Publish, plan.BatchId);

        await ExtractStage.RunAsync(_f.Context);

        Assert.True(_f.Work.IsDone(StageNames.Extract, plan.BatchId));
        Assert.False(File.Exists(_f.Work.StampFile(StageNames.Transform)));
        Assert.False(File.Exists(_f.Work.StampFile(StageNames.Publish)));
    }

    /// <summary>
    /// A landing store whose bodies for one key break off with an IOException after a number of bytes,
    /// on the first <c>breakingOpens</c> opens only.
    /// </summary>
    private sealed class BreakingStore(IObjectStore inner, string key, long breakAfterBytes, int breakingOpens) : DelegatingStore(inner)
    {
        private readonly Dictionary<string, int> _opens = new(StringComparer.Ordinal);

        public int Opens(string k) => _opens.GetValueOrDefault(k);

        public override async Task<Stream> OpenReadAsync(string k, CancellationToken ct = default)
        {
            var n = _opens[k] = Opens(k) + 1;
            var body = await Inner.OpenReadAsync(k, ct);
            return k == key && n <= breakingOpens ? new BreakingStream(body, breakAfterBytes) : body;
        }
    }

    private sealed class BreakingStream(Stream inner, long breakAfterBytes) : Stream
    {
        private long _delivered;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var left = breakAfterBytes - _delivered;
            if (left <= 0) throw new IOException("connection reset by test");
            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
            _delivered += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Read(buffer, offset, count));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _delivered; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
