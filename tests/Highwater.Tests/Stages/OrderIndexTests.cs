using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>One row per order_id in the whole mart, across partitions, re-uploads and backfills.</summary>
public sealed class OrderIndexTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private static readonly DateOnly Day3 = new(2026, 1, 27);
    private readonly PipelineHarness _h = new();
    private readonly string _users = RepoRoot.Combine("samples", "users");

    private static DateTime At(DateOnly day, int hour) => day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);

    private Task<List<string>> MartAsync() => MartReader.ReadAsync(new LocalFolderStore(_h.WarehouseRoot), _h.WorkRoot + "-read");

    [Fact]
    public async Task Batches_that_retract_nothing_append_index_segments_and_a_re_upload_rewrites_its_buckets_as_one()
    {
        var warehouse = new LocalFolderStore(_h.WarehouseRoot);
        EventFixtures.Land(_h.Landing, Day1, "a.json", [EventFixtures.Event("X", 1001, At(Day1, 8), At(Day1, 9), 1, 5.50m)]);
        Assert.True(await _h.RunAsync());
        var bucket = OrderIndex.BucketOf("X");

        // New orders of the same bucket, and a later version of X: appended, nothing held is rewritten.
        EventFixtures.Land(_h.Landing, Day2, "b.json", [EventFixtures.Event("X", 1001, At(Day2, 8), At(Day2, 9), 2, 5.50m)]);
        Assert.True(await _h.RunAsync());
        var manifest = await HighWatermarkManifest.LoadAsync(warehouse);
        Assert.Equal(2, manifest.PartitionFiles(OrderIndex.Dataset, bucket).Count);
        Assert.Equal(["X|2026-01-26|2|11.00|2026-01-26T09:00:00|events/2026-01-26/b.json"], await MartAsync());

        // A re-upload of b.json retracts its candidates: the bucket is rewritten as one segment, X falls back to a.json.
        var b = EventFixtures.Land(_h.Landing, Day2, "b.json", [EventFixtures.Event("Y", 1002, At(Day2, 8), At(Day2, 10), 4, 5.50m)]);
        File.SetLastWriteTimeUtc(b, DateTime.UtcNow.AddMinutes(1));
        Assert.True(await _h.RunAsync());
        manifest = await HighWatermarkManifest.LoadAsync(warehouse);
        Assert.Single(manifest.PartitionFiles(OrderIndex.Dataset, bucket));
        Assert.Equal(MartReader.Recompute(_h.Landing, _users), await MartAsync());
        Assert.Contains("X|2026-01-25|1|5.50|2026-01-25T09:00:00|events/2026-01-25/a.json", await MartAsync());
    }

    [Fact]
    public async Task A_bucket_with_the_most_segments_is_compacted_into_one()
    {
        var warehouse = new LocalFolderStore(_h.WarehouseRoot);
        var bucket = OrderIndex.BucketOf("X");
        for (var run = 0; run <= OrderIndex.MaxSegments; run++)
        {
            EventFixtures.Land(_h.Landing, Day1, $"f{run:D2}.json", [EventFixtures.Event("X", 1001, At(Day1, 8), At(Day1, 9).AddMinutes(run), run + 1, 1.00m)]);
            Assert.True(await _h.RunAsync());
            var segments = (await HighWatermarkManifest.LoadAsync(warehouse)).PartitionFiles(OrderIndex.Dataset, bucket).Count;
            Assert.Equal(run < OrderIndex.MaxSegments ? run + 1 : 1, segments);
        }
        Assert.Equal(MartReader.Recompute(_h.Landing, _users), await MartAsync());
        Assert.Single(await MartAsync());
    }

    [Fact]
    public async Task A_later_version_on_another_day_moves_the_order_and_an_earlier_one_is_ignored()
    {
        EventFixtures.Land(_h.Landing, Day1, "a.json", [EventFixtures.Event("X", 1001, At(Day1, 8), At(Day1, 9), 1, 5.50m)]);
        Assert.True(await _h.RunAsync());
        EventFixtures.Land(_h.Landing, Day2, "b.json", [EventFixtures.Event("X", 1001, At(Day2, 8), At(Day2, 9), 3, 5.50m)]);
        Assert.True(await _h.RunAsync());
        Assert.Equal(["X|2026-01-26|3|16.50|2026-01-26T09:00:00|events/2026-01-26/b.json"], await MartAsync());

        // A late file with an older version of X for day 3: the later arrival stays.
        EventFixtures.Land(_h.Landing, Day3, "c.json", [EventFixtures.Event("X", 1001, At(Day3, 8), At(Day1, 12), 9, 5.50m)]);
        Assert.True(await _h.RunAsync());
        Assert.Equal(MartReader.Recompute(_h.Landing, _users), await MartAsync());
        Assert.Single(await MartAsync());
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold", "sales_mart", "dt=2026-01-27")));
    }

    [Fact]
    public async Task A_re_upload_that_drops_the_winner_brings_back_the_version_it_had_beaten()
    {
        EventFixtures.Land(_h.Landing, Day1, "a.json", [EventFixtures.Event("X", 1001, At(Day1, 8), At(Day1, 9), 1, 5.50m)]);
        EventFixtures.Land(_h.Landing, Day2, "b.json", [EventFixtures.Event("X", 1002, At(Day2, 8), At(Day2, 9), 2, 5.50m)]);
        Assert.True(await _h.RunAsync());
        Assert.Equal(["X|2026-01-26|2|11.00|2026-01-26T09:00:00|events/2026-01-26/b.json"], await MartAsync());

        var b = EventFixtures.Land(_h.Landing, Day2, "b.json", [EventFixtures.Event("Y", 1002, At(Day2, 8), At(Day2, 10), 4, 5.50m)]);
        File.SetLastWriteTimeUtc(b, DateTime.UtcNow.AddMinutes(1));
        Assert.True(await _h.RunAsync());
        Assert.Equal(MartReader.Recompute(_h.Landing, _users), await MartAsync());
        Assert.Contains("X|2026-01-25|1|5.50|2026-01-25T09:00:00|events/2026-01-25/a.json", await MartAsync());
    }

    [Fact]
    public async Task An_index_written_as_Parquet_by_an_earlier_version_is_read_and_replaced_by_a_segment_when_its_bucket_is_rewritten()
    {
        var warehouse = new LocalFolderStore(_h.WarehouseRoot);
        EventFixtures.Land(_h.Landing, Day1, "a.json", [EventFixtures.Event("X", 1001, At(Day1, 8), At(Day1, 9), 1, 5.50m)]);
        EventFixtures.Land(_h.Landing, Day2, "b.json", [EventFixtures.Event("X", 1002, At(Day2, 8), At(Day2, 9), 2, 5.50m)]);
        Assert.True(await _h.RunAsync());

        // What an earlier version left: every index segment a Parquet file with the filter in its footer.
        var manifest = await HighWatermarkManifest.LoadAsync(warehouse);
        foreach (var files in manifest.Partitions(OrderIndex.Dataset).Values)
            for (var i = 0; i < files.Count; i++)
            {
                var rows = new List<MartRecord>();
                await using (var s = await warehouse.OpenReadAsync(files[i]))
                    Assert.True(await MartTestRows.ReadSegmentAsync(s, files[i], rows, null, null));
                var parquet = Path.ChangeExtension(files[i], ".parquet");
                using (var out_ = new MemoryStream())
                {
                    await MartTestRows.WriteAsync(out_, rows, withOrderIdFilter: true);
                    out_.Position = 0;
                    await warehouse.PutAsync(parquet, out_);
                }
                await warehouse.DeleteAsync(files[i]);
                files[i] = parquet;
            }
        await manifest.SaveAsync(warehouse);

        // A re-upload that drops the winner: the beaten version comes back from the Parquet segment.
        var b = EventFixtures.Land(_h.Landing, Day2, "b.json", [EventFixtures.Event("Y", 1002, At(Day2, 8), At(Day2, 10), 4, 5.50m)]);
        File.SetLastWriteTimeUtc(b, DateTime.UtcNow.AddMinutes(1));
        Assert.True(await _h.RunAsync());
        Assert.Equal(MartReader.Recompute(_h.Landing, _users), await MartAsync());
        Assert.Contains("X|2026-01-25|1|5.50|2026-01-25T09:00:00|events/2026-01-25/a.json", await MartAsync());
        var segment = Assert.Single((await HighWatermarkManifest.LoadAsync(warehouse)).PartitionFiles(OrderIndex.Dataset,
            OrderIndex.BucketOf("X")));
        Assert.EndsWith(".hwidx", segment);
    }

    [Fact]
    public async Task A_backfill_rewrites_its_partitions_and_keeps_rows_there_from_files_of_other_folders()
    {
        EventFixtures.LandDay(_h.Landing, Day1, "a.json", 20, seed: 1, orderPrefix: "A");
        // A file in day 2's folder whose rows belong to day 1.
        EventFixtures.Land(_h.Landing, Day2, "b.json", [EventFixtures.Event("B-1", 1003, At(Day1, 20), At(Day2, 1), 1, 19.99m)]);
        Assert.True(await _h.RunAsync());
        var before = await MartAsync();
        var manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_h.WarehouseRoot));
        var day1File = manifest.PartitionFiles("sales_mart", "2026-01-25").Single();

        Assert.True(await _h.RunAsync(scope: new RebuildScope { From = Day1, To = Day1 }));
        Assert.Equal(before, await MartAsync());
        manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_h.WarehouseRoot));
        Assert.NotEqual(day1File, manifest.PartitionFiles("sales_mart", "2026-01-25").Single()); // rewritten
        Assert.Contains(before, r => r.StartsWith("B-1|2026-01-25|"));
    }

    [Fact]
    public async Task A_full_refresh_rebuilds_from_what_is_landed_and_removes_partitions_no_longer_produced()
    {
        EventFixtures.LandDay(_h.Landing, Day1, "a.json", 10, seed: 1, orderPrefix: "A");
        var gone = EventFixtures.LandDay(_h.Landing, Day3, "c.json", 10, seed: 3, orderPrefix: "C");
        Assert.True(await _h.RunAsync());
        File.Delete(gone); // a source deletion: not propagated by incremental runs, only by a full refresh
        Assert.False(await _h.RunAsync());
        Assert.Equal(20, (await MartAsync()).Count);

        Assert.True(await _h.RunAsync(scope: new RebuildScope { FullRefresh = true }));
        Assert.Equal(MartReader.Recompute(_h.Landing, _users), await MartAsync());
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold", "sales_mart", "dt=2026-01-27")));
        var manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_h.WarehouseRoot));
        Assert.DoesNotContain("events/2026-01-27/c.json", manifest.Files.Keys);
    }

    public void Dispose() => _h.Dispose();
}
