using Highwater.Pipeline.Core.Storage;

namespace Highwater.Pipeline.Core.State;

/// <summary>
/// A published file that vanished while this run read it: another run committed in the meantime and removed the
/// files it replaced. That is not a storage failure but a lost race, answered like a manifest that moved since the
/// batch was planned: run again.
/// </summary>
public static class PublishRace
{
    /// <summary>
    /// The <see cref="PipelineStateException"/> to report instead of <paramref name="missing"/> when it names a published
    /// file that the warehouse's manifest no longer lists; null when the file should be there (a real storage fault).
    /// </summary>
    public static async Task<PipelineStateException?> ExplainAsync(IObjectStore warehouse, ObjectNotFoundException missing, CancellationToken ct = default)
    {
        if (!HighWatermarkManifest.PublishedPrefixes.Any(p => missing.Key.StartsWith(p, StringComparison.Ordinal))) return null;
        HighWatermarkManifest now;
        try { now = await HighWatermarkManifest.LoadAsync(warehouse, ct); }
        catch (Exception e) when (e is PipelineStateException or StorageException) { return null; }
        if (now.Datasets.Values.SelectMany(p => p.Values).Any(files => files.Contains(missing.Key))) return null;
        return new PipelineStateException(
            $"Another run published to {warehouse.Description} while this run read it (manifest now v{now.Version}, run {now.LastRunId}; " +
            $"{missing.Key} was replaced): nothing was published by this run; run again from Discover.", missing);
    }
}
