using System.IO.Compression;
using System.Text.Json;
using Highwater.Pipeline.Core.Reporting;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Discover;
using Highwater.Pipeline.Status;
using Highwater.Tests.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>
/// What Discover takes from a landing zone and what it reports instead of passing over silently: extensions in any
/// case, keys it ignores (bad date folders, sub-folders, other extensions) and hidden ones, named in the log, Status
/// and the run report; future-dated folders, taken without moving the lookback window; links in a local landing
/// folder (cycles not followed, dangling links reported). Each loss case checks the mart a DuckDB glob over gold/ sees.
/// </summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "s3rver")]
[Collection(S3rverCollection.Name)]
public sealed class DiscoverLandingTests(S3rverFixture server) : IDisposable
{
    private static readonly DateOnly Day = new(2026, 1, 25);
    private readonly PipelineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private string Events(string relative) => Path.Combine(_h.Landing, "events", relative);

    private void Write(string relative, string text)
    {
        var path = Events(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static string Lines(string orderPrefix, int count, DateOnly day) => string.Join("\n", Enumerable.Range(0, count).Select(i =>
        EventFixtures.Event($"{orderPrefix}-{i:D3}", 1001, day.ToDateTime(new TimeOnly(8, 0), DateTimeKind.Utc).AddMinutes(i),
            day.ToDateTime(new TimeOnly(9, 0), DateTimeKind.Utc).AddMinutes(i), 1, 5.50m, "EUR"))) + "\n";

    private List<string> GlobOverGold(string sql = "SELECT split_part(order_id, '-', 1) AS p, count(*) FROM {0} GROUP BY p ORDER BY p")
    {
        if (!Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold", "sales_mart"))) return [];
        using var db = new DuckDb();
        return db.Rows(string.Format(sql, DuckDb.Mart(_h.WarehouseRoot)));
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(System.Text.Encoding.UTF8.GetBytes(text));
        return output.ToArray();
    }

    [Theory]
    [InlineData("events/2026-01-25/UPPER.JSON", true)]
    [InlineData("events/2026-01-25/x.Json", true)]
    [InlineData("events/2026-01-25/a.json.GZ", true)]
    [InlineData("events/2026-01-25/a.NDJSON.Gz", true)]
    [InlineData("events/2026-01-25/a.JsonL", true)]
    [InlineData("events/2026-01-25/.json", false)]
    [InlineData("events/2026-01-25/_SUCCESS", false)]
    [InlineData("events/2026-01-25/part-0.json.crc", false)]
    [InlineData("events/_temporary/0/2026-01-25/a.json", false)]
    public void Extensions_are_matched_in_any_case(string key, bool taken)
    {
        Assert.Equal(taken, EventFileRule.IsEventFile(key));
    }

    [Theory]
    [InlineData("events/2026-13-45/x.json", LandedKind.Ignored, "folder '2026-13-45' is not a date YYYY-MM-DD")]
    [InlineData("events/not-a-date/x.json", LandedKind.Ignored, "folder 'not-a-date' is not a date YYYY-MM-DD")]
    [InlineData("events/2026-1-5/x.json", LandedKind.Ignored, "folder '2026-1-5' is not a date YYYY-MM-DD")]
    [InlineData("events/2026-01-25/sub/x.json", LandedKind.Ignored, "in a sub-folder of a date folder (only files directly in events/YYYY-MM-DD/ are read)")]
    [InlineData("events/2026-01-25/notes.csv", LandedKind.Ignored, "not .json, .jsonl or .ndjson (optionally .gz)")]
    [InlineData("events/readme.txt", LandedKind.Ignored, "not in a date folder events/YYYY-MM-DD/")]
    [InlineData("events/2026-01-25/_SUCCESS", LandedKind.Hidden, "hidden (a name starting with '.' or '_')")]
    [InlineData("events/2026-01-25/.part-0.json.crc", LandedKind.Hidden, "hidden (a name starting with '.' or '_')")]
    [InlineData("events/2026-01-25/", LandedKind.Hidden, "a folder marker")]
    public void Keys_not_taken_say_why(string key, LandedKind kind, string reason)
    {
        Assert.Equal(new LandedKey(kind, default, reason), EventFileRule.Classify(key));
    }

    [Fact]
    public async Task Upper_and_mixed_case_extensions_are_processed()
    {
        Write("2026-01-25/UPPER.JSON", Lines("U", 3, Day));
        Write("2026-01-25/x.Json", Lines("X", 2, Day));
        var gz = Events("2026-01-25/a.json.GZ");
        File.WriteAllBytes(gz, Gzip(Lines("G", 4, Day)));

        Assert.True(await _h.RunAsync());

        Assert.Equal(["G|4", "U|3", "X|2"], GlobOverGold());
        Assert.False(await _h.RunAsync()); // processed once
    }

    [Fact]
    public async Task Ignored_keys_are_named_in_the_log_status_and_run_report()
    {
        Write("2026-01-25/a.json", Lines("A", 2, Day));
        string[] ignored =
        [
            "events/2026-01-25/notes.csv", "events/2026-01-25/sub/x.json", "events/2026-1-5/x.json",
            "events/2026-13-45/x.json", "events/not-a-date/x.json", "events/readme.txt",
        ];
        foreach (var key in ignored) Write(key["events/".Length..], Lines("I", 1, Day));
        Write("2026-01-25/_SUCCESS", "");
        Write("2026-01-25/.a.json.crc", "crc");

        var (code, output, _) = await _h.CliAsync("run");

        Assert.Equal(0, code);
        Assert.Contains("warning: Discover: 6 file(s) ignored: events/2026-01-25/notes.csv (not .json, .jsonl or .ndjson (optionally .gz)); " +
                        "events/2026-01-25/sub/x.json (in a sub-folder", output);
        Assert.Contains("… and 1 more", output);
        Assert.Contains("Discover: 2 hidden entries skipped (names starting with '.' or '_', folder markers): events/2026-01-25/.a.json.crc, events/2026-01-25/_SUCCESS", output);
        Assert.Equal(["A|2"], GlobOverGold()); // nothing ignored reached the mart

        var manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_h.WarehouseRoot));
        var report = RunReport.FromJson(File.ReadAllText(Path.Combine(_h.WarehouseRoot, RunReport.WarehousePrefix(manifest.LastRunId!), "report.json")));
        Assert.Equal(6, report.Notes!.IgnoredCount);
        Assert.Equal(ignored, report.Notes.Ignored.Select(k => k.Key));
        Assert.Equal(2, report.Notes.HiddenCount);
        Assert.Contains("events/not-a-date/x.json", File.ReadAllText(Path.Combine(_h.WarehouseRoot, RunReport.WarehousePrefix(manifest.LastRunId!), "report.html")));

        var status = await _h.CliAsync("status");
        Assert.Equal(0, status.Code);
        Assert.Contains("Ignored        6 file(s) ignored: events/2026-01-25/notes.csv", status.Out);
        Assert.Contains("Hidden         2 hidden entries skipped", status.Out);
        var json = await _h.CliAsync("status", "--format=json");
        using var doc = JsonDocument.Parse(json.Out);
        var notes = doc.RootElement.GetProperty("notes");
        Assert.Equal(6, notes.GetProperty("ignoredCount").GetInt32());
        Assert.Equal("folder 'not-a-date' is not a date YYYY-MM-DD",
            notes.GetProperty("ignored").EnumerateArray().Single(e => e.GetProperty("key").GetString() == "events/not-a-date/x.json").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Many_ignored_keys_are_counted_whole_and_listed_up_to_the_cap()
    {
        Write("2026-01-25/a.json", Lines("A", 1, Day));
        for (var i = 0; i < 150; i++) Write($"2026-01-25/skip-{i:D3}.csv", "x");

        var plan = await DiscoverStage.RunAsync(_h.Context());

        Assert.Equal(150, plan.Notes!.IgnoredCount);
        Assert.Equal(LandingNotes.MaxListed, plan.Notes.Ignored.Count);
        Assert.Contains("150 file(s) ignored: events/2026-01-25/skip-000.csv", _h.Output.ToString());
        Assert.Contains("… and 145 more", _h.Output.ToString());
    }

    [Fact]
    public async Task On_S3_keys_in_any_case_are_taken_and_the_rest_reported()
    {
        using var landing = server.CreateStore($"landing-case/{Guid.NewGuid():N}");
        foreach (var (key, text) in new[]
                 {
                     ("events/2026-01-25/UPPER.JSON", Lines("U", 3, Day)), ("events/2026-01-25/x.Json", Lines("X", 2, Day)),
                     ("events/2026-13-45/bad.json", Lines("B", 1, Day)), ("events/2026-01-25/sub/deep.json", Lines("D", 1, Day)),
                     ("events/2026-01-25/_SUCCESS", ""), ("events/2026-01-25/", ""),
                 })
            await landing.PutAsync(key, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)));
        await landing.PutAsync("events/2026-01-25/a.json.GZ", new MemoryStream(Gzip(Lines("G", 4, Day))));
        _h.LandingStore = landing;

        var plan = await DiscoverStage.RunAsync(_h.Context());
        Assert.Equal(["events/2026-01-25/UPPER.JSON", "events/2026-01-25/a.json.GZ", "events/2026-01-25/x.Json"], plan.Files.Select(f => f.Key));
        Assert.Equal(["events/2026-01-25/sub/deep.json", "events/2026-13-45/bad.json"], plan.Notes!.Ignored.Select(k => k.Key));
        Assert.Equal(["events/2026-01-25/", "events/2026-01-25/_SUCCESS"], plan.Notes.Hidden.Select(k => k.Key));

        Assert.True(await _h.RunAsync());
        Assert.Equal(["G|4", "U|3", "X|2"], GlobOverGold());
    }

    [Fact]
    public async Task A_future_dated_folder_is_processed_but_does_not_move_the_window()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 2, 1, 6, 0, 0, TimeSpan.Zero));
        _h.Clock = clock;
        Write("2026-01-30/a.json", Lines("A", 2, new DateOnly(2026, 1, 30)));
        Write("2030-01-01/future.json", Lines("F", 3, new DateOnly(2030, 1, 1)));

        Assert.True(await _h.RunAsync());
        Assert.Contains("warning: Discover: 1 file(s) in 1 future-dated folder(s) (after 2026-02-02, the run's UTC date + 1 day): events/2030-01-01/ (1 file(s))",
            _h.Output.ToString());
        Assert.Equal(["A|2", "F|3"], GlobOverGold());

        // Files landed afterwards in today's folder (and a late one within the window) are still found.
        clock.Advance(TimeSpan.FromHours(1));
        Write("2026-02-01/today.json", Lines("T", 4, new DateOnly(2026, 2, 1)));
        Write("2026-01-26/late.json", Lines("L", 1, new DateOnly(2026, 1, 26)));
        var plan = await DiscoverStage.RunAsync(_h.Context());
        Assert.Equal(["events/2026-01-26/late.json", "events/2026-02-01/today.json"], plan.Files.Select(f => f.Key));
        Assert.Equal([new FutureFolder("events/2030-01-01/", 1, new DateOnly(2026, 2, 2))], plan.Notes!.FutureFolders);

        Assert.True(await _h.RunAsync());
        Assert.Equal(["A|2", "F|3", "L|1", "T|4"], GlobOverGold());
        var manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_h.WarehouseRoot));
        Assert.Equal(new DateOnly(2026, 2, 1), LookbackWindow.Anchor(manifest, clock.Now));
        var report = RunReport.FromJson(File.ReadAllText(Path.Combine(_h.WarehouseRoot, RunReport.WarehousePrefix(manifest.LastRunId!), "report.json")));
        Assert.Equal("events/2030-01-01/", Assert.Single(report.Notes!.FutureFolders).Folder);

        var ctx = _h.Context();
        using var status = new StringWriter();
        var snapshot = await StatusReport.WriteAsync(ctx, "text", status);
        Assert.True(snapshot.UpToDate);
        Assert.Contains("Future         1 file(s) in 1 future-dated folder(s)", status.ToString());
    }

    [Fact]
    public void The_window_anchors_at_the_newest_folder_up_to_tomorrow()
    {
        var now = new DateTimeOffset(2026, 2, 1, 23, 59, 0, TimeSpan.Zero);
        var manifest = new HighWatermarkManifest();
        foreach (var key in (string[])["events/2026-01-20/a.json", "events/2026-02-02/b.json", "events/2026-02-03/c.json", "events/2030-01-01/d.json"])
            manifest.Files[key] = new ProcessedFile { ETag = "e", Size = 1 };

        Assert.Equal(new DateOnly(2026, 2, 2), LookbackWindow.Anchor(manifest, now)); // tomorrow is not the future
        Assert.Equal("events/2026-01-26", LookbackWindow.ListingStart(manifest, 7, now));
        Assert.True(LookbackWindow.IsFuture(new DateOnly(2026, 2, 3), now));
        Assert.False(LookbackWindow.IsFuture(new DateOnly(2026, 2, 2), now));

        var onlyFuture = new HighWatermarkManifest();
        onlyFuture.Files["events/2030-01-01/d.json"] = new ProcessedFile { ETag = "e", Size = 1 };
        Assert.Null(LookbackWindow.ListingStart(onlyFuture, 7, now)); // listed whole
    }
}
