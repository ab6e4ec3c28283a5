using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Discover;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

public sealed class DiscoverStageTests : IDisposable
{
    private const string DayA = "events/2026-01-25/file_a.json";
    private const string DayB = "events/2026-01-26/file_b.json";
    private const string Line = """{"order_id":"O-1","user_id":1001,"event_ts":"2026-01-25T08:00:00Z","arrival_ts":"2026-01-25T09:00:00Z","qty":1,"unit_price":1.00,"currency":"EUR","sku":"S","channel":"web"}""";

    private readonly StageFixture _f = new("discover");

    public void Dispose() => _f.Dispose();

    private Task<BatchPlan> Discover() => DiscoverStage.RunAsync(_f.Context);

    [Fact]
    public async Task New_files_are_planned_with_their_version()
    {
        _f.Land(DayB, Line + "\n");
        _f.Land(DayA, Line + "\n" + Line + "\n");

        var plan = await Discover();

        Assert.Equal([DayA, DayB], plan.Files.Select(f => f.Key));
        foreach (var file in plan.Files)
        {
            var head = (await _f.LandingStore.HeadAsync(file.Key))!;
            Assert.Equal(head.ETag, file.ETag);
            Assert.Equal(head.Size, file.Size);
            Assert.Equal(head.LastModified, file.Arrival);
            Assert.Null(file.PreviousETag);
        }
        Assert.False(plan.IsEmpty);
        Assert.Equal(plan.Files.Sum(f => f.Size), plan.TotalBytes);
        Assert.Equal(0, plan.ManifestVersion);
        Assert.Equal(16, plan.BatchId.Length);
        Assert.Equal($"20260201T060000Z-{plan.BatchId[..8]}", plan.RunId);
        Assert.Equal(_f.Clock.Now, plan.DiscoveredAt);
        Assert.Equal(_f.LandingStore.Description, plan.Landing);
        Assert.Equal(_f.Warehouse.Description, plan.Warehouse);
    }

    [Fact]
    public async Task Plan_and_batch_id_are_written_to_the_work_area()
    {
        _f.Land(DayA, Line + "\n");

        var plan = await Discover();

        Assert.Equal(plan.BatchId, _f.Work.ReadBatchId());
        var stored = await BatchPlan.LoadAsync(_f.Work.PlanFile);
        Assert.Equal(plan.BatchId, stored.BatchId);
        Assert.Equal(plan.Files, stored.Files);
    }

    [Fact]
    public async Task Empty_landing_plans_nothing()
    {
        var plan = await Discover();

        Assert.True(plan.IsEmpty);
        Assert.Equal(BatchPlan.NothingNew, plan.BatchId);
        Assert.Equal("", plan.RunId);
        Assert.Equal(BatchPlan.NothingNew, _f.Work.ReadBatchId());
    }

    [Theory]
    [InlineData("events/2026-01-25/a.json", true)]
    [InlineData("events/2026-01-25/a.jsonl", true)]
    [InlineData("events/2026-01-25/a.ndjson", true)]
    [InlineData("events/2026-01-25/a.json.gz", true)]
    [InlineData("events/2024-02-29/leap.json", true)]
    [InlineData("events/readme.txt", false)]
    [InlineData("events/2026-13-45/x.json", false)]
    [InlineData("events/2025-02-29/not-leap.json", false)]
    [InlineData("other/2026-01-01/x.json", false)]
    [InlineData("events/2026-01-25/sub/x.json", false)]
    [InlineData("events/2026-01-25/x.csv", false)]
    [InlineData("events/2026-01-25/x.json.zip", false)]
    [InlineData("events/2026-1-25/x.json", false)]
    [InlineData("events/2026-01-25/.json.bak", false)]
    [InlineData("xevents/2026-01-25/x.json", false)]
    public void IsEventFile_accepts_only_dated_event_files(string key, bool expected)
    {
        Assert.Equal(expected, DiscoverStage.IsEventFile(key));
    }

    [Fact]
    public async Task Non_event_keys_are_ignored()
    {
        _f.Land(DayA, Line + "\n");
        _f.Land("events/readme.txt", "hello");
        _f.Land("events/2026-13-45/x.json", Line);
        _f.Land("other/2026-01-01/x.json", Line);
        _f.Land("events/2026-01-25/nested/x.json", Line);
        _f.Land("events/2026-01-25/notes.csv", "a,b");

        var plan = await Discover();

        Assert.Equal([DayA], plan.Files.Select(f => f.Key));
    }

    [Fact]
    public async Task Half_written_temp_files_of_the_store_are_not_planned()
    {
        _f.Land(DayA, Line + "\n");
        _f.Land("events/2026-01-25/file_c.json.hw-tmp-0123abcd", Line);

        var plan = await Discover();

        Assert.Equal([DayA], plan.Files.Select(f => f.Key));
    }

    [Fact]
    public async Task File_listed_in_the_manifest_with_its_etag_and_size_is_not_planned()
    {
        _f.Land(DayA, Line + "\n");
        _f.Land(DayB, Line + "\n");
        await _f.SaveManifestListingAsync(1, DayA);

        var plan = await Discover();

        Assert.Equal([DayB], plan.Files.Select(f => f.Key));
        Assert.Equal(1, plan.ManifestVersion);
    }

    [Fact]
    public async Task Everything_processed_plans_nothing()
    {
        _f.Land(DayA, Line + "\n");
        _f.Land(DayB, Line + "\n");
        await _f.SaveManifestListingAsync(4, DayA, DayB);

        var plan = await Discover();

        Assert.True(plan.IsEmpty);
        Assert.Equal(BatchPlan.NothingNew, plan.BatchId);
        Assert.Equal(4, plan.ManifestVersion);
    }

    [Fact]
    public async Task Reupload_with_different_content_is_planned_with_the_previous_etag()
    {
        _f.Land(DayA, Line + "\n");
        _f.Land(DayB, Line + "\n");
        var manifest = await _f.SaveManifestListingAsync(1, DayA, DayB);
        var oldETag = manifest.Files[DayA].ETag;

        _f.Land(DayA, Line + "\n" + Line + "\n"); // different size

        var plan = await Discover();

        var file = Assert.Single(plan.Files);
        Assert.Equal(DayA, file.Key);
        Assert.Equal(oldETag, file.PreviousETag);
        Assert.NotEqual(oldETag, file.ETag);
        Assert.Equal((await _f.LandingStore.HeadAsync(DayA))!.Size, file.Size);
    }

    [Fact]
    public async Task Reupload_of_the_same_size_is_planned_when_its_etag_changes()
    {
        _f.Land(DayA, Line + "\n");
        File.SetLastWriteTimeUtc(_f.LandingPath(DayA), new DateTime(2026, 1, 25, 9, 0, 0, DateTimeKind.Utc));
        var manifest = await _f.SaveManifestListingAsync(1, DayA);

        _f.Land(DayA, Line.Replace("O-1", "O-2") + "\n"); // same length, new content
        File.SetLastWriteTimeUtc(_f.LandingPath(DayA), new DateTime(2026, 1, 25, 10, 0, 0, DateTimeKind.Utc));

        var plan = await Discover();

        var file = Assert.Single(plan.Files);
        Assert.Equal(manifest.Files[DayA].Size, file.Size);
        Assert.Equal(manifest.Files[DayA].ETag, file.PreviousETag);
    }

    [Fact]
    public async Task Late_file_in_an_older_date_folder_is_planned()
    {
        _f.Land(DayA, Line + "\n");
        _f.Land(DayB, Line + "\n");
        await _f.SaveManifestListingAsync(2, DayA, DayB);

        const string late = "events/2026-01-24/late.json";
        _f.Land(late, Line + "\n");
        File.SetLastWriteTimeUtc(_f.LandingPath(late), new DateTime(2026, 1, 20, 0, 0, 0, DateTimeKind.Utc)); // even with an old time

        var plan = await Discover();

        var file = Assert.Single(plan.Files);
        Assert.Equal(late, file.Key);
        Assert.Null(file.PreviousETag);
    }

    [Fact]
    public async Task Rerun_with_nothing_changed_keeps_plan_bytes_and_batch_id()
    {
        _f.Land(DayA, Line + "\n");
        var first = await Discover();
        var planBytes = File.ReadAllBytes(_f.Work.PlanFile);
        _f.Work.MarkDone(StageNames.Extract, first.BatchId);

        _f.Clock.Now = _f.Clock.Now.AddHours(3);
        var second = await Discover();

        Assert.Equal(first.BatchId, second.BatchId);
        Assert.Equal(first.RunId, second.RunId);
        Assert.Equal(first.DiscoveredAt, second.DiscoveredAt);
        Assert.Equal(planBytes, File.ReadAllBytes(_f.Work.PlanFile));
        Assert.Equal(first.BatchId, _f.Work.ReadBatchId());
        Assert.True(_f.Work.IsDone(StageNames.Extract, second.BatchId)); // stage stamps stay valid
    }

    [Fact]
    public async Task Rerun_with_a_new_file_changes_the_batch()
    {
        _f.Land(DayA, Line + "\n");
        var first = await Discover();
        _f.Work.MarkDone(StageNames.Extract, first.BatchId);

        _f.Land(DayB, Line + "\n");
        _f.Clock.Now = _f.Clock.Now.AddHours(1);
        var second = await Discover();

        Assert.NotEqual(first.BatchId, second.BatchId);
        Assert.Equal(2, second.Files.Count);
        Assert.Equal(second.BatchId, _f.Work.ReadBatchId());
        Assert.False(_f.Work.IsDone(StageNames.Extract, second.BatchId));
        Assert.Equal(_f.Clock.Now, (await BatchPlan.LoadAsync(_f.Work.PlanFile)).DiscoveredAt);
    }

    [Fact]
    public async Task Plan_is_rewritten_when_the_batch_id_file_disagrees()
    {
        _f.Land(DayA, Line + "\n");
        var first = await Discover();
        File.WriteAllText(_f.Work.BatchIdFile, "something-else");

        _f.Clock.Now = _f.Clock.Now.AddHours(1);
        var second = await Discover();

        Assert.Equal(first.BatchId, second.BatchId);
        Assert.Equal(first.BatchId, _f.Work.ReadBatchId());
        Assert.Equal(_f.Clock.Now, second.DiscoveredAt);
    }

    [Fact]
    public async Task Corrupt_plan_file_is_replaced()
    {
        _f.Land(DayA, Line + "\n");
        var first = await Discover();
        File.WriteAllText(_f.Work.PlanFile, "{ not json");

        var second = await Discover();

        Assert.Equal(first.BatchId, second.BatchId);
        Assert.Equal(first.BatchId, (await BatchPlan.LoadAsync(_f.Work.PlanFile)).BatchId);
    }

    [Fact]
    public async Task Batch_id_changes_when_the_manifest_version_changes()
    {
        _f.Land(DayA, Line + "\n");
        var first = await Discover();

        await _f.SaveManifestListingAsync(1); // another run published, without this file
        var second = await Discover();

        Assert.Equal(first.Files, second.Files);
        Assert.NotEqual(first.BatchId, second.BatchId);
        Assert.Equal(1, second.ManifestVersion);
        Assert.Equal(second.BatchId, _f.Work.ReadBatchId());
    }

    [Fact]
    public void Batch_id_is_independent_of_file_order_and_sensitive_to_each_part()
    {
        var at = DateTimeOffset.UnixEpoch;
        PlannedFile a = new("events/2026-01-25/a.json", "e1", 10, at, null), b = new("events/2026-01-25/b.json", "e2", 20, at, null);

        var id = BatchPlan.ComputeBatchId("L", "W", 3, [a, b]);

        Assert.Equal(id, BatchPlan.ComputeBatchId("L", "W", 3, [b, a]));
        Assert.NotEqual(id, BatchPlan.ComputeBatchId("L", "W", 4, [a, b]));
        Assert.NotEqual(id, BatchPlan.ComputeBatchId("L2", "W", 3, [a, b]));
        Assert.NotEqual(id, BatchPlan.ComputeBatchId("L", "W2", 3, [a, b]));
        Assert.NotEqual(id, BatchPlan.ComputeBatchId("L", "W", 3, [a with { ETag = "e3" }, b]));
        Assert.NotEqual(id, BatchPlan.ComputeBatchId("L", "W", 3, [a with { Size = 11 }, b]));
        Assert.Equal(BatchPlan.NothingNew, BatchPlan.ComputeBatchId("L", "W", 3, []));
    }
}
