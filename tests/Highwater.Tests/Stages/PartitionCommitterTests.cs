using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Publish;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Stages;

/// <summary>
/// The commit protocol under failure: whatever step fails, the previous state stays readable through the
/// manifest, and the next run completes the job with nothing lost or duplicated.
/// </summary>
public sealed class PartitionCommitterTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private readonly PipelineHarness _h = new();

    [Theory]
    [InlineData("put", "gold/sales_mart/")]          // while writing the new part files
    [InlineData("put", "gold/kpi_daily/")]           // after the mart files, before the KPI files
    [InlineData("put", "_highwater/manifest.json")]  // between the partition writes and the manifest commit
    [InlineData("delete", "gold/")]                  // while removing the replaced files
    public async Task A_failure_at_any_commit_step_leaves_a_consistent_mart_and_the_next_run_finishes(string operation, string keyPrefix)
    {
        EventFixtures.LandDay(_h.Landing, Day1, "a.json", 40, seed: 1, orderPrefix: "A");
        Assert.True(await _h.RunAsync());
        var published = await ReadMartAsync();

        EventFixtures.LandDay(_h.Landing, Day1, "b.json", 30, seed: 2, orderPrefix: "B");
        EventFixtures.LandDay(_h.Landing, Day2, "c.json", 30, seed: 3, orderPrefix: "C");
        var local = new LocalFolderStore(_h.WarehouseRoot);
        var faulty = new FaultyStore(local, (op, key) => op == operation && key.StartsWith(keyPrefix, StringComparison.Ordinal));
        await Assert.ThrowsAsync<StorageException>(() => _h.RunAsync(faulty));
        // Part files are put a few at a time: the ones already in flight when the first failed may fail too.
        Assert.InRange(faulty.Failures, 1, PartitionCommitter.ConcurrentUploads);

        // Readers going through the manifest see either the old state or the new one, never a mix.
        var afterFailure = await ReadMartAsync();
        var manifest = await HighWatermarkManifest.LoadAsync(local);
        Assert.True(afterFailure.SetEquals(published) || manifest.Version == 2,
            $"after a failed {operation} of {keyPrefix} the manifest (v{manifest.Version}) shows neither the old nor the new state");

        Assert.True(await _h.RunAsync() || manifest.Version == 2);
        var final = await ReadMartAsync();
        Assert.Equal(100, final.Count);
        Assert.Equal(100, final.Select(r => r.Split('|')[0]).Distinct().Count());

        // No leftover files: every part file on disk is listed by the manifest.
        manifest = await HighWatermarkManifest.LoadAsync(local);
        var listed = manifest.Datasets.Values.SelectMany(p => p.Values).SelectMany(f => f).Where(k => k.StartsWith("gold/")).ToHashSet();
        var onDisk = Directory.EnumerateFiles(Path.Combine(_h.WarehouseRoot, "gold"), "*.parquet", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(_h.WarehouseRoot, f).Replace('\\', '/')).ToHashSet();
        Assert.Subset(onDisk, listed); // every listed file exists
        if (operation != "delete") Assert.Equal(listed, onDisk);
        else
        {
            // The leftovers of the interrupted removal go with the next publish.
            EventFixtures.LandDay(_h.Landing, Day2, "d.json", 5, seed: 4, orderPrefix: "D");
            Assert.True(await _h.RunAsync());
            manifest = await HighWatermarkManifest.LoadAsync(local);
            listed = manifest.Datasets.Values.SelectMany(p => p.Values).SelectMany(f => f).Where(k => k.StartsWith("gold/")).ToHashSet();
            onDisk = Directory.EnumerateFiles(Path.Combine(_h.WarehouseRoot, "gold"), "*.parquet", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(_h.WarehouseRoot, f).Replace('\\', '/')).ToHashSet();
            Assert.Equal(listed, onDisk);
        }
    }

    [Fact]
    public async Task Files_a_publish_linked_from_the_work_area_keep_their_bytes_when_the_next_run_rewrites_it()
    {
        EventFixtures.LandDay(_h.Landing, Day1, "a.json", 40, seed: 1, orderPrefix: "A");
        Assert.True(await _h.RunAsync());
        var first = WarehouseFiles();
        // The local warehouse shares the data of the work area's files (one inode, two names).
        var segment = first.Keys.First(k => k.StartsWith(OrderIndex.Root, StringComparison.Ordinal));
        var bucket = segment[(OrderIndex.Root.Length + "bucket=".Length)..segment.IndexOf('/', OrderIndex.Root.Length)];
        var local = Path.Combine(_h.WorkRoot, "out", "order_index", $"bucket={bucket}", "part.hwidx");
        Assert.Equal(File.ReadAllBytes(local), first[segment]);

        // The next run writes the work area's files at the same paths (Transform, the gate, quarantine); the order
        // index of Day 1's buckets gains segments beside the first run's, which stay listed.
        EventFixtures.LandDay(_h.Landing, Day1, "b.json", 30, seed: 2, orderPrefix: "A");
        EventFixtures.LandDay(_h.Landing, Day2, "c.json", 30, seed: 3, orderPrefix: "C");
        Assert.True(await _h.RunAsync());

        var manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_h.WarehouseRoot));
        var listed = manifest.Datasets.Values.SelectMany(p => p.Values).SelectMany(f => f).ToHashSet();
        var kept = first.Keys.Where(listed.Contains).ToList();
        Assert.Contains(segment, kept);
        Assert.True(File.Exists(local));
        foreach (var key in kept)
            Assert.True(first[key].AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_h.WarehouseRoot, key))), $"{key} changed after the next run");
    }

    /// <summary>Every part file of the warehouse (mart, KPIs, order index) with its bytes.</summary>
    private Dictionary<string, byte[]> WarehouseFiles() =>
        Directory.EnumerateFiles(_h.WarehouseRoot, "part-*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(_h.WarehouseRoot, f).Replace('\\', '/'), File.ReadAllBytes);

    /// <summary>The mart as the manifest lists it, one "order_id|total_price|dt" string a row, read by DuckDB.</summary>
    private async Task<HashSet<string>> ReadMartAsync()
    {
        var manifest = await HighWatermarkManifest.LoadAsync(new LocalFolderStore(_h.WarehouseRoot));
        var files = manifest.Partitions("sales_mart").Values.SelectMany(f => f).Select(f => $"'{Path.Combine(_h.WarehouseRoot, f)}'").ToList();
        if (files.Count == 0) return [];
        using var db = new DuckDb();
        return db.Rows($"SELECT order_id, total_price, dt FROM read_parquet([{string.Join(",", files)}], hive_partitioning = true)").ToHashSet();
    }

    public void Dispose() => _h.Dispose();
}
