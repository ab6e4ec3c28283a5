using System.Globalization;

namespace Highwater.Pipeline.Discover;

/// <summary>What Discover does with one key under <c>events/</c>.</summary>
public enum LandedKind
{
    /// <summary>An event file: taken.</summary>
    EventFile,

    /// <summary>A name Spark and Hive treat as hidden (a path segment starting with '.' or '_'), or a folder marker: not taken, counted.</summary>
    Hidden,

    /// <summary>Anything else: not taken, reported by name with the reason.</summary>
    Ignored,
}

/// <summary>The verdict on one key: its kind, the date of its folder (event files only) and why it is not taken.</summary>
public readonly record struct LandedKey(LandedKind Kind, DateOnly Folder, string? Reason);

/// <summary>
/// Which keys under <c>events/</c> are event files: <c>events/YYYY-MM-DD/&lt;name&gt;.json</c> (also <c>.jsonl</c>,
/// <c>.ndjson</c>, any of them followed by <c>.gz</c>; extensions in any case), directly in a folder whose name is a valid
/// calendar date written with four, two and two digits. A key with a path segment starting with '.' or '_' is hidden
/// (Spark's and Hive's rule, as for the user dimension: <c>_SUCCESS</c>, <c>.part-0.json.crc</c>, <c>_temporary/</c>), as
/// is a folder marker (a key ending in '/', which S3 consoles create). Every other key is ignored with a reason.
/// </summary>
public static class EventFileRule
{
    public const string Prefix = "events/";

    private static readonly string[] Extensions = [".json", ".jsonl", ".ndjson"];

    public static LandedKey Classify(string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal)) return Ignore("not under events/");
        var rest = key.AsSpan(Prefix.Length);
        if (rest.IsEmpty || rest[^1] == '/') return new LandedKey(LandedKind.Hidden, default, "a folder marker");
        foreach (var range in rest.Split('/'))
        {
            var segment = rest[range];
            if (segment.Length > 0 && segment[0] is '.' or '_')
                return new LandedKey(LandedKind.Hidden, default, "hidden (a name starting with '.' or '_')");
        }
        var slash = rest.IndexOf('/');
        if (slash < 0) return Ignore("not in a date folder events/YYYY-MM-DD/");
        var folder = rest[..slash];
        if (!DateOnly.TryParseExact(folder, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return Ignore($"folder '{folder}' is not a date YYYY-MM-DD");
        var name = rest[(slash + 1)..];
        if (name.Contains('/')) return Ignore("in a sub-folder of a date folder (only files directly in events/YYYY-MM-DD/ are read)");
        if (!HasEventExtension(name)) return Ignore("not .json, .jsonl or .ndjson (optionally .gz)");
        return new LandedKey(LandedKind.EventFile, date, null);
    }

    /// <summary>True for an event file's key (see <see cref="Classify"/>).</summary>
    public static bool IsEventFile(string key) => Classify(key).Kind == LandedKind.EventFile;

    /// <summary>The date of an event file's folder, or null when the key is not an event file.</summary>
    public static DateOnly? FolderDate(string key) => Classify(key) is { Kind: LandedKind.EventFile } k ? k.Folder : null;

    private static bool HasEventExtension(ReadOnlySpan<char> name)
    {
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) name = name[..^3];
        foreach (var ext in Extensions)
            if (name.Length > ext.Length && name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static LandedKey Ignore(string reason) => new(LandedKind.Ignored, default, reason);
}
