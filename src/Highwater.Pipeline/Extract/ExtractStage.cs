using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Extract;

/// <summary>
/// Extract: streams every planned file (gzip-compressed ones transparently, checked against their gzip
/// trailer so a truncated file fails the run instead of yielding half its lines) line by line into the
/// columnar staging batch, split by order-index bucket in bounded blocks (see <see cref="EventStagingWriter"/>). Files are parsed in parallel (one parser per core) into
/// column buffers; a single writer takes them in plan order through bounded channels, so the staging batch
/// and the quarantine are the same whatever the parallelism. Malformed lines go to quarantine with file, line and
/// reason. A body that breaks off mid-stream is read again from the start of the object, skipping the
/// lines already taken, a bounded number of times; then the run fails naming the object.
/// </summary>
public static class ExtractStage
{
    public const int MaxAttemptsPerFile = 3;
    /// <summary>Rows a parser hands over at a time, and how many such chunks a file may have waiting.</summary>
    private const int ChunkRows = 16_384, ChunksInFlight = 4;
    private const int ReadBufferBytes = 1 << 20;

    /// <summary>How many files are parsed at once (one parser per core).</summary>
    internal static int Parallelism { get; set; } = Environment.ProcessorCount;

    public sealed record Summary(int Files, long Lines, long Rows, long Quarantined, long Bytes);

    public static async Task<Summary?> RunAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        if (await BatchStage.Extract.OpenAsync(ctx) is not { } plan) return null;
        // The events contract says which fields a line has and how they are staged: read once, before any file (exit 2 when broken).
        var fields = EventFieldsOf(ContractLoader.LoadAll(ctx.ContractsDir), ctx.ContractsDir);

        var started = ctx.Clock.GetTimestamp();
        foreach (var later in new[] { StageNames.Extract, StageNames.Transform, StageNames.Gate, StageNames.Publish })
            ctx.Work.ClearStamp(later);
        var staging = ctx.Work.StagingEvents;
        var temp = staging + ".partial";
        if (File.Exists(staging)) File.Delete(staging);
        WorkArea.ResetDirectory(ctx.Work.QuarantineDir); // quarantine belongs to one batch

        long lines = 0, rows = 0, quarantined;
        var files = plan.Files;
        // One bounded channel per file, read in plan order: parsers run ahead on later files while the writer
        // drains the earliest, so the staged rows and the quarantine come out in plan order whatever the
        // interleaving, and memory stays bounded by (parsers + 1) x ChunksInFlight x ChunkRows rows.
        var slots = new Channel<Chunk>[files.Count];
        for (var i = 0; i < slots.Length; i++)
            slots[i] = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(ChunksInFlight) { SingleReader = true, SingleWriter = true });
        var pool = new ConcurrentBag<ParsedEvents>();
        var values = new Utf8ValueTable();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var next = -1;
        var parsers = Enumerable.Range(0, Math.Clamp(Parallelism, 1, Math.Max(1, files.Count))).Select(_ => Task.Run(async () =>
        {
            var parser = new EventLineParser(fields);
            var ids = new Utf8ValueIds(values);
            int i;
            while ((i = Interlocked.Increment(ref next)) < files.Count && !cts.IsCancellationRequested)
            {
                var slot = slots[i].Writer;
                try
                {
                    await ParseFileAsync(ctx, files[i], parser, ids, slot, pool, cts.Token);
                    slot.Complete();
                }
                catch (Exception e)
                {
                    slot.Complete(e);
                }
            }
        })).ToArray();

        try
        {
            using var progress = ctx.Log.StartProgress(ctx.Clock, "Extract", "files", plan.Files.Count, plan.TotalBytes);
            using var quarantine = new QuarantineWriter(ctx.Work.ExtractQuarantine, "extract");
            using (var writer = EventStagingWriter.Create(temp, fields.Layout))
            {
                for (var i = 0; i < files.Count; i++)
                {
                    long fileRows = 0, fileQuarantined = 0;
                    var reader = slots[i].Reader;
                    while (await WaitToReadAsync(reader, cts.Token))
                    {
                        while (reader.TryRead(out var chunk))
                        {
                            foreach (var q in chunk.Quarantine)
                                quarantine.Add(files[i].Key, q.Line, q.Reason, q.Raw, q.RawBase64);
                            fileQuarantined += chunk.Quarantine.Count;
                            fileRows += chunk.Rows.Count;
                            writer.Append(chunk.Rows);
                            chunk.Rows.Clear();
                            pool.Add(chunk.Rows);
                            if (chunk.Last is { } done)
                            {
                                lines += done.Lines;
                                ctx.Log.Diagnostic($"{files[i].Key}: {done.Lines:N0} lines, {fileRows:N0} rows, {fileQuarantined:N0} quarantined " +
                                                   $"in {done.Elapsed.TotalMilliseconds:F0} ms");
                                progress.Advance(1, fileRows, files[i].Size);
                                ctx.Faults.Reach(FaultPoints.ExtractAfterFile);
                            }
                        }
                    }
                }
                writer.Complete();
                rows = writer.RowsWritten;
            }
            quarantined = quarantine.Count;
        }
        finally
        {
            cts.Cancel();
            await Task.WhenAll(parsers);
        }
        File.Move(temp, staging, overwrite: true);

        var summary = new Summary(plan.Files.Count, lines, rows, quarantined, plan.TotalBytes);
        ctx.Work.MarkDone(StageNames.Extract, plan.BatchId);
        StageMetrics.Record(ctx, StageNames.Extract, plan.BatchId, started, summary.Files, summary.Bytes, lines, rows, quarantined);
        var elapsed = ctx.Clock.GetElapsedTime(started);
        ctx.Log.Info($"Extract: {summary.Files:N0} file(s), {lines:N0} lines -> {rows:N0} rows staged, {quarantined:N0} quarantined " +
                     $"({summary.Bytes / 1e6:F1} MB in {elapsed.TotalSeconds:F2} s)");
        if (quarantined > 0)
            ctx.Log.Info($"  quarantined lines are in {ctx.Work.ExtractQuarantine} (file, line, reason)");
        return summary;
    }

    /// <summary>Rows of one file, parsed into column buffers, and the lines set aside, in line order.</summary>
    private sealed record Chunk(ParsedEvents Rows, List<QuarantinedLine> Quarantine, FileDone? Last);

    private sealed record QuarantinedLine(long Line, string Reason, string Raw, string? RawBase64 = null);

    private sealed record FileDone(long Lines, TimeSpan Elapsed);

    /// <summary>Reads the next chunks of one file's channel; a parser's failure surfaces here, as it was thrown.</summary>
    private static async ValueTask<bool> WaitToReadAsync(ChannelReader<Chunk> reader, CancellationToken ct)
    {
        try
        {
            return await reader.WaitToReadAsync(ct);
        }
        catch (ChannelClosedException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    private static async Task ParseFileAsync(PipelineContext ctx, PlannedFile file, EventLineParser parser, Utf8ValueIds ids,
        ChannelWriter<Chunk> output, ConcurrentBag<ParsedEvents> pool, CancellationToken ct)
    {
        var landing = ctx.Landing;
        var started = ctx.Clock.GetTimestamp();
        long linesTaken = 0;
        var rows = Rent(pool, file.Key, ids, parser.Layout);
        var set = new List<QuarantinedLine>();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var body = await landing.OpenReadAsync(file.Key, ct);
                var gzip = file.Key.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new CheckedGzipStream(body) : null;
                await using var decoded = gzip ?? body;
                var reader = new NdjsonLineReader(decoded, ReadBufferBytes);
                while (reader.TryReadLine(out var line))
                {
                    if (reader.LineNumber <= linesTaken) continue; // taken on an earlier attempt
                    TakeLine(file.Key, reader, line.Span, parser, ids, rows, set);
                    linesTaken = reader.LineNumber;
                    if (rows.IsFull || set.Count >= ChunkRows)
                    {
                        rows.GroupBySlot(); // here, on a parser thread, rather than in the single writer
                        await output.WriteAsync(new Chunk(rows, set, null), ct);
                        rows = Rent(pool, file.Key, ids, parser.Layout);
                        set = [];
                    }
                }
                if (gzip is not null) await EnsureCompleteGzipAsync(landing, file, gzip, ct);
                rows.GroupBySlot();
                await output.WriteAsync(new Chunk(rows, set, new FileDone(linesTaken, ctx.Clock.GetElapsedTime(started))), ct);
                return;
            }
            catch (InvalidDataException e) when (file.Key.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                // The decompressor refused the bytes (no gzip header, a corrupt deflate stream): the object is damaged at rest,
                // and reading it again gives the same bytes.
                throw new DataException(
                    $"{landing.Description}/{file.Key}: not a valid gzip file ({e.Message.TrimEnd('.')}; stopped after line {linesTaken:N0}). " +
                    "Nothing of this batch was staged; replace the object (a re-upload is picked up) or remove it, then run again.", e);
            }
            catch (Exception e) when (IsBrokenBody(e) && attempt < MaxAttemptsPerFile)
            {
                // Read again from the start of the object; lines already taken are skipped.
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
            }
            catch (Exception e) when (IsBrokenBody(e))
            {
                throw new StorageException(
                    $"{landing.Description}/{file.Key}: the object could not be read whole after {MaxAttemptsPerFile} attempts " +
                    $"(stopped after line {linesTaken:N0}): {e.Message}", e);
            }
        }
    }

    /// <summary>The events contract's fields; a contract folder without one is a configuration error.</summary>
    private static EventFields EventFieldsOf(IReadOnlyDictionary<string, DataContract> contracts, string dir) =>
        contracts.TryGetValue(EventsDataset, out var events)
            ? EventFields.From(events)
            : throw new ConfigurationException($"data-contract folder '{dir}' has no contract for dataset '{EventsDataset}'; Extract reads the events' fields from it");

    /// <summary>The dataset whose contract declares the input events.</summary>
    public const string EventsDataset = "events";

    private static ParsedEvents Rent(ConcurrentBag<ParsedEvents> pool, string sourceKey, Utf8ValueIds ids, EventLayout layout)
    {
        var rows = pool.TryTake(out var reused) ? reused : new ParsedEvents(ChunkRows, ids.Table, layout);
        rows.SetSourceKey(sourceKey, ids);
        return rows;
    }

    /// <summary>
    /// A gzip body that ends before its trailer, or whose trailer does not match the data, is truncated or
    /// corrupt at rest: a data error naming the object (reading it again would not help).
    /// </summary>
    private static async Task EnsureCompleteGzipAsync(IObjectStore landing, PlannedFile file, CheckedGzipStream gzip, CancellationToken ct)
    {
        if (gzip.TrailerMatchesAllData) return;
        if (gzip.HasTrailer)
        {
            // Several members: the trailer describes the last one only; check that one with a second read.
            await using var again = await landing.OpenReadAsync(file.Key, ct);
            if (await CheckedGzipStream.LastMemberMatchesAsync(again, gzip.DecompressedLength, gzip.TrailerCrc, gzip.TrailerSize, ct)) return;
        }
        throw new DataException(
            $"{landing.Description}/{file.Key}: not a complete gzip file (it ends before its gzip trailer, or the trailer's CRC-32 and size do not " +
            $"match the {gzip.DecompressedLength:N0} bytes it decompresses to): it is truncated or corrupt. Nothing of this batch was staged; " +
            "replace the object (a re-upload is picked up) or remove it, then run again.");
    }

    private static void TakeLine(string key, NdjsonLineReader reader, ReadOnlySpan<byte> line, EventLineParser parser,
        Utf8ValueIds ids, ParsedEvents rows, List<QuarantinedLine> quarantine)
    {
        if (reader.LastLineTooLong)
        {
            quarantine.Add(new(reader.LineNumber, $"line longer than {NdjsonLineReader.DefaultMaxLineBytes:N0} bytes" +
                (reader.LastLineHadCarriageReturn ? LineEnding.TooLongWithCarriageReturns : ""), ""));
            return;
        }
        if (IsBlank(line)) return;
        if (!parser.ParseInto(line, rows, ids, key, reader.LineNumber, out var reason))
            quarantine.Add(new(reader.LineNumber, reason!, QuarantineWriter.RawText(line), QuarantineWriter.RawBase64(line)));
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }

    private static bool IsBrokenBody(Exception e) =>
        e is IOException or HttpRequestException or InvalidDataException
        || (e is StorageException && e is not ObjectNotFoundException && e.InnerException is IOException or HttpRequestException);
}
