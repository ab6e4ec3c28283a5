using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Discover;
using Highwater.Pipeline.Status;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>
/// Discover's lookback window: once something is published, listing starts at the date folder
/// <c>LookbackDays</c> days before the newest processed folder. A late file in a folder inside the window
/// is planned; one in an older folder is not listed at all (docs/s3.md, "Discovery and the lookback window") until a
/// run is given a wider window.
/// </summary>
public sealed class DiscoverLookbackTests : IDisposable
{
    private static readonly DateOnly Newest = new(2026, 1, 20);
    private readonly PipelineHarness _h = new();

    public DiscoverLookbackTests()
    {
        // Published: an old folder and the newest one.
        EventFixtures.LandDay(_h.Landing, new DateOnly(2026, 1, 2), "old.json", 10, seed: 1, orderPrefix: "O");
        EventFixtures.LandDay(_h.Landing, Newest, "new.json", 10, seed: 2, orderPrefix: "N");
    }

    private async Task<List<string>> PlannedKeysAsync()
    {
        var plan = await DiscoverStage.RunAsync(_h.Context());
        return plan.Files.Select(f => f.Key).ToList();
    }

    [Fact]
    public async Task Listing_starts_at_the_folder_lookback_days_before_the_newest_processed_one()
    {
        Assert.True(await _h.RunAsync());
        var manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_h.WarehouseRoot));

        var now = new DateTimeOffset(2026, 1, 21, 8, 0, 0, TimeSpan.Zero);
        Assert.Equal("events/2026-01-13", LookbackWindow.ListingStart(manifest, 7, now));
        Assert.Equal("events/2026-01-20", LookbackWindow.ListingStart(manifest, 0, now));
        Assert.Null(LookbackWindow.ListingStart(new HighWatermarkManifest(), 7, now)); // never published: full listing
    }

    [Fact]
    public async Task A_late_file_in_a_folder_inside_the_window_is_planned_and_published()
    {
        Assert.True(await _h.RunAsync());

        // 7 days before the newest processed folder: the oldest folder the default window lists.
        EventFixtures.LandDay(_h.Landing, Newest.AddDays(-7), "late.json", 5, seed: 3, orderPrefix: "L");
        EventFixtures.LandDay(_h.Landing, Newest.AddDays(-3), "late.json", 5, seed: 4, orderPrefix: "M");

        Assert.Equal(["events/2026-01-13/late.json", "events/2026-01-17/late.json"], await PlannedKeysAsync());
        Assert.True(await _h.RunAsync());
        Assert.Empty(await PlannedKeysAsync());
        Assert.True(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold", "sales_mart", "dt=2026-01-13")));
    }

    [Fact]
    public async Task A_late_file_in_a_folder_outside_the_window_is_not_listed_until_the_window_is_widened()
    {
        Assert.True(await _h.RunAsync());

        // 8 days before the newest processed folder: one day outside the default window of 7.
        EventFixtures.LandDay(_h.Landing, Newest.AddDays(-8), "late.json", 5, seed: 5, orderPrefix: "L");

        Assert.Empty(await PlannedKeysAsync());
        Assert.False(await _h.RunAsync()); // nothing new, run after run: the file stays unprocessed
        Assert.Empty(await PlannedKeysAsync());
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold", "sales_mart", "dt=2026-01-12")));
        Assert.Equal(0, (await StatusReport.CollectAsync(_h.Context())).PendingFiles); // status cannot see it either

        // A run with a wider window (--lookback-days=8) finds and publishes it.
        _h.LookbackDays = 8;
        Assert.Equal(["events/2026-01-12/late.json"], await PlannedKeysAsync());
        Assert.True(await _h.RunAsync());
        Assert.True(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold", "sales_mart", "dt=2026-01-12")));

        // Back to the default window: the file is processed, nothing is planned again.
        _h.LookbackDays = PipelineContext.DefaultLookbackDays;
        Assert.Empty(await PlannedKeysAsync());
    }

    [Fact]
    public async Task A_re_upload_in_a_folder_outside_the_window_is_not_seen_either()
    {
        Assert.True(await _h.RunAsync());

        // The old folder's file is replaced with different content: outside the window, so not re-planned.
        EventFixtures.LandDay(_h.Landing, new DateOnly(2026, 1, 2), "old.json", 12, seed: 6, orderPrefix: "O");
        Assert.Empty(await PlannedKeysAsync());

        _h.LookbackDays = 30;
        var planned = await DiscoverStage.RunAsync(_h.Context());
        var only = Assert.Single(planned.Files);
        Assert.Equal("events/2026-01-02/old.json", only.Key);
        Assert.NotNull(only.PreviousETag);
    }

    [Fact]
    public async Task Before_the_first_publish_every_folder_is_listed_whatever_the_window()
    {
        _h.LookbackDays = 0;
        Assert.Equal(["events/2026-01-02/old.json", "events/2026-01-20/new.json"], await PlannedKeysAsync());
    }

    public void Dispose() => _h.Dispose();
}
