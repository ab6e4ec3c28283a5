using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Tests.Support;

/// <summary>
/// Reads the published mart as a reader would: only the files the manifest lists, through the store
/// (downloaded to a scratch folder), by DuckDB. One "order_id|dt|qty|total_price|arrival_ts|source_key" string a row.
/// </summary>
public static class MartReader
{
    public const string Columns = "order_id, CAST(dt AS VARCHAR), qty, total_price, strftime(arrival_ts, '%Y-%m-%dT%H:%M:%S'), source_key";

    public static async Task<List<string>> ReadAsync(IObjectStore warehouse, string scratch)
    {
        var manifest = await HighWatermarkManifest.LoadAsync(warehouse);
        var files = new List<string>();
        if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        foreach (var key in manifest.Partitions("sales_mart").Values.SelectMany(f => f))
        {
            var path = Path.Combine(scratch, key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using (var body = await warehouse.OpenReadAsync(key))
            await using (var file = File.Create(path))
                await body.CopyToAsync(file);
            files.Add($"'{path}'");
        }
        if (files.Count == 0) return [];
        using var db = new DuckDb();
        return db.Rows($"SELECT {Columns} FROM read_parquet([{string.Join(",", files)}], hive_partitioning = true) ORDER BY ALL");
    }

    /// <summary>The independent recompute over every landed JSON file, in the same row format.</summary>
    public static List<string> Recompute(string landing, string users)
    {
        if (!Directory.EnumerateFiles(Path.Combine(landing, "events"), "*.json", SearchOption.AllDirectories).Any()) return [];
        using var db = new DuckDb();
        return db.Rows($"SELECT {Columns} FROM {DuckDb.RecomputedMart(landing, users)} ORDER BY ALL");
    }
}
