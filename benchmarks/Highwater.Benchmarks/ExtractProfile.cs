using System.Diagnostics;
using Highwater.Pipeline.Core.WorkFiles;
using Highwater.Pipeline.Extract;

namespace Highwater.Benchmarks;

/// <summary>
/// The <c>profile-extract</c> verb: where Extract's CPU goes, single-threaded, on the files of a landing folder:
/// splitting lines, a plain Utf8JsonReader pass over every token (the floor), the general path alone, the parser as
/// Extract runs it (fast path, else general) into byte columns, and writing the staging spool.
/// </summary>
public static class ExtractProfile
{
    public static async Task<int> RunVerb(string landing, int maxFiles)
    {
        var files = Directory.EnumerateFiles(Path.Combine(landing, "events"), "*.json", SearchOption.AllDirectories).Order().Take(maxFiles).ToList();
        long bytes = files.Sum(f => new FileInfo(f).Length);
        foreach (var f in files) File.ReadAllBytes(f); // warm the page cache
        Console.WriteLine($"{files.Count} files, {bytes / 1e6:F1} MB");

        await Phase("split lines", async () =>
        {
            long lines = 0;
            foreach (var f in files)
            {
                using var s = File.OpenRead(f);
                var r = new NdjsonLineReader(s, 1 << 20);
                while (r.TryReadLine(out _)) lines++;
            }
            return lines;
        });
        await Phase("split + Utf8JsonReader, every token (the floor)", async () =>
        {
            await Task.CompletedTask;
            long tokens = 0;
            foreach (var f in files)
            {
                using var s = File.OpenRead(f);
                var r = new NdjsonLineReader(s, 1 << 20);
                while (r.TryReadLine(out var line))
                {
                    try
                    {
                        var json = new System.Text.Json.Utf8JsonReader(line.Span);
                        while (json.Read()) tokens += json.ValueSpan.Length > 0 ? 1 : 0;
                    }
                    catch (System.Text.Json.JsonException) { }
                }
            }
            return tokens;
        });
        await Phase("split + fast path only (lines it takes)", () => ParseAll(files, (p, line, cols, ids, f, n) => p.TryParseFast(line, cols, ids, n)));
        await Phase("split + general path only, into byte columns", () => ParseAll(files, (p, line, cols, ids, f, n) => p.ParseGeneral(line, cols, ids, n, out _)));
        await Phase("split + parse into byte columns", () => ParseAll(files, (p, line, cols, ids, f, n) => p.ParseInto(line, cols, ids, f, n, out _)));
        await Phase("+ staging spool (by bucket)", async () =>
        {
            await Task.CompletedTask;
            var p = new EventLineParser();
            var ids = new Utf8ValueIds(new Utf8ValueTable());
            var cols = new ParsedEvents(16_384, ids.Table);
            var path = Path.Combine(Path.GetTempPath(), "profile-staging.spool");
            using (var w = EventStagingWriter.Create(path))
            {
                foreach (var f in files)
                {
                    using var s = File.OpenRead(f);
                    var r = new NdjsonLineReader(s, 1 << 20);
                    cols.SetSourceKey(f, ids);
                    while (r.TryReadLine(out var line))
                    {
                        p.ParseInto(line.Span, cols, ids, f, r.LineNumber, out _);
                        if (cols.IsFull) { w.Append(cols); cols.Clear(); cols.SetSourceKey(f, ids); }
                    }
                    w.Append(cols);
                    cols.Clear();
                }
                w.Complete();
                Console.Write($"[{new FileInfo(path).Length / 1e6:F1} MB] ");
                File.Delete(path);
                return w.RowsWritten;
            }
        });
        return 0;

        async Task Phase(string name, Func<Task<long>> body)
        {
            for (var i = 0; i < 2; i++)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var gc = GC.CollectionCount(0);
                var sw = Stopwatch.StartNew();
                var n = await body();
                Console.WriteLine($"  {name,-45} {n,12:N0}  wall {sw.Elapsed.TotalSeconds,6:F2} s  cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds,6:F2} s  gen0 {GC.CollectionCount(0) - gc}");
            }
        }
    }

    private delegate bool ParseStep(EventLineParser parser, ReadOnlySpan<byte> line, ParsedEvents columns, Utf8ValueIds ids, string file, long lineNumber);

    /// <summary>Splits every file into lines and gives each to <paramref name="step"/>; returns how many it took.</summary>
    private static Task<long> ParseAll(IReadOnlyList<string> files, ParseStep step)
    {
        long rows = 0;
        var p = new EventLineParser();
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var cols = new ParsedEvents(16_384, ids.Table);
        foreach (var f in files)
        {
            using var s = File.OpenRead(f);
            var r = new NdjsonLineReader(s, 1 << 20);
            cols.SetSourceKey(f, ids);
            while (r.TryReadLine(out var line))
            {
                if (step(p, line.Span, cols, ids, f, r.LineNumber)) rows++;
                if (cols.IsFull) { cols.Clear(); cols.SetSourceKey(f, ids); }
            }
            cols.Clear();
        }
        return Task.FromResult(rows);
    }
}
