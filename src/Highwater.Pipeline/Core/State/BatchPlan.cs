using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Highwater.Pipeline.Core.State;

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

    /// <summary>What Discover listed but did not take, and future-dated folders; null when there is nothing to say.</summary>
    public LandingNotes? Notes { get; set; }

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

/// <summary>
/// What a listing of the landing zone found besides the files it takes: keys under <c>events/</c> it ignored (with the
/// reason), hidden ones (names starting with '.' or '_', folder markers; counted apart, as Spark and Hive skip them
/// by design) and future-dated folders (taken, but they do not move the lookback window). Lists hold at most
/// <see cref="MaxListed"/> entries each; the counts are complete.
/// </summary>
public sealed class LandingNotes
{
    public const int MaxListed = 100;

    public int IgnoredCount { get; set; }
    public List<NotedKey> Ignored { get; set; } = [];
    public int HiddenCount { get; set; }
    public List<NotedKey> Hidden { get; set; } = [];
    public List<FutureFolder> FutureFolders { get; set; } = [];

    [JsonIgnore] public bool IsEmpty => IgnoredCount == 0 && HiddenCount == 0 && FutureFolders.Count == 0;

    public void Ignore(string key, string reason)
    {
        if (IgnoredCount++ < MaxListed) Ignored.Add(new NotedKey(key, reason));
    }

    public void Hide(string key, string reason)
    {
        if (HiddenCount++ < MaxListed) Hidden.Add(new NotedKey(key, reason));
    }

    /// <summary>"N file(s) ignored: key (reason), … and M more", the first <paramref name="shown"/> named; null when none.</summary>
    public string? DescribeIgnored(int shown = 5) => IgnoredCount == 0 ? null :
        $"{IgnoredCount:N0} file(s) ignored: {string.Join("; ", Ignored.Take(shown).Select(k => $"{k.Key} ({k.Reason})"))}" +
        (IgnoredCount > shown ? $"; … and {IgnoredCount - shown:N0} more" : "");

    /// <summary>"N hidden entr(ies) skipped (…): key, …"; null when none.</summary>
    public string? DescribeHidden(int shown = 3) => HiddenCount == 0 ? null :
        $"{HiddenCount:N0} hidden entr{(HiddenCount == 1 ? "y" : "ies")} skipped (names starting with '.' or '_', folder markers): " +
        string.Join(", ", Hidden.Take(shown).Select(k => k.Key)) + (HiddenCount > shown ? $", … and {HiddenCount - shown:N0} more" : "");

    /// <summary>"N file(s) in future-dated folder(s) …"; null when none.</summary>
    public string? DescribeFuture() => FutureFolders.Count == 0 ? null :
        $"{FutureFolders.Sum(f => f.Files):N0} file(s) in {FutureFolders.Count:N0} future-dated folder(s) (after {FutureFolders[0].LatestExpected:yyyy-MM-dd}, " +
        $"the run's UTC date + 1 day): {string.Join(", ", FutureFolders.Select(f => $"{f.Folder} ({f.Files:N0} file(s))"))}; " +
        "taken, but the lookback window stays anchored at the newest folder not in the future";
}

/// <summary>A key not taken and why.</summary>
public sealed record NotedKey(string Key, string Reason);

/// <summary>A date folder dated after <see cref="LatestExpected"/> (the run's UTC date + 1 day), and how many event files it holds.</summary>
public sealed record FutureFolder(string Folder, int Files, DateOnly LatestExpected);

/// <summary>One source file version to process, and the version processed before, if any (a re-upload).</summary>
public sealed record PlannedFile(string Key, string ETag, long Size, DateTimeOffset Arrival, string? PreviousETag);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BatchPlan))]
internal sealed partial class PlanJson : JsonSerializerContext;
