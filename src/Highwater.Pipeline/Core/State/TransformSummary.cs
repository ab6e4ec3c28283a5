using System.Text.Json;
using System.Text.Json.Serialization;

namespace Highwater.Pipeline.Core.State;

/// <summary>What Transform produced: the rebuilt partitions and which partitions each source file fed.</summary>
public sealed class TransformSummary
{
    public string BatchId { get; set; } = "";
    public long BatchRows { get; set; }
    public long UnknownUsers { get; set; }
    public List<PartitionOutput> Partitions { get; set; } = [];
    public Dictionary<string, List<string>> Contributions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The order-index buckets each source file's rows went to.</summary>
    public Dictionary<string, List<string>> BucketContributions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The rewritten order-index buckets.</summary>
    public List<IndexBucketOutput> IndexBuckets { get; set; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, TransformJson.Default.TransformSummary);

    public static TransformSummary Load(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), TransformJson.Default.TransformSummary)
        ?? throw new PipelineStateException($"{path} is empty: run the Transform stage again.");
}

/// <summary>
/// One order-index bucket the batch changed: the local file of its candidate rows (null when it became empty).
/// With <see cref="Append"/> the file holds only the batch's new candidates, a segment added beside the bucket's
/// files; otherwise it holds every candidate and replaces them.
/// </summary>
public sealed record IndexBucketOutput(string Bucket, long Candidates, string? File, bool Append = false);

/// <summary>
/// One rebuilt partition. <see cref="MartFile"/> is null when the partition became empty
/// (its rows were superseded, or came from a re-uploaded file that no longer has rows for that day).
/// </summary>
public sealed record PartitionOutput(string Dt, long Rows, long HeldRows, long BatchRows, string? MartFile, string? KpiFile);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TransformSummary))]
internal sealed partial class TransformJson : JsonSerializerContext;
