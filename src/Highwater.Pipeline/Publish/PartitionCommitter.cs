using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Publish;

/// <summary>
/// Commits rebuilt partitions to the warehouse so that a failure at any point leaves a readable,
/// consistent state:
/// <list type="number">
/// <item>finish interrupted runs (<see cref="RunJournal"/>: remove their files the manifest does not list);</item>
/// <item>journal the keys this run writes and the keys its commit replaces;</item>
/// <item>put every new part file under a name unique to this run (a hard link on a local warehouse);</item>
/// <item>replace the manifest whole: from now on the new files are the partitions' content;</item>
/// <item>remove the files the new ones replaced, then the journal.</item>
/// </list>
/// A crash before step 4 leaves the old manifest pointing at the old, untouched files; a crash after it
/// leaves the new state committed and only unlisted files behind. Either way the journal names them, and the next
/// run of any writing command removes them (step 1), whether or not it has anything new.
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

    /// <summary>
    /// Deletes part files under the datasets' folders that the manifest does not list but that a run it records wrote
    /// (their names carry the run id): leftovers of a build that kept no journal. Other unlisted files are not provably
    /// ours; they are reported and left alone. Interrupted runs that kept a journal are finished by <see cref="RunJournal"/>.
    /// </summary>
    public async Task<int> RemoveLeftoversAsync(HighWatermarkManifest manifest, IEnumerable<string> datasets, CancellationToken ct)
    {
        var live = manifest.LiveFiles();
        var runs = manifest.RecordedRunIds();
        var removed = 0;
        var foreign = new List<string>();
        foreach (var dataset in datasets)
        {
            await foreach (var obj in _warehouse.ListAsync(WarehouseLayout.DatasetRoot(dataset), null, ct))
            {
                if (live.Contains(obj.Key)) continue;
                if (WarehouseLayout.RunOf(obj.Key) is not { } run || !runs.Contains(run))
                {
                    foreign.Add(obj.Key);
                    continue;
                }
                await _warehouse.DeleteAsync(obj.Key, ct);
                _log.Diagnostic($"removed leftover {obj.Key}");
                removed++;
            }
        }
        if (foreign.Count > 0)
            _log.Warn($"{foreign.Count} file(s) under the datasets' folders are listed by no manifest and written by no run it records " +
                      $"(e.g. {foreign[0]}): left alone; glob readers see them. Remove them by hand if they are not yours.");
        return removed;
    }

    /// <summary>The key each write puts its file under (null to empty the partition), per partition, in order.</summary>
    public static Dictionary<(string Dataset, string Dt), string?> KeysFor(IReadOnlyList<PartitionWrite> writes, string runId)
    {
        var keys = new Dictionary<(string, string), string?>();
        // The key keeps the local file's extension: .parquet for the datasets, .hwidx for order-index segments.
        foreach (var w in writes)
            keys[(w.Dataset, w.Dt)] = w.LocalFile is null ? null : $"{WarehouseLayout.PartitionPrefix(w.Dataset, w.Dt)}part-{runId}-00000{Path.GetExtension(w.LocalFile)}";
        return keys;
    }

    /// <summary>How many part files are put at the same time: S3 uploads overlap their round trips, a local
    /// warehouse its flushes; each one streams, so memory stays a few buffers per upload.</summary>
    public const int ConcurrentUploads = 4;

    /// <summary>
    /// Puts the new files (<see cref="IObjectStore.PutFileAsync"/>: a hard link on a local warehouse, an upload on
    /// S3), up to <see cref="ConcurrentUploads"/> at a time, and returns the keys they now have, per partition, in
    /// the order of <paramref name="writes"/> whatever order the uploads finish in. <see cref="FaultPoints.PublishAfterPart"/>
    /// is reached once per part, in that order, after the part and every one before it are in place; a failure waits
    /// for the uploads in flight to end before it is thrown, so nothing writes to the warehouse after this returns.
    /// </summary>
    public async Task<Dictionary<(string Dataset, string Dt), string?>> UploadAsync(
        IReadOnlyList<PartitionWrite> writes, string runId, CancellationToken ct)
    {
        var keys = KeysFor(writes, runId);
        var inFlight = new Queue<(string Key, string LocalFile, Task Upload)>();
        try
        {
            foreach (var w in writes)
            {
                if (w.LocalFile is null) continue;
                var key = keys[(w.Dataset, w.Dt)]!;
                if (inFlight.Count == ConcurrentUploads) await CompleteOldestAsync(inFlight);
                inFlight.Enqueue((key, w.LocalFile, Task.Run(() => _warehouse.PutFileAsync(key, w.LocalFile, ct), ct)));
            }
            while (inFlight.Count > 0) await CompleteOldestAsync(inFlight);
        }
        catch
        {
            // Let the uploads still running end (their outcome no longer matters) before the failure goes on.
            foreach (var (_, _, upload) in inFlight)
                try { await upload; } catch { /* the first failure is the one reported */ }
            throw;
        }
        return keys;
    }

    private async Task CompleteOldestAsync(Queue<(string Key, string LocalFile, Task Upload)> inFlight)
    {
        var (key, localFile, upload) = inFlight.Peek();
        await upload;
        inFlight.Dequeue();
        _log.Diagnostic($"wrote {key} ({new FileInfo(localFile).Length:N0} bytes)");
        _faults.Reach(FaultPoints.PublishAfterPart);
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
