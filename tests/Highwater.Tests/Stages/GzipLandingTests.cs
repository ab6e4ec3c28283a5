using System.IO.Compression;
using Highwater.Storage;
using Highwater.Tests.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>
/// Landed <c>.json.gz</c> files (as Kinesis Firehose and log shippers write them) are read transparently,
/// from a local folder and from S3, and give the same mart as DuckDB's own reading of the compressed files.
/// </summary>
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

    public void Dispose()
    {
        _h.Dispose();
        _source.Dispose();
    }
}
