using System.Text.Json.Nodes;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Manifest;

/// <summary>A warehouse whose manifest a format-1 build wrote (buckets as lists of names) keeps its guarantees.</summary>
public sealed class ManifestFormatUpgradeTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private readonly PipelineHarness _h = new();
    private readonly string _users = RepoRoot.Combine("samples", "users");

    public void Dispose() => _h.Dispose();

    private static DateTime At(DateOnly day, int hour) => day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);

    private string ManifestPath => Path.Combine(_h.WarehouseRoot, "_highwater", "manifest.json");

    private Task<List<string>> MartAsync() => MartReader.ReadAsync(new LocalFolderStore(_h.WarehouseRoot), _h.WorkRoot + "-read");

    /// <summary>Rewrites the manifest as the previous build wrote it: format 1, every file's buckets as a list of names.</summary>
    private void DowngradeToFormat1()
    {
        var json = JsonNode.Parse(File.ReadAllText(ManifestPath))!.AsObject();
        json["format"] = 1;
        foreach (var (_, file) in json["files"]!.AsObject())
        {
            var mask = Convert.ToUInt64(file!["buckets"]!.GetValue<string>(), 16);
            file["buckets"] = new JsonArray([.. BucketSetJsonConverter.FromMask(mask).Select(name => (JsonNode)JsonValue.Create(name)!)]);
        }
        File.WriteAllText(ManifestPath, json.ToJsonString(new() { WriteIndented = true }));
    }

    [Fact]
    public async Task A_re_upload_retracts_the_buckets_a_format_1_manifest_lists_and_the_next_commit_writes_format_2()
    {
        // Two orders in different buckets, so the re-upload must find X's bucket in the manifest's list.
        var y = Enumerable.Range(0, 100).Select(i => $"Y{i}").First(id => OrderIndex.BucketOf(id) != OrderIndex.BucketOf("X"));
        EventFixtures.Land(_h.Landing, Day1, "a.json",
            [EventFixtures.Event("X", 1001, At(Day1, 8), At(Day1, 9), 1, 5.50m), EventFixtures.Event(y, 1002, At(Day1, 8), At(Day1, 9), 2, 1.00m)]);
        Assert.True(await _h.RunAsync());
        DowngradeToFormat1();
        var before = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_h.WarehouseRoot));
        Assert.Equal(1, before.Format);
        Assert.Equal(new[] { OrderIndex.BucketOf("X"), OrderIndex.BucketOf(y) }.Order(StringComparer.Ordinal), before.Files["events/2026-01-25/a.json"].Buckets);

        // Nothing new: the format-1 manifest is read, nothing is planned, nothing is written.
        var bytes = File.ReadAllBytes(ManifestPath);
        Assert.False(await _h.RunAsync());
        Assert.Equal(bytes, File.ReadAllBytes(ManifestPath));

        // a.json re-uploaded without X, and a new file: X's candidate is retracted from its bucket, so X leaves the mart.
        var a = EventFixtures.Land(_h.Landing, Day1, "a.json", [EventFixtures.Event(y, 1002, At(Day1, 8), At(Day1, 10), 3, 1.00m)]);
        File.SetLastWriteTimeUtc(a, DateTime.UtcNow.AddMinutes(1));
        EventFixtures.Land(_h.Landing, Day2, "b.json", [EventFixtures.Event("Z", 1003, At(Day2, 8), At(Day2, 9), 1, 2.00m)]);
        Assert.True(await _h.RunAsync());

        Assert.Equal(MartReader.Recompute(_h.Landing, _users), await MartAsync());
        Assert.DoesNotContain(await MartAsync(), row => row.StartsWith("X|", StringComparison.Ordinal));
        var after = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_h.WarehouseRoot));
        Assert.Equal(HighWatermarkManifest.CurrentFormat, after.Format);
        Assert.Equal([OrderIndex.BucketOf(y)], after.Files["events/2026-01-25/a.json"].Buckets);
        Assert.Equal([OrderIndex.BucketOf("Z")], after.Files["events/2026-01-26/b.json"].Buckets);
        Assert.DoesNotContain("\"buckets\": [", File.ReadAllText(ManifestPath));
    }
}
