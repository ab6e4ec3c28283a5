using Highwater.Pipeline;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Discover;
using Highwater.Pipeline.Extract;
using Highwater.Pipeline.Transform;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>Transform's join, partitioning and merge rules, through published output read by DuckDB.</summary>
public sealed class TransformStageTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private readonly PipelineHarness _h = new();

    private static DateTime At(DateOnly day, int hour) => day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);

    private List<string> Mart()
    {
        using var db = new DuckDb();
        return db.Rows($"SELECT dt, order_id, qty, total_price, source_key FROM {DuckDb.Mart(_h.WarehouseRoot)} ORDER BY dt, order_id");
    }

    [Fact]
    public async Task Rows_land_in_the_partition_of_their_event_ts_not_of_their_folder()
    {
        EventFixtures.Land(_h.Landing, Day2, "late.json", [
            EventFixtures.Event("O-1", 1001, At(Day1, 23), At(Day2, 1), 2, 1.50m),
            EventFixtures.Event("O-2", 1002, At(Day2, 8), At(Day2, 9), 1, 4.00m),
        ]);
        Assert.True(await _h.RunAsync());
        Assert.Equal([
            "2026-01-25|O-1|2|3.00|events/2026-01-26/late.json",
            "2026-01-26|O-2|1|4.00|events/2026-01-26/late.json",
        ], Mart());
    }

    [Fact]
    public async Task A_partition_the_gate_filters_is_published_with_statistics_a_pruning_reader_can_trust()
    {
        // A quarantine check in the mart's contract: rows with qty above 3 are set aside and the partition is rewritten.
        _h.ContractsOverride = _h.CopyContracts("  - name: qty_at_most_3\n    column: qty\n    max: 3\n    severity: quarantine\n",
            line => line.Replace("max_quarantined_fraction: 0.05", "max_quarantined_fraction: 0.5"));
        EventFixtures.Land(_h.Landing, Day1, "a.json", Enumerable.Range(0, 40).Select(i =>
            EventFixtures.Event($"O-{i:D2}", 1001, At(Day1, 0).AddMinutes(30 * i), At(Day1, 23), 1 + i % 5, 2.00m)).ToArray());

        Assert.True(await _h.RunAsync());

        using var db = new DuckDb();
        Assert.Equal(24L, db.Scalar<long>($"SELECT count(*) FROM {DuckDb.Mart(_h.WarehouseRoot)}"));
        Assert.Equal(0L, db.Scalar<long>($"SELECT count(*) FROM {DuckDb.Mart(_h.WarehouseRoot)} WHERE qty > 3"));
        // A predicate on event_ts that prunes by the file's statistics finds what a full scan finds.
        var noon = $"TIMESTAMPTZ '{Day1:yyyy-MM-dd} 12:00:00+00'";
        Assert.Equal(db.Scalar<long>($"SELECT count(*) FILTER (WHERE event_ts >= {noon}) FROM {DuckDb.Mart(_h.WarehouseRoot)}"),
            db.Scalar<long>($"SELECT count(*) FROM {DuckDb.Mart(_h.WarehouseRoot)} WHERE event_ts >= {noon}"));
        Assert.True(db.Scalar<long>($"SELECT count(*) FROM {DuckDb.Mart(_h.WarehouseRoot)} WHERE event_ts >= {noon}") > 0);
    }

    [Fact]
    public async Task The_staged_batch_is_removed_once_published_and_a_failed_publish_keeps_it()
    {
        EventFixtures.Land(_h.Landing, Day1, "a.json", [EventFixtures.Event("O-1", 1001, At(Day1, 8), At(Day1, 9), 2, 1.50m)]);
        var staged = new WorkArea(_h.WorkRoot).StagingEvents;

        // A run that stops before the commit keeps the staged batch for the rerun of its stages.
        await Assert.ThrowsAsync<InjectedFaultException>(() => _h.RunAsync(faults: FaultInjector.Throwing(FaultPoints.PublishAfterLease)));
        Assert.True(File.Exists(staged), "the staged batch of an uncommitted run was removed");

        Assert.True(await _h.RunAsync());
        Assert.False(File.Exists(staged), "the staged batch outlived its commit");
        Assert.Equal(["2026-01-25|O-1|2|3.00|events/2026-01-25/a.json"], Mart());
    }

    [Fact]
    public async Task A_reupload_replaces_the_rows_of_the_previous_version_in_every_partition_it_touched()
    {
        EventFixtures.Land(_h.Landing, Day2, "f.json", [
            EventFixtures.Event("O-1", 1001, At(Day1, 22), At(Day2, 1), 1, 1.00m),
            EventFixtures.Event("O-2", 1002, At(Day2, 8), At(Day2, 9), 1, 2.00m),
        ]);
        EventFixtures.Land(_h.Landing, Day2, "other.json", [EventFixtures.Event("O-9", 1003, At(Day2, 5), At(Day2, 6), 1, 9.00m)]);
        Assert.True(await _h.RunAsync());
        Assert.Equal(3, Mart().Count);

        // The new version no longer has O-1 (day 1) and changes O-2.
        var path = EventFixtures.Land(_h.Landing, Day2, "f.json", [EventFixtures.Event("O-2", 1002, At(Day2, 8), At(Day2, 9), 3, 2.00m)]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        Assert.True(await _h.RunAsync());

        Assert.Equal([
            "2026-01-26|O-2|3|6.00|events/2026-01-26/f.json",
            "2026-01-26|O-9|1|9.00|events/2026-01-26/other.json",
        ], Mart());
        var manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_h.WarehouseRoot));
        Assert.False(manifest.Partitions("sales_mart").ContainsKey("2026-01-25"));
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold", "sales_mart", "dt=2026-01-25")));
        Assert.Equal(["2026-01-26"], manifest.Files["events/2026-01-26/f.json"].Partitions);
    }

    [Fact]
    public async Task Events_of_unknown_users_are_counted_and_quarantined_with_the_reason()
    {
        // Three orders of one order-index bucket, so the unknown user's row is dropped from the middle of a staged block.
        var ids = Enumerable.Range(1, 1_000).Select(i => $"O-{i}").GroupBy(OrderBuckets.IndexOf).First(g => g.Count() >= 3).Take(3).ToArray();
        EventFixtures.Land(_h.Landing, Day1, "a.json", [
            EventFixtures.Event(ids[0], 1001, At(Day1, 8), At(Day1, 9), 1, 1.00m),
            EventFixtures.Event(ids[1], 777, At(Day1, 8), At(Day1, 9), 1, 1.00m),
            EventFixtures.Event(ids[2], 1002, At(Day1, 10), At(Day1, 11), 3, 2.00m, sku: "SKU-3"),
        ]);
        var ctx = _h.Context();
        await DiscoverStage.RunAsync(ctx);
        await ExtractStage.RunAsync(ctx);
        var summary = await TransformStage.RunAsync(ctx);

        Assert.NotNull(summary);
        Assert.Equal(3, summary.BatchRows);
        Assert.Equal(1, summary.UnknownUsers);
        var quarantined = Assert.Single(File.ReadAllLines(ctx.Work.TransformQuarantine));
        Assert.Contains("unknown user_id 777", quarantined);
        Assert.Contains("\"line\":2", quarantined);
        // The rows after the unknown user's keep their own values and their own users' columns.
        using var db = new DuckDb();
        var users = RepoRoot.Combine("samples", "users", "users.parquet");
        Assert.Equal([$"{ids[0]}|1001|1|1.00|SKU-1|True", $"{ids[2]}|1002|3|6.00|SKU-3|True"], db.Rows(
            $"SELECT m.order_id, m.user_id, m.qty, m.total_price, m.sku, m.country IS NOT DISTINCT FROM u.country AND m.segment IS NOT DISTINCT FROM u.segment " +
            $"AND m.signup_date IS NOT DISTINCT FROM u.signup_date FROM read_parquet('{ctx.Work.MartDir}/*/*.parquet') m JOIN read_parquet('{users}') u USING (user_id) ORDER BY m.user_id"));
    }

    [Fact]
    public async Task Of_one_order_the_later_line_of_a_file_wins_a_tie_of_arrival_and_across_files_the_greater_source_key()
    {
        EventFixtures.Land(_h.Landing, Day1, "a.json", [
            EventFixtures.Event("O-1", 1001, At(Day1, 8), At(Day1, 9), 1, 1.00m),
            EventFixtures.Event("O-2", 1002, At(Day1, 8), At(Day1, 9), 3, 1.00m),
            EventFixtures.Event("O-1", 1001, At(Day1, 8), At(Day1, 9), 2, 1.00m), // the same arrival: the later line wins
        ]);
        EventFixtures.Land(_h.Landing, Day1, "b.json", [
            EventFixtures.Event("O-2", 1002, At(Day1, 8), At(Day1, 9), 4, 1.00m), // the same arrival as a.json's: b.json wins
            EventFixtures.Event("O-3", 1003, At(Day1, 8), At(Day1, 9), 5, 1.00m),
        ]);
        EventFixtures.Land(_h.Landing, Day1, "c.json", [
            EventFixtures.Event("O-3", 1003, At(Day1, 8), At(Day1, 10), 6, 1.00m), // the later arrival wins, whatever the file
        ]);
        Assert.True(await _h.RunAsync());
        Assert.Equal([
            "2026-01-25|O-1|2|2.00|events/2026-01-25/a.json",
            "2026-01-25|O-2|4|4.00|events/2026-01-25/b.json",
            "2026-01-25|O-3|6|6.00|events/2026-01-25/c.json",
        ], Mart());
    }

    [Fact]
    public async Task Transform_refuses_to_run_when_the_warehouse_changed_since_discover()
    {
        EventFixtures.LandDay(_h.Landing, Day1, "a.json", 5, seed: 1, orderPrefix: "A");
        var ctx = _h.Context();
        await DiscoverStage.RunAsync(ctx);
        await ExtractStage.RunAsync(ctx);
        await new HighWatermarkManifest { Version = 7 }.SaveAsync(ctx.Warehouse);

        var error = await Assert.ThrowsAsync<PipelineStateException>(() => TransformStage.RunAsync(ctx));
        Assert.Contains("run again from Discover", error.Message);
    }

    public void Dispose() => _h.Dispose();
}
