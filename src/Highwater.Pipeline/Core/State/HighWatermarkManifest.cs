using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Pipeline.Core.State;

/// <summary>
/// The pipeline's committed state, stored in the warehouse at <see cref="Key"/>:
/// every processed source file version (key, ETag, size, arrival time), the high watermark
/// (latest arrival time processed), and the live Parquet files of every published partition.
/// Invariants: a file version is listed once; each partition lists exactly the files readers should see;
/// the manifest is replaced whole (atomic put), and only after the files it lists exist.
/// Format 2 writes a file's order-index buckets as one 64-bit mask (see <see cref="BucketSetJsonConverter"/>) instead of
/// format 1's list of 64 names per file, which made the manifest (and every stage's parse of it) grow by about 1 KB a file;
/// both formats are read, so a warehouse written by an earlier build still loads (and is rewritten as format 2 at its next commit).
/// </summary>
public sealed class HighWatermarkManifest
{
    public const string Key = "_highwater/manifest.json";
    public const int CurrentFormat = 2;

    /// <summary>The formats this build reads: 1 (buckets as lists of names) and 2 (buckets as masks).</summary>
    public static readonly IReadOnlyList<int> ReadableFormats = [1, CurrentFormat];

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

    /// <summary>True when this version of the object is processed (see <see cref="FileVersion.Matches"/>).</summary>
    public bool IsProcessed(StoredObject obj) =>
        Files.TryGetValue(obj.Key, out var seen) && FileVersion.Matches(seen.ETag, seen.Size, obj);

    public IReadOnlyList<string> PartitionFiles(string dataset, string partition) =>
        Datasets.TryGetValue(dataset, out var parts) && parts.TryGetValue(partition, out var files) ? files : [];

    public SortedDictionary<string, List<string>> Partitions(string dataset) =>
        Datasets.TryGetValue(dataset, out var parts) ? parts : new(StringComparer.Ordinal);

    /// <summary>The keys of every file the manifest lists, of one dataset or (null) of all.</summary>
    public HashSet<string> LiveFiles(string? dataset = null) =>
        (dataset is null ? Datasets.Values.SelectMany(p => p.Values) : Partitions(dataset).Values)
            .SelectMany(f => f).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The runs the manifest records: those that processed a file it lists, and the last one. A part file whose
    /// name carries one of them is Highwater's; any other is another tool's.
    /// </summary>
    public HashSet<string> RecordedRunIds() =>
        Files.Values.Select(f => f.RunId).Append(LastRunId ?? "").Where(r => r.Length > 0).ToHashSet(StringComparer.Ordinal);

    /// <summary>A short fingerprint of this state, used to key stage up-to-date checks.</summary>
    public string Fingerprint => $"v{Version}";

    /// <summary>
    /// The committed manifest. A warehouse with no manifest is a new warehouse only while it holds no published data;
    /// otherwise, as for a manifest that records no commit (<c>{}</c>, <c>null</c>) or does not parse, this throws
    /// <see cref="PipelineStateException"/> naming the file and the way out: without the manifest nothing proves which
    /// published files are live, so no run may delete or add any. With <paramref name="rebuild"/> (a full refresh, which
    /// replaces the whole mart by what is landed) an unreadable manifest is reported and read as empty instead;
    /// <see cref="Unreadable"/> then says why.
    /// </summary>
    public static async Task<HighWatermarkManifest> LoadAsync(IObjectStore warehouse, CancellationToken ct = default, bool rebuild = false)
    {
        string? problem;
        var empty = true; // missing, rather than present but recording nothing or unparseable
        if (await warehouse.HeadAsync(Key, ct) is null)
            problem = "is missing";
        else
        {
            // Read whole, then parsed in one synchronous pass: every stage loads the manifest, and the resumable
            // async deserializer costs about twice as much CPU per byte as parsing a span.
            using var bytes = new MemoryStream();
            await using (var body = await warehouse.OpenReadAsync(Key, ct))
                await body.CopyToAsync(bytes, ct);
            try
            {
                var manifest = JsonSerializer.Deserialize(bytes.GetBuffer().AsSpan(0, (int)bytes.Length), ManifestJson.Default.HighWatermarkManifest);
                if (manifest is not null && !ReadableFormats.Contains(manifest.Format))
                    throw new PipelineStateException($"{warehouse.Description}/{Key} has format {manifest.Format}; this build reads format {string.Join(" and ", ReadableFormats)}.");
                // Every commit writes version 1 or later: a manifest without one (e.g. "{}") records nothing.
                if (manifest is { Version: > 0 }) return manifest;
                problem = "is empty (it records no commit)";
                empty = false;
            }
            catch (JsonException e)
            {
                problem = $"is not a valid manifest ({e.Message})";
                empty = false;
            }
        }
        var sample = await PublishedDataAsync(warehouse, ct);
        if (empty && sample is null) return new HighWatermarkManifest();
        if (rebuild) return new HighWatermarkManifest { Unreadable = $"{warehouse.Description}/{Key} {problem}" };
        throw new PipelineStateException(UnreadableMessage(warehouse, problem, sample));
    }

    /// <summary>Why the manifest read by a full refresh was unreadable (null when it was read).</summary>
    [JsonIgnore] public string? Unreadable { get; init; }

    /// <summary>The folders published data lives in; a warehouse holding an object under one of them is not new.</summary>
    public static readonly IReadOnlyList<string> PublishedPrefixes = ["gold/", "_highwater/order_index/"];

    /// <summary>One published object's key, or null when the warehouse holds none.</summary>
    public static async Task<string?> PublishedDataAsync(IObjectStore warehouse, CancellationToken ct = default)
    {
        foreach (var prefix in PublishedPrefixes)
            await foreach (var obj in warehouse.ListAsync(prefix, null, ct))
                return obj.Key;
        return null;
    }

    private static string UnreadableMessage(IObjectStore warehouse, string problem, string? sample) =>
        $"The manifest {warehouse.Description}/{Key} {problem}" +
        (sample is null ? "" : $", but the warehouse holds published data (e.g. {sample})") +
        ": without it no run can tell which published files are live, so nothing is published or deleted. " +
        "Restore the manifest from a backup or your store's object versions, or rebuild the mart from the landing zone with " +
        "./build.sh --target=Backfill --full-refresh: that replaces every published partition by what is landed now, " +
        "so rows whose landed files are gone are lost, and removes the published files the rebuild does not list.";

    /// <summary>Writes the manifest in the current format, whatever format it was read in.</summary>
    public async Task SaveAsync(IObjectStore warehouse, CancellationToken ct = default)
    {
        Format = CurrentFormat;
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
    [JsonConverter(typeof(BucketSetJsonConverter))]
    public List<string> Buckets { get; set; } = [];
}

/// <summary>
/// A file's order-index buckets in the manifest. Written as 16 lower-case hex digits, a 64-bit mask whose bit n
/// (value 2^n) stands for bucket <c>NN</c> (so <c>"ffffffffffffffff"</c> is every bucket, <c>"0000000000000005"</c>
/// buckets 00 and 02); read back as the names in ascending order. A list holding a name that is not a bucket
/// 00..63 (or a duplicate) is written as the JSON array of names, as is every list in format 1; both forms are read.
/// </summary>
public sealed class BucketSetJsonConverter : JsonConverter<List<string>>
{
    private const int Width = 64;
    private static readonly string[] Names = Enumerable.Range(0, Width).Select(i => i.ToString("D2", CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The mask of <paramref name="buckets"/>, or null when one of them is not a bucket 00..63 or is repeated.</summary>
    public static ulong? ToMask(IEnumerable<string> buckets)
    {
        ulong mask = 0;
        foreach (var name in buckets)
        {
            if (name is not [>= '0' and <= '9', >= '0' and <= '9']) return null;
            var n = (name[0] - '0') * 10 + (name[1] - '0');
            if (n >= Width || (mask & 1UL << n) != 0) return null;
            mask |= 1UL << n;
        }
        return mask;
    }

    /// <summary>The bucket names of <paramref name="mask"/>, ascending.</summary>
    public static List<string> FromMask(ulong mask)
    {
        var names = new List<string>(BitOperations.PopCount(mask));
        for (; mask != 0; mask &= mask - 1) names.Add(Names[BitOperations.TrailingZeroCount(mask)]);
        return names;
    }

    public override List<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (text.Length != 16 || !ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var mask))
                    throw new JsonException($"\"{text}\" is not a bucket mask (16 hex digits).");
                return FromMask(mask);
            case JsonTokenType.StartArray:
                var list = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    list.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException("A bucket name must be a string."));
                return list;
            default:
                throw new JsonException($"Buckets must be a mask string or an array of names, not {reader.TokenType}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, List<string> value, JsonSerializerOptions options)
    {
        if (ToMask(value) is { } mask)
        {
            writer.WriteStringValue(mask.ToString("x16", CultureInfo.InvariantCulture));
            return;
        }
        writer.WriteStartArray();
        foreach (var name in value) writer.WriteStringValue(name);
        writer.WriteEndArray();
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HighWatermarkManifest))]
internal sealed partial class ManifestJson : JsonSerializerContext;
