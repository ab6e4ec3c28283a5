using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Discover;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>
/// A local landing folder as operators and tools leave it: files rewritten with the same size and their modification
/// time restored (<c>cp -p</c>, <c>rsync -a</c>, <c>touch -r</c>), manifests written by an earlier release (size+mtime
/// tags), and links: folder links that loop, a linked date folder elsewhere, dangling links. Each run must end (exit 0),
/// name what it could not read, and publish what it could: checked through a DuckDB glob over gold/.
/// </summary>
public sealed class LocalLandingTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 1, 25);
    private readonly PipelineHarness _h = new();
    private readonly TempFolder _elsewhere = new("landing-elsewhere");

    public void Dispose()
    {
        _h.Dispose();
        _elsewhere.Dispose();
    }

    private static string Lines(string orderPrefix, int count, int qty = 1) => string.Join("\n", Enumerable.Range(0, count).Select(i =>
        EventFixtures.Event($"{orderPrefix}-{i:D3}", 1001, Day.ToDateTime(new TimeOnly(8, 0), DateTimeKind.Utc).AddMinutes(i),
            Day.ToDateTime(new TimeOnly(9, 0), DateTimeKind.Utc).AddMinutes(i), qty, 5.50m, "EUR"))) + "\n";

    private string Land(string relative, string text)
    {
        var path = Path.Combine(_h.Landing, "events", relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private List<string> GlobOverGold(string select = "split_part(order_id, '-', 1) AS p, count(*), sum(qty)")
    {
        using var db = new DuckDb();
        return db.Rows($"SELECT {select} FROM {DuckDb.Mart(_h.WarehouseRoot)} GROUP BY ALL ORDER BY ALL");
    }

    [Fact]
    public async Task A_rewrite_with_the_same_size_and_a_restored_mtime_is_reprocessed()
    {
        var path = Land("2026-01-25/a.json", Lines("A", 3, qty: 1));
        var mtime = new DateTime(2026, 1, 25, 10, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, mtime);
        Assert.True(await _h.RunAsync());
        Assert.Equal(["A|3|3"], GlobOverGold());
        var before = (await new LocalFolderStore(_h.Landing).HeadAsync("events/2026-01-25/a.json"))!;

        // What cp -p or rsync -a of a corrected file does: new bytes, same length, the old modification time.
        Thread.Sleep(20); // past the file system's timestamp granularity
        var rewritten = Lines("A", 3, qty: 4);
        Assert.Equal(new FileInfo(path).Length, rewritten.Length);
        File.WriteAllText(path, rewritten);
        File.SetLastWriteTimeUtc(path, mtime);
        var after = (await new LocalFolderStore(_h.Landing).HeadAsync("events/2026-01-25/a.json"))!;
        Assert.Equal((before.Size, before.LastModified), (after.Size, after.LastModified));

        var plan = await DiscoverStage.RunAsync(_h.Context());
        var file = Assert.Single(plan.Files);
        Assert.Equal(before.ETag, file.PreviousETag);
        Assert.True(await _h.RunAsync());
        Assert.Equal(["A|3|12"], GlobOverGold());
        Assert.False(await _h.RunAsync());
    }

    [Fact]
    public async Task A_manifest_from_an_earlier_release_is_not_reprocessed_and_a_changed_file_still_is()
    {
        var a = Land("2026-01-25/a.json", Lines("A", 2));
        var b = Land("2026-01-25/b.json", Lines("B", 2));
        Assert.True(await _h.RunAsync());
        // Rewrite the manifest's tags as releases before stat identity recorded them: size-mtime.
        var warehouse = new LocalFolderStore(_h.WarehouseRoot);
        var manifest = await HighWatermarkManifest.LoadAsync(warehouse);
        foreach (var (key, file) in manifest.Files)
        {
            var info = new FileInfo(Path.Combine(_h.Landing, key));
            file.ETag = $"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}";
        }
        await manifest.SaveAsync(warehouse);

        Assert.True((await DiscoverStage.RunAsync(_h.Context())).IsEmpty);

        File.WriteAllText(b, Lines("B", 2, qty: 3));
        File.SetLastWriteTimeUtc(b, File.GetLastWriteTimeUtc(b).AddSeconds(5));
        var plan = await DiscoverStage.RunAsync(_h.Context());
        Assert.Equal(["events/2026-01-25/b.json"], plan.Files.Select(f => f.Key));
        Assert.True(await _h.RunAsync());
        Assert.Equal(["A|2|2", "B|2|6"], GlobOverGold());
        Assert.Contains("-c", (await HighWatermarkManifest.LoadAsync(warehouse)).Files["events/2026-01-25/b.json"].ETag); // the full tag from now on
        Assert.True(File.Exists(a));
    }

    [Theory]
    [InlineData("1a-8de3b2c4f1a0000", 26, "1a-8de3b2c4f1a0000-c1880a1b2c3d4e5f-i2a", true)]   // an earlier release's tag
    [InlineData("1a-8de3b2c4f1a0000", 27, "1a-8de3b2c4f1a0000-c1880a1b2c3d4e5f-i2a", false)]  // another size
    [InlineData("1a-8de3b2c4f1a0000", 26, "1a-8de3b2c4f1a0001-c1880a1b2c3d4e5f-i2a", false)]  // another mtime
    [InlineData("1a-8de3b2c4f1a0000-c1-i2", 26, "1a-8de3b2c4f1a0000-c3-i2", false)]           // a full tag: ctime counts
    [InlineData("\"9b2cf535f27731c974343645a3985328-2\"", 26, "\"9b2cf535f27731c974343645a3985328-2\"", true)] // S3: the ETag
    [InlineData("\"9b2cf535f27731c974343645a3985328-2\"", 26, "\"9b2cf535f27731c974343645a3985328-2\"-c1", false)]
    public void Version_tags_match_exactly_or_as_an_earlier_release_recorded_them(string recorded, long size, string current, bool same)
    {
        Assert.Equal(same, FileVersion.Matches(recorded, size, new StoredObject("k", current, 26, DateTimeOffset.UnixEpoch)));
    }

    [Fact]
    public async Task Folder_links_that_loop_are_not_followed_and_a_dangling_link_is_reported()
    {
        Land("2026-01-25/a.json", Lines("A", 2));
        Directory.CreateDirectory(Path.Combine(_h.Landing, "events", "x"));
        Directory.CreateDirectory(Path.Combine(_h.Landing, "events", "y"));
        Directory.CreateSymbolicLink(Path.Combine(_h.Landing, "events", "x", "to-y"), "../y");   // two links into each other
        Directory.CreateSymbolicLink(Path.Combine(_h.Landing, "events", "y", "to-x"), "../x");
        Directory.CreateSymbolicLink(Path.Combine(_h.Landing, "events", "2026-01-25", "self"), ".");  // a link to itself
        Directory.CreateSymbolicLink(Path.Combine(_h.Landing, "events", "2026-01-25", "up"), _h.Landing); // to the landing root
        File.CreateSymbolicLink(Path.Combine(_h.Landing, "events", "2026-01-25", "gone.json"), "/nonexistent/gone.json");
        // A date folder that lives elsewhere is read through its link.
        var other = _elsewhere.Combine("2026-01-26");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "b.json"), Lines("B", 3));
        Directory.CreateSymbolicLink(Path.Combine(_h.Landing, "events", "2026-01-26"), other);

        var run = _h.CliAsync("run");
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, "the run hangs on the links");
        var (code, output, error) = await run;

        Assert.True(code == 0, error);
        Assert.Contains("events/2026-01-25/gone.json (a link to nothing (its target does not exist, or the links loop))", output);
        Assert.Contains("events/2026-01-25/self/ (a link back to a folder above it (a cycle): not followed)", output);
        Assert.Contains("events/2026-01-25/up/ (a link back to a folder above it (a cycle): not followed)", output);
        Assert.Contains("events/x/to-y/to-x/ (a link back to a folder above it (a cycle): not followed)", output);
        Assert.DoesNotContain("self/self", output);
        Assert.Equal(["A|2|2", "B|3|3"], GlobOverGold());
    }

    [Fact]
    public async Task Listing_a_folder_with_links_reports_what_it_passed_over()
    {
        var root = _elsewhere.Combine("store");
        var store = new LocalFolderStore(root);
        await store.PutAsync("d/a.txt", new MemoryStream([1]));
        Directory.CreateSymbolicLink(Path.Combine(root, "d", "loop"), "..");
        File.CreateSymbolicLink(Path.Combine(root, "d", "dangling.txt"), Path.Combine(root, "missing.txt"));
        File.CreateSymbolicLink(Path.Combine(root, "d", "linked.txt"), Path.Combine(root, "d", "a.txt"));

        var unlisted = new List<UnlistedEntry>();
        var keys = await store.ListAsync("d/", null, default, unlisted).Select(o => o.Key).ToListAsync();

        Assert.Equal(["d/a.txt", "d/linked.txt"], keys);
        Assert.Equal(["d/dangling.txt", "d/loop/"], unlisted.Select(e => e.Key));
        Assert.Empty(await store.ListAsync("d/", "d/loop/", default, unlisted = []).ToListAsync());
        Assert.Empty(unlisted);
    }
}
