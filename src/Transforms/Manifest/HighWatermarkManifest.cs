using System.Text.Json;
using System.Text.Json.Serialization;
using Highwater.Storage;

namespace Highwater.Manifest;

/// <summary>
/// The pipeline's committed state, stored in the warehouse at <see cref="Key"/>:
/// every processed source file version (key, ETag, size, arrival time), the high watermark
/// (latest arrival time processed), and the live Parquet files of every published partition.
/// Invariants: a file version is listed once; each partition lists exactly the files readers should see;
/// the manifest is replaced whole (atomic put), and only after the files it lists exist.
/// </summary>
public sealed class HighWatermarkManifest
{
    public const string Key = "_highwater/manifest.json";
    public const int CurrentFormat = 1;

    public int Format { get; set; } = CurrentFormat;

    /// <summary>Incremented by every commit; 0 for a warehouse never published to.</summary>
    public long Version { get; set; }

    public string? LastRunId { get; set; }

    public DateTimeOffset? CommittedAt { get; set; }

    /// <summary>The latest arrival (object modification) time among processed files.</summary>
    public DateTimeOffset? Watermark { get; set; }

    /// <summary>Processed source files by key.</summary>
    public SortedDictionary<string, ProcessedFile> Files { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Dataset name → partition (dt) → live file keys.</summary>
    public SortedDictionary<string, SortedDictionary<string, List<string>>> Datasets { get; set; } = new(StringComparer.Ordinal);

    public bool IsProcessed(StoredObject obj) =>
        Files.TryGetValue(obj.Key, out var seen) && seen.ETag == obj.ETag && seen.Size == obj.Size;

    public IReadOnlyList<string> PartitionFiles(string dataset, string partition) =>
        Datasets.TryGetValue(dataset, out var parts) && parts.TryGetValue(partition, out var files) ? files : [];

    public SortedDictionary<string, List<string>> Partitions(string dataset) =>
        Datasets.TryGetValue(dataset, out var parts) ? parts : new(StringComparer.Ordinal);

    /// <summary>A short fingerprint of this state, used to key stage up-to-date checks.</summary>
    public string Fingerprint => $"v{Version}";

    public static async Task<HighWatermarkManifest> LoadAsync(IObjectStore warehouse, CancellationToken ct = default)
    {
        if (await warehouse.HeadAsync(Key, ct) is null) return new HighWatermarkManifest();
        await using var body = await warehouse.OpenReadAsync(Key, ct);
        try
        {
            var manifest = await JsonSerializer.DeserializeAsync(body, ManifestJson.Default.HighWatermarkManifest, ct)
                ?? throw new PipelineStateException($"{warehouse.Description}/{Key} is empty.");
            if (manifest.Format != CurrentFormat)
                throw new PipelineStateException($"{warehouse.Description}/{Key} has format {manifest.Format}; this build reads format {CurrentFormat}.");
            return manifest;
        }
        catch (JsonException e)
        {
            throw new PipelineStateException($"{warehouse.Description}/{Key} is not a valid manifest: {e.Message}", e);
        }
    }

    public async Task SaveAsync(IObjectStore warehouse, CancellationToken ct = default)
    {
        using var buffer = new MemoryStream();
        await JsonSerializer.SerializeAsync(buffer, this, ManifestJson.Default.HighWatermarkManifest, ct);
        buffer.Position = 0;
        await warehouse.PutAsync(Key, buffer, ct);
    }
}

/// <summary>One processed version of a source file.</summary>
public sealed class ProcessedFile
{
    public string ETag { get; set; } = "";
    public long Size { get; set; }
    public DateTimeOffset Arrival { get; set; }
    public string RunId { get; set; } = "";

    /// <summary>The mart partitions this file's rows went to (so a re-upload can replace them).</summary>
    public List<string> Partitions { get; set; } = [];

    /// <summary>The order-index buckets holding this file's rows (so a re-upload can retract them).</summary>
    public List<string> Buckets { get; set; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HighWatermarkManifest))]
internal sealed partial class ManifestJson : JsonSerializerContext;
