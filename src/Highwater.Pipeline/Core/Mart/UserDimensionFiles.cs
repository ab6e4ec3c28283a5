using Highwater.Pipeline.Core.Storage;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// Which objects of the user dimension's store are its files: every <c>*.parquet</c> key none of whose folders or
/// file name (below the store's root) starts with <c>.</c> or <c>_</c>. So what Spark, Hive and Arrow treat as hidden
/// is skipped as they skip it: a job's <c>_temporary/</c> attempts, <c>_SUCCESS</c>, <c>_metadata</c>, checksum files
/// (<c>.part-0.parquet.crc</c>) and editors' or sync tools' dot files. Read by Transform and by the gate's references.
/// </summary>
public static class UserDimensionFiles
{
    public static bool IsDataFile(string key) =>
        key.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) && !IsHidden(key);

    /// <summary>Whether a segment of <paramref name="key"/> starts with <c>.</c> or <c>_</c>.</summary>
    public static bool IsHidden(string key)
    {
        foreach (var segment in key.Split('/', '\\'))
            if (segment.Length > 0 && segment[0] is '.' or '_') return true;
        return false;
    }

    /// <summary>The store's data files, in listing order.</summary>
    public static async Task<List<StoredObject>> ListAsync(IObjectStore store, CancellationToken ct)
    {
        var files = new List<StoredObject>();
        await foreach (var obj in store.ListAsync("", null, ct))
            if (IsDataFile(obj.Key)) files.Add(obj);
        return files;
    }
}
