using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Highwater.Manifest;

/// <summary>
/// What Discover found: the source file versions not yet processed, against a given manifest version.
/// Its <see cref="BatchId"/> keys every later stage's up-to-date check: a stage whose stamp holds the
/// current batch id has done its work; an empty plan means there is nothing to do.
/// </summary>
public sealed class BatchPlan
{
    public const string NothingNew = "none";

    public string BatchId { get; set; } = NothingNew;
    public string RunId { get; set; } = "";
    public string Landing { get; set; } = "";
    public string Warehouse { get; set; } = "";
    public long ManifestVersion { get; set; }
    public DateTimeOffset DiscoveredAt { get; set; }
    public List<PlannedFile> Files { get; set; } = [];

    /// <summary>Null for an incremental batch; a backfill's date range or a full refresh otherwise.</summary>
    public RebuildScope? Scope { get; set; }

    [JsonIgnore] public bool IsEmpty => Files.Count == 0;

    [JsonIgnore] public long TotalBytes => Files.Sum(f => f.Size);

    public static string ComputeBatchId(string landing, string warehouse, long manifestVersion, IEnumerable<PlannedFile> files, RebuildScope? scope = null)
    {
        var text = new StringBuilder().Append(landing).Append('\n').Append(warehouse).Append('\n').Append(manifestVersion).Append('\n');
        if (scope is not null) text.Append(scope.Describe()).Append('\n');
        var any = false;
        foreach (var f in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            text.Append(f.Key).Append('\t').Append(f.ETag).Append('\t').Append(f.Size).Append('\n');
            any = true;
        }
        if (!any) return NothingNew;
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    public static async Task<BatchPlan> LoadAsync(string path)
    {
        if (!File.Exists(path))
            throw new PipelineStateException($"No batch plan at {path}: run the Discover stage first.");
        await using var s = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync(s, PlanJson.Default.BatchPlan)
            ?? throw new PipelineStateException($"{path} is empty: run the Discover stage again.");
    }

    public string ToJson() => JsonSerializer.Serialize(this, PlanJson.Default.BatchPlan);
}

/// <summary>
/// What a backfill rebuilds: every landed file of the date folders <see cref="From"/>..<see cref="To"/>
/// (inclusive), or with <see cref="FullRefresh"/> every landed file and the whole mart.
/// </summary>
public sealed class RebuildScope
{
    public DateOnly? From { get; set; }
    public DateOnly? To { get; set; }
    public bool FullRefresh { get; set; }

    public bool Contains(DateOnly folder) => FullRefresh || (folder >= From && folder <= To);

    public string Describe() => FullRefresh ? "full refresh" : $"backfill {From:yyyy-MM-dd}..{To:yyyy-MM-dd}";
}

/// <summary>One source file version to process, and the version processed before, if any (a re-upload).</summary>
public sealed record PlannedFile(string Key, string ETag, long Size, DateTimeOffset Arrival, string? PreviousETag);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BatchPlan))]
internal sealed partial class PlanJson : JsonSerializerContext;
