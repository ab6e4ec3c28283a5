using System.Text;
using Highwater.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Manifest;

public sealed class HighWatermarkManifestTests : IDisposable
{
    private readonly TempFolder _temp = new("manifest");
    private readonly LocalFolderStore _warehouse;

    public HighWatermarkManifestTests() => _warehouse = new LocalFolderStore(_temp.Combine("warehouse"));

    public void Dispose() => _temp.Dispose();

    private string ManifestPath => _temp.Combine("warehouse", "_highwater", "manifest.json");

    private void WriteRaw(string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ManifestPath)!);
        File.WriteAllText(ManifestPath, text);
    }

    private static HighWatermarkManifest Sample()
    {
        var m = new HighWatermarkManifest
        {
            Version = 7,
            LastRunId = "20260201T060000Z-0123abcd",
            CommittedAt = new DateTimeOffset(2026, 2, 1, 6, 0, 1, TimeSpan.Zero),
            Watermark = new DateTimeOffset(2026, 1, 26, 23, 59, 30, 123, TimeSpan.Zero),
        };
        m.Files["events/2026-01-25/file_a.json"] = new ProcessedFile
        {
            ETag = "1a2b-3c4d", Size = 4242, Arrival = new DateTimeOffset(2026, 1, 25, 9, 0, 0, TimeSpan.Zero),
            RunId = "run-1", Partitions = ["2026-01-24", "2026-01-25"], Buckets = ["00", "07", "42", "63"],
        };
        m.Files["events/2026-01-26/file_b.json"] = new ProcessedFile
        {
            ETag = "\"quoted-etag\"", Size = 1, Arrival = new DateTimeOffset(2026, 1, 26, 23, 59, 30, 123, TimeSpan.Zero),
            RunId = "run-2", Partitions = ["2026-01-26"], Buckets = [.. Enumerable.Range(0, 64).Select(i => i.ToString("D2"))],
        };
        m.Datasets["sales_mart"] = new(StringComparer.Ordinal)
        {
            ["2026-01-25"] = ["gold/sales_mart/dt=2026-01-25/part-1.parquet"],
            ["2026-01-26"] = ["gold/sales_mart/dt=2026-01-26/part-2.parquet", "gold/sales_mart/dt=2026-01-26/part-3.parquet"],
        };
        m.Datasets["kpi_daily"] = new(StringComparer.Ordinal) { ["2026-01-25"] = ["gold/kpi_daily/dt=2026-01-25/part-1.parquet"] };
        return m;
    }

    [Fact]
    public async Task Save_then_load_round_trips_every_field()
    {
        var saved = Sample();

        await saved.SaveAsync(_warehouse);
        var loaded = await HighWatermarkManifest.LoadAsync(_warehouse);

        Assert.True(File.Exists(ManifestPath));
        Assert.Equal(HighWatermarkManifest.CurrentFormat, loaded.Format);
        Assert.Equal(7, loaded.Version);
        Assert.Equal(saved.LastRunId, loaded.LastRunId);
        Assert.Equal(saved.CommittedAt, loaded.CommittedAt);
        Assert.Equal(saved.Watermark, loaded.Watermark);
        Assert.Equal(saved.Files.Keys, loaded.Files.Keys);
        foreach (var (key, file) in saved.Files)
        {
            var back = loaded.Files[key];
            Assert.Equal(file.ETag, back.ETag);
            Assert.Equal(file.Size, back.Size);
            Assert.Equal(file.Arrival, back.Arrival);
            Assert.Equal(file.RunId, back.RunId);
            Assert.Equal(file.Partitions, back.Partitions);
            Assert.Equal(file.Buckets, back.Buckets);
        }
        Assert.Equal(saved.Datasets.Keys, loaded.Datasets.Keys);
        Assert.Equal(saved.PartitionFiles("sales_mart", "2026-01-26"), loaded.PartitionFiles("sales_mart", "2026-01-26"));
        Assert.Equal(saved.PartitionFiles("kpi_daily", "2026-01-25"), loaded.PartitionFiles("kpi_daily", "2026-01-25"));
        Assert.Equal(["2026-01-25", "2026-01-26"], loaded.Partitions("sales_mart").Keys);
        Assert.Equal("v7", loaded.Fingerprint);
    }

    [Fact]
    public async Task Saving_twice_gives_the_same_bytes()
    {
        await Sample().SaveAsync(_warehouse);
        var first = File.ReadAllBytes(ManifestPath);
        var loaded = await HighWatermarkManifest.LoadAsync(_warehouse);

        await loaded.SaveAsync(_warehouse);

        Assert.Equal(first, File.ReadAllBytes(ManifestPath));
    }

    [Fact]
    public async Task Saved_manifest_is_camel_case_json_and_leaves_no_temp_file()
    {
        await Sample().SaveAsync(_warehouse);

        var text = File.ReadAllText(ManifestPath);
        Assert.Contains("\"format\": 2", text);
        Assert.Contains("\"version\": 7", text);
        Assert.Contains("\"watermark\"", text);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(ManifestPath)!));
    }

    [Fact]
    public async Task Missing_manifest_is_an_empty_version_0()
    {
        var m = await HighWatermarkManifest.LoadAsync(_warehouse);

        Assert.Equal(0, m.Version);
        Assert.Equal(HighWatermarkManifest.CurrentFormat, m.Format);
        Assert.Null(m.Watermark);
        Assert.Null(m.LastRunId);
        Assert.Empty(m.Files);
        Assert.Empty(m.Datasets);
        Assert.Empty(m.PartitionFiles("sales_mart", "2026-01-25"));
        Assert.Empty(m.Partitions("sales_mart"));
        Assert.False(File.Exists(ManifestPath)); // loading does not create it
    }

    [Theory]
    [InlineData("{\"format\": 1, \"version\": ")]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("{\"format\": 1, \"version\": \"seven\"}")]
    [InlineData("[1,2,3]")]
    public async Task Corrupt_manifest_is_a_pipeline_state_error_naming_the_key(string text)
    {
        WriteRaw(text);

        var e = await Assert.ThrowsAsync<PipelineStateException>(() => HighWatermarkManifest.LoadAsync(_warehouse));

        Assert.Contains(HighWatermarkManifest.Key, e.Message);
        Assert.Contains(_warehouse.Description, e.Message);
        Assert.Contains("not a valid manifest", e.Message);
    }

    [Fact]
    public async Task Json_null_manifest_is_reported_empty()
    {
        WriteRaw("null");

        var e = await Assert.ThrowsAsync<PipelineStateException>(() => HighWatermarkManifest.LoadAsync(_warehouse));

        Assert.Contains(HighWatermarkManifest.Key, e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(99)]
    public async Task Wrong_format_number_is_rejected(int format)
    {
        WriteRaw($"{{\"format\": {format}, \"version\": 3, \"files\": {{}}, \"datasets\": {{}} }}");

        var e = await Assert.ThrowsAsync<PipelineStateException>(() => HighWatermarkManifest.LoadAsync(_warehouse));

        Assert.Contains(HighWatermarkManifest.Key, e.Message);
        Assert.Contains($"format {format}", e.Message);
        Assert.Contains("reads format 1 and 2", e.Message);
    }

    [Fact]
    public async Task Manifest_written_by_hand_is_read()
    {
        WriteRaw("""
            {"format": 1, "version": 2, "files": {"events/2026-01-25/a.json": {"eTag": "e1", "size": 10, "arrival": "2026-01-25T10:00:00+00:00", "runId": "r", "partitions": ["2026-01-25"]}},
             "datasets": {"sales_mart": {"2026-01-25": ["gold/sales_mart/dt=2026-01-25/p.parquet"]}}, "someFutureField": 1}
            """);

        var m = await HighWatermarkManifest.LoadAsync(_warehouse);

        Assert.Equal(2, m.Version);
        Assert.Equal("e1", m.Files["events/2026-01-25/a.json"].ETag);
        Assert.Equal(["gold/sales_mart/dt=2026-01-25/p.parquet"], m.PartitionFiles("sales_mart", "2026-01-25"));
    }

    [Fact]
    public async Task Buckets_are_saved_as_one_64_bit_mask_per_file()
    {
        await Sample().SaveAsync(_warehouse);

        var text = File.ReadAllText(ManifestPath);
        // file_a: buckets 00, 07, 42 and 63 are bits 0, 7, 42 and 63; file_b: every bucket.
        Assert.Contains("\"buckets\": \"8000040000000081\"", text);
        Assert.Contains("\"buckets\": \"ffffffffffffffff\"", text);
        Assert.DoesNotContain("\"42\"", text);
    }

    [Fact]
    public async Task Bucket_masks_round_trip_every_single_bucket_and_none()
    {
        var m = Sample();
        for (var i = 0; i < 64; i++)
            m.Files[$"events/2026-01-27/one_{i:D2}.json"] = new ProcessedFile { ETag = "e", Size = 1, RunId = "r", Buckets = [i.ToString("D2")] };
        m.Files["events/2026-01-27/none.json"] = new ProcessedFile { ETag = "e", Size = 1, RunId = "r", Buckets = [] };

        await m.SaveAsync(_warehouse);
        var loaded = await HighWatermarkManifest.LoadAsync(_warehouse);

        for (var i = 0; i < 64; i++)
            Assert.Equal([i.ToString("D2")], loaded.Files[$"events/2026-01-27/one_{i:D2}.json"].Buckets);
        Assert.Empty(loaded.Files["events/2026-01-27/none.json"].Buckets);
        Assert.Contains("\"buckets\": \"0000000000000000\"", File.ReadAllText(ManifestPath));
    }

    [Fact]
    public async Task Buckets_that_are_no_bucket_00_to_63_are_kept_as_a_list()
    {
        var m = Sample();
        m.Files["events/2026-01-25/file_a.json"].Buckets = ["07", "64"];
        m.Files["events/2026-01-26/file_b.json"].Buckets = ["x1", "03"];

        await m.SaveAsync(_warehouse);
        var loaded = await HighWatermarkManifest.LoadAsync(_warehouse);

        Assert.Equal(["07", "64"], loaded.Files["events/2026-01-25/file_a.json"].Buckets);
        Assert.Equal(["x1", "03"], loaded.Files["events/2026-01-26/file_b.json"].Buckets);
    }

    [Fact]
    public async Task Format_1_manifest_with_bucket_lists_is_read_and_saved_as_format_2()
    {
        // As the previous build wrote it: format 1, indented, every bucket name listed.
        WriteRaw("""
            {
              "format": 1,
              "version": 5,
              "lastRunId": "20261125T080732Z-5b0f9063",
              "watermark": "2026-01-26T08:03:57.4455306+00:00",
              "files": {
                "events/2026-01-25/a.json": {
                  "eTag": "e1",
                  "size": 10,
                  "arrival": "2026-01-25T10:00:00+00:00",
                  "runId": "r1",
                  "partitions": [
                    "2026-01-25"
                  ],
                  "buckets": [
                    "03",
                    "10",
                    "63"
                  ]
                },
                "events/2026-01-26/b.json": {
                  "eTag": "e2",
                  "size": 20,
                  "arrival": "2026-01-26T10:00:00+00:00",
                  "runId": "r2",
                  "partitions": [],
                  "buckets": []
                },
                "events/2026-01-26/c.json": {
                  "eTag": "e3",
                  "size": 30,
                  "arrival": "2026-01-26T10:00:00+00:00",
                  "runId": "r2",
                  "partitions": [
                    "2026-01-26"
                  ]
                }
              },
              "datasets": {
                "order_index": {
                  "03": [
                    "_highwater/order-index/bucket=03/part-r1-00000.parquet"
                  ]
                }
              }
            }
            """);

        var m = await HighWatermarkManifest.LoadAsync(_warehouse);

        Assert.Equal(1, m.Format);
        Assert.Equal(5, m.Version);
        Assert.Equal(["03", "10", "63"], m.Files["events/2026-01-25/a.json"].Buckets);
        Assert.Empty(m.Files["events/2026-01-26/b.json"].Buckets);
        Assert.Empty(m.Files["events/2026-01-26/c.json"].Buckets); // written before the order index
        Assert.Equal(["_highwater/order-index/bucket=03/part-r1-00000.parquet"], m.PartitionFiles("order_index", "03"));

        await m.SaveAsync(_warehouse);
        var text = File.ReadAllText(ManifestPath);
        var again = await HighWatermarkManifest.LoadAsync(_warehouse);

        Assert.Contains("\"format\": 2", text);
        Assert.Contains("\"buckets\": \"8000000000000408\"", text);
        Assert.Equal(2, again.Format);
        Assert.Equal(["03", "10", "63"], again.Files["events/2026-01-25/a.json"].Buckets);
        Assert.Empty(again.Files["events/2026-01-26/b.json"].Buckets);
        Assert.Equal(m.Files.Keys, again.Files.Keys);
    }

    [Theory]
    [InlineData("\"fffffffffffffff\"")]    // 15 digits
    [InlineData("\"fffffffffffffffff\"")]  // 17 digits
    [InlineData("\"zzzzzzzzzzzzzzzz\"")]
    [InlineData("42")]
    [InlineData("[3]")]
    [InlineData("{}")]
    public async Task Malformed_buckets_are_a_pipeline_state_error(string buckets)
    {
        WriteRaw($$$"""
            {"format": 2, "version": 1, "files": {"events/2026-01-25/a.json": {"eTag": "e1", "size": 10, "arrival": "2026-01-25T10:00:00+00:00", "runId": "r", "partitions": [], "buckets": {{{buckets}}}}}, "datasets": {}}
            """);

        var e = await Assert.ThrowsAsync<PipelineStateException>(() => HighWatermarkManifest.LoadAsync(_warehouse));

        Assert.Contains("not a valid manifest", e.Message);
    }

    [Fact]
    public void IsProcessed_requires_same_key_etag_and_size()
    {
        var m = Sample();
        var at = DateTimeOffset.UnixEpoch;

        Assert.True(m.IsProcessed(new StoredObject("events/2026-01-25/file_a.json", "1a2b-3c4d", 4242, at)));
        Assert.False(m.IsProcessed(new StoredObject("events/2026-01-25/file_a.json", "changed", 4242, at)));
        Assert.False(m.IsProcessed(new StoredObject("events/2026-01-25/file_a.json", "1a2b-3c4d", 4243, at)));
        Assert.False(m.IsProcessed(new StoredObject("events/2026-01-25/other.json", "1a2b-3c4d", 4242, at)));
    }
}
