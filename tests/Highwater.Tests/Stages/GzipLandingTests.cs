using System.IO.Compression;
using Highwater.Pipeline;
using Highwater.Tests.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>
/// Landed <c>.json.gz</c> files (as Kinesis Firehose and log shippers write them) are read transparently,
/// from a local folder and from S3, and give the same mart as DuckDB's own reading of the compressed files.
/// </summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "s3rver")]
[Collection(S3rverCollection.Name)]
public sealed class GzipLandingTests(S3rverFixture server) : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private readonly PipelineHarness _h = new();
    private readonly TempFolder _source = new("gzip-source");

    /// <summary>Writes events/DAY/NAME.json.gz (several thousand lines, so the body spans many reads) under the source folder.</summary>
    private string LandCompressed(DateOnly day, string name, int count, int seed, string orderPrefix)
    {
        var plain = EventFixtures.LandDay(_source.Combine("plain"), day, name, count, seed, orderPrefix);
        var relative = Path.GetRelativePath(_source.Combine("plain"), plain) + ".gz";
        var target = _source.Combine("gz", relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        using (var input = File.OpenRead(plain))
        using (var output = File.Create(target))
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
            input.CopyTo(gzip);
        Assert.True(new FileInfo(target).Length < new FileInfo(plain).Length / 2, "the fixture should really be compressed");
        return target;
    }

    private void AssertMartMatchesDuckDbReadingTheGzipFiles(int expectedRows)
    {
        using var db = new DuckDb();
        var mart = DuckDb.Mart(_h.WarehouseRoot);
        var recomputed = DuckDb.RecomputedMart(_source.Combine("gz"), RepoRoot.Combine("samples", "users"), "*.json.gz");
        const string columns = "order_id, user_id, event_ts, arrival_ts, qty, unit_price, total_price, currency, sku, channel, country, segment, dt";
        var expected = db.Rows($"SELECT {columns} FROM {recomputed} ORDER BY order_id");
        Assert.Equal(expectedRows, expected.Count);
        Assert.Equal(expected, db.Rows($"SELECT {columns} FROM {mart} ORDER BY order_id"));
        Assert.All(db.Rows($"SELECT DISTINCT source_key FROM {mart}"), key => Assert.EndsWith(".json.gz", key));
    }

    [Fact]
    public async Task A_gzip_file_in_a_local_landing_folder_is_read_transparently()
    {
        LandCompressed(Day1, "firehose-1.json", 3_000, seed: 1, orderPrefix: "A");
        LandCompressed(Day2, "firehose-2.json", 2_000, seed: 2, orderPrefix: "B");
        TempFolder.CopyDirectory(_source.Combine("gz"), _h.Landing);

        Assert.True(await _h.RunAsync());

        AssertMartMatchesDuckDbReadingTheGzipFiles(5_000);
    }

    [Fact]
    public async Task A_gzip_object_in_an_S3_landing_zone_is_read_transparently()
    {
        var files = new[]
        {
            LandCompressed(Day1, "firehose-1.json", 3_000, seed: 3, orderPrefix: "C"),
            LandCompressed(Day2, "firehose-2.json", 2_000, seed: 4, orderPrefix: "D"),
        };
        using var landing = server.CreateStore($"gzip/{Guid.NewGuid():N}");
        foreach (var file in files)
        {
            await using var s = File.OpenRead(file);
            await landing.PutAsync(Path.GetRelativePath(_source.Combine("gz"), file).Replace('\\', '/'), s);
        }
        _h.LandingStore = landing;

        Assert.True(await _h.RunAsync());

        AssertMartMatchesDuckDbReadingTheGzipFiles(5_000);
        Assert.False(await _h.RunAsync()); // processed: the compressed objects are not planned again
    }

    /// <summary>Several gzip members one after the other, as CloudWatch Logs delivered by Firehose writes them.</summary>
    private string LandMultiMember(DateOnly day, string name, int members, int linesPerMember, int seed)
    {
        var target = _source.Combine("gz", "events", day.ToString("yyyy-MM-dd"), name + ".gz");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        using var output = File.Create(target);
        for (var m = 0; m < members; m++)
        {
            var plain = EventFixtures.LandDay(_source.Combine("plain-" + m), day, name, linesPerMember, seed + m, $"M{m}");
            using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
            using var input = File.OpenRead(plain);
            input.CopyTo(gzip);
        }
        return target;
    }

    private static void Truncate(string file, int keepBytes) => File.WriteAllBytes(file, File.ReadAllBytes(file)[..keepBytes]);

    private async Task AssertRunFailsNamingAndStagesNothingAsync(string key)
    {
        var e = await Assert.ThrowsAsync<DataException>(() => _h.RunAsync());
        Assert.Contains(key, e.Message);
        Assert.Contains("not a complete gzip file", e.Message);
        Assert.False(File.Exists(_h.Context().Work.StagingEvents), "a partial batch reached staging");
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold")));
        Assert.False(File.Exists(Path.Combine(_h.WarehouseRoot, "_highwater", "manifest.json")));
    }

    [Fact]
    public async Task A_gzip_file_of_several_members_is_read_whole()
    {
        LandMultiMember(Day1, "cwlogs.json", members: 4, linesPerMember: 700, seed: 10);
        TempFolder.CopyDirectory(_source.Combine("gz"), _h.Landing);

        Assert.True(await _h.RunAsync());

        using var db = new DuckDb();
        Assert.Equal(["M0|700", "M1|700", "M2|700", "M3|700"],
            db.Rows($"SELECT split_part(order_id, '-', 1) AS member, count(*) FROM {DuckDb.Mart(_h.WarehouseRoot)} GROUP BY member ORDER BY member"));
    }

    [Theory]
    [InlineData(2)]   // cut in the middle of the compressed data
    [InlineData(-4)]  // only the size of the trailer missing
    [InlineData(-8)]  // the whole trailer missing
    public async Task A_truncated_gzip_file_fails_the_run_naming_it_and_nothing_is_staged_or_published(int cut)
    {
        LandCompressed(Day1, "whole.json", 500, seed: 5, orderPrefix: "E");
        var file = LandCompressed(Day1, "cut-off.json", 2_000, seed: 6, orderPrefix: "F");
        var length = (int)new FileInfo(file).Length;
        Truncate(file, cut > 0 ? length / cut : length + cut); // the producer's upload broke off
        TempFolder.CopyDirectory(_source.Combine("gz"), _h.Landing);

        await AssertRunFailsNamingAndStagesNothingAsync("events/2026-01-25/cut-off.json.gz");
    }

    [Fact]
    public async Task A_gzip_file_of_several_members_cut_off_in_its_last_member_fails_the_run()
    {
        var file = LandMultiMember(Day1, "cwlogs.json", members: 3, linesPerMember: 700, seed: 20);
        Truncate(file, (int)new FileInfo(file).Length - 300);
        TempFolder.CopyDirectory(_source.Combine("gz"), _h.Landing);

        await AssertRunFailsNamingAndStagesNothingAsync("events/2026-01-25/cwlogs.json.gz");
    }

    [Fact]
    public async Task A_truncated_gzip_object_in_S3_fails_the_run_naming_it()
    {
        var file = LandCompressed(Day2, "cut-off.json", 2_000, seed: 7, orderPrefix: "G");
        Truncate(file, (int)new FileInfo(file).Length / 3);
        using var landing = server.CreateStore($"gzip/{Guid.NewGuid():N}");
        await using (var s = File.OpenRead(file))
            await landing.PutAsync("events/2026-01-26/cut-off.json.gz", s);
        _h.LandingStore = landing;

        await AssertRunFailsNamingAndStagesNothingAsync("events/2026-01-26/cut-off.json.gz");
    }

    [Theory]
    [InlineData("plain")]   // not gzip at all: plain NDJSON named .json.gz
    [InlineData("corrupt")] // a gzip header, then a damaged deflate stream in the first member
    public async Task A_json_gz_that_is_not_gzip_or_is_corrupt_exits_5_naming_it_and_publishes_nothing(string damage)
    {
        LandCompressed(Day1, "whole.json", 500, seed: 7, orderPrefix: "G");
        var file = LandCompressed(Day1, "damaged.json", 2_000, seed: 8, orderPrefix: "H");
        var bytes = File.ReadAllBytes(file);
        if (damage == "plain") bytes = File.ReadAllBytes(EventFixtures.LandDay(_source.Combine("plain-h"), Day1, "p", 50, 9, "P"));
        else for (var i = 10; i < 40; i++) bytes[i] = 0xFF;
        File.WriteAllBytes(file, bytes);
        TempFolder.CopyDirectory(_source.Combine("gz"), _h.Landing);

        var (code, _, stderr) = await _h.CliAsync("run");

        Assert.Equal(5, code);
        Assert.Contains("events/2026-01-25/damaged.json.gz", stderr);
        Assert.Contains("not a valid gzip file", stderr);
        Assert.DoesNotContain("attempts", stderr);
        Assert.False(File.Exists(_h.Context().Work.StagingEvents), "a partial batch reached staging");
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold")));
        Assert.False(File.Exists(Path.Combine(_h.WarehouseRoot, "_highwater", "manifest.json")));
    }

    public void Dispose()
    {
        _h.Dispose();
        _source.Dispose();
    }
}
