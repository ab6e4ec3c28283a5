using System.Text;
using Highwater.Manifest;
using Highwater.Storage;
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
            RunId = "run-1", Partitions = ["2026-01-24", "2026-01-25"],
        };
        m.Files["events/2026-01-26/file_b.json"] = new ProcessedFile
        {
            ETag = "\"quoted-etag\"", Size = 1, Arrival = new DateTimeOffset(2026, 1, 26, 23, 59, 30, 123, TimeSpan.Zero),
            RunId = "run-2", Partitions = ["2026-01-26"],
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
        Assert.Contains("\"format\": 1", text);
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
    [InlineData(2)]
    [InlineData(99)]
    public async Task Wrong_format_number_is_rejected(int format)
    {
        WriteRaw($"{{\"format\": {format}, \"version\": 3, \"files\": {{}}, \"datasets\": {{}} }}");

        var e = await Assert.ThrowsAsync<PipelineStateException>(() => HighWatermarkManifest.LoadAsync(_warehouse));

        Assert.Contains(HighWatermarkManifest.Key, e.Message);
        Assert.Contains($"format {format}", e.Message);
        Assert.Contains($"format {HighWatermarkManifest.CurrentFormat}", e.Message);
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
