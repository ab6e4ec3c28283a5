using System.Text.Json;
using Highwater.Columnar;
using Highwater.Manifest;
using Highwater.Model;
using Highwater.Staging;
using Highwater.Storage;

namespace Highwater.Stages;

/// <summary>
/// Extract: streams every planned file (gzip-compressed ones transparently, checked against their gzip
/// trailer so a truncated file fails the run instead of yielding half its lines) line by line into the
/// columnar staging batch, in bounded row groups. Malformed lines go to quarantine with file, line and
/// reason. A body that breaks off mid-stream is read again from the start of the object, skipping the
/// lines already taken, a bounded number of times; then the run fails naming the object.
/// </summary>
public static class ExtractStage
{
    public const int MaxAttemptsPerFile = 3;
    private const int RowGroupRows = 262_144;

    public sealed record Summary(int Files, long Lines, long Rows, long Quarantined, long Bytes);

    public static async Task<Summary?> RunAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        var plan = await BatchPlan.LoadAsync(ctx.Work.PlanFile);
        if (plan.IsEmpty)
        {
            ctx.Log.Info("Extract: nothing new to extract.");
            return null;
        }
        if (ctx.Work.IsDone(StageNames.Extract, plan.BatchId))
        {
            ctx.Log.Info($"Extract: up to date for batch {plan.BatchId}.");
            return null;
        }

        var started = ctx.Clock.GetTimestamp();
        foreach (var later in new[] { StageNames.Extract, StageNames.Transform, StageNames.Gate, StageNames.Publish })
            ctx.Work.ClearStamp(later);
        var staging = ctx.Work.StagingEvents;
        var temp = staging + ".partial";
        if (File.Exists(staging)) File.Delete(staging);
        WorkArea.ResetDirectory(ctx.Work.QuarantineDir); // quarantine belongs to one batch

        long lines = 0, rows = 0, quarantined;
        var parser = new EventLineParser();
        var buffer = new List<EventRecord>(RowGroupRows);
        using (var progress = ctx.Log.StartProgress(ctx.Clock, "Extract", "files", plan.Files.Count, plan.TotalBytes))
        using (var quarantine = new QuarantineWriter(ctx.Work.ExtractQuarantine, "extract"))
        {
            await using (var writer = await EventStagingWriter.CreateAsync(temp))
            {
                foreach (var file in plan.Files)
                {
                    var fileStarted = ctx.Clock.GetTimestamp();
                    var before = (writer.RowsWritten + buffer.Count, quarantine.Count);
                    var fileLines = await ExtractFileAsync(ctx.Landing, file, parser, buffer, writer, quarantine, ct);
                    lines += fileLines;
                    ctx.Log.Diagnostic($"{file.Key}: {fileLines:N0} lines, {writer.RowsWritten + buffer.Count - before.Item1:N0} rows, " +
                                       $"{quarantine.Count - before.Item2:N0} quarantined in {ctx.Clock.GetElapsedTime(fileStarted).TotalMilliseconds:F0} ms");
                    progress.Advance(1, writer.RowsWritten + buffer.Count - before.Item1, file.Size);
                    ctx.Faults.Reach(FaultPoints.ExtractAfterFile);
                }
                await writer.WriteRowGroupAsync(buffer);
                rows = writer.RowsWritten;
            }
            quarantined = quarantine.Count;
        }
        File.Move(temp, staging, overwrite: true);

        var summary = new Summary(plan.Files.Count, lines, rows, quarantined, plan.TotalBytes);
        ctx.Work.MarkDone(StageNames.Extract, plan.BatchId);
        Reporting.StageMetrics.Record(ctx, StageNames.Extract, plan.BatchId, started, summary.Files, summary.Bytes, lines, rows, quarantined);
        var elapsed = ctx.Clock.GetElapsedTime(started);
        ctx.Log.Info($"Extract: {summary.Files:N0} file(s), {lines:N0} lines -> {rows:N0} rows staged, {quarantined:N0} quarantined " +
                     $"({summary.Bytes / 1e6:F1} MB in {elapsed.TotalSeconds:F2} s)");
        if (quarantined > 0)
            ctx.Log.Info($"  quarantined lines are in {ctx.Work.ExtractQuarantine} (file, line, reason)");
        return summary;
    }

    private static async Task<long> ExtractFileAsync(IObjectStore landing, PlannedFile file, EventLineParser parser,
        List<EventRecord> buffer, EventStagingWriter writer, QuarantineWriter quarantine, CancellationToken ct)
    {
        long linesTaken = 0;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var body = await landing.OpenReadAsync(file.Key, ct);
                var gzip = file.Key.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new CheckedGzipStream(body) : null;
                await using var decoded = gzip ?? body;
                var reader = new NdjsonLineReader(decoded);
                while (reader.TryReadLine(out var line))
                {
                    if (reader.LineNumber <= linesTaken) continue; // taken on an earlier attempt
                    TakeLine(file.Key, reader, line.Span, parser, buffer, quarantine);
                    linesTaken = reader.LineNumber;
                    if (buffer.Count >= RowGroupRows)
                    {
                        await writer.WriteRowGroupAsync(buffer);
                        buffer.Clear();
                    }
                }
                if (gzip is not null) await EnsureCompleteGzipAsync(landing, file, gzip, ct);
                return linesTaken;
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
        List<EventRecord> buffer, QuarantineWriter quarantine)
    {
        if (reader.LastLineTooLong)
        {
            quarantine.Add(key, reader.LineNumber, $"line longer than {NdjsonLineReader.DefaultMaxLineBytes:N0} bytes", "");
            return;
        }
        if (IsBlank(line)) return;
        var record = parser.Parse(line, key, reader.LineNumber, out var reason);
        if (record is { } r) buffer.Add(r);
        else quarantine.Add(key, reader.LineNumber, reason!, line);
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
