using Highwater.Manifest;
using Highwater.Storage;

namespace Highwater.Stages;

/// <summary>
/// Commits rebuilt partitions to the warehouse so that a failure at any point leaves a readable,
/// consistent state:
/// <list type="number">
/// <item>remove leftovers of interrupted runs (files under a dataset that the manifest does not list);</item>
/// <item>upload every new part file under a name unique to this run;</item>
/// <item>replace the manifest whole: from now on the new files are the partitions' content;</item>
/// <item>remove the files the new ones replaced.</item>
/// </list>
/// A crash before step 3 leaves the old manifest pointing at the old, untouched files; a crash after it
/// leaves the new state committed and only unlisted files behind, which step 1 of the next run removes.
/// </summary>
public sealed class PartitionCommitter
{
    private readonly IObjectStore _warehouse;
    private readonly IStageLog _log;
    private readonly FaultInjector _faults;

    public PartitionCommitter(IObjectStore warehouse, IStageLog log, FaultInjector? faults = null)
    {
        _warehouse = warehouse;
        _log = log;
        _faults = faults ?? FaultInjector.None;
    }

    /// <summary>A partition's new content: a local Parquet file, or null to empty the partition.</summary>
    public sealed record PartitionWrite(string Dataset, string Dt, string? LocalFile);

    /// <summary>Where a dataset's files live: gold/&lt;dataset&gt;/, or the order index under _highwater/.</summary>
    public static string DatasetRoot(string dataset) => dataset == OrderIndex.Dataset ? OrderIndex.Root : $"gold/{dataset}/";

    public static string PartitionPrefix(string dataset, string partition) =>
        dataset == OrderIndex.Dataset ? $"{OrderIndex.Root}bucket={partition}/" : $"gold/{dataset}/dt={partition}/";

    /// <summary>Deletes files under the datasets' folders that the manifest does not list.</summary>
    public async Task<int> RemoveLeftoversAsync(HighWatermarkManifest manifest, IEnumerable<string> datasets, CancellationToken ct)
    {
        var live = manifest.Datasets.Values.SelectMany(p => p.Values).SelectMany(f => f).ToHashSet(StringComparer.Ordinal);
        var removed = 0;
        foreach (var dataset in datasets)
        {
            await foreach (var obj in _warehouse.ListAsync(DatasetRoot(dataset), null, ct))
            {
                if (live.Contains(obj.Key) || !Path.GetFileName(obj.Key).StartsWith("part-", StringComparison.Ordinal)) continue;
                await _warehouse.DeleteAsync(obj.Key, ct);
                _log.Diagnostic($"removed leftover {obj.Key}");
                removed++;
            }
        }
        return removed;
    }

    /// <summary>Uploads the new files and returns the keys they now have, per partition.</summary>
    public async Task<Dictionary<(string Dataset, string Dt), string?>> UploadAsync(
        IReadOnlyList<PartitionWrite> writes, string runId, CancellationToken ct)
    {
        var keys = new Dictionary<(string, string), string?>();
        foreach (var w in writes)
        {
            if (w.LocalFile is null)
            {
                keys[(w.Dataset, w.Dt)] = null;
                continue;
            }
            // The key keeps the local file's extension: .parquet for the datasets, .hwidx for order-index segments.
            var key = $"{PartitionPrefix(w.Dataset, w.Dt)}part-{runId}-00000{Path.GetExtension(w.LocalFile)}";
            await using (var s = File.OpenRead(w.LocalFile))
                await _warehouse.PutAsync(key, s, ct);
            keys[(w.Dataset, w.Dt)] = key;
            _log.Diagnostic($"wrote {key} ({new FileInfo(w.LocalFile).Length:N0} bytes)");
            _faults.Reach(FaultPoints.PublishAfterPart);
        }
        return keys;
    }

    /// <summary>Points the manifest's partitions at the new keys and returns the keys they replace.</summary>
    public static List<string> Repoint(HighWatermarkManifest manifest, Dictionary<(string Dataset, string Dt), string?> keys,
        IReadOnlySet<(string Dataset, string Dt)>? appended = null)
    {
        var replaced = new List<string>();
        foreach (var ((dataset, dt), key) in keys)
        {
            if (!manifest.Datasets.TryGetValue(dataset, out var parts))
                manifest.Datasets[dataset] = parts = new(StringComparer.Ordinal);
            if (appended is not null && appended.Contains((dataset, dt)) && key is not null)
            {
                // An appended segment: the partition keeps its files and gains this one.
                if (!parts.TryGetValue(dt, out var files)) parts[dt] = files = [];
                files.Add(key);
                continue;
            }
            if (parts.TryGetValue(dt, out var old)) replaced.AddRange(old);
            if (key is null) parts.Remove(dt);
            else parts[dt] = [key];
        }
        return replaced;
    }

    public async Task RemoveReplacedAsync(IEnumerable<string> keys, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            await _warehouse.DeleteAsync(key, ct);
            _faults.Reach(FaultPoints.PublishDuringRemove);
        }
    }
}
