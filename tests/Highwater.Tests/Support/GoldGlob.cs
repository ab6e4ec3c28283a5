using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Xunit;

namespace Highwater.Tests.Support;

/// <summary>
/// What a glob reader (DuckDB, Spark, Athena) sees of a warehouse: every object under <c>gold/</c>, whatever the
/// manifest says, copied to a scratch folder and read by DuckDB with <c>read_parquet('gold/sales_mart/*/*.parquet')</c>.
/// </summary>
public static class GoldGlob
{
    /// <summary>The mart rows a glob over gold/sales_mart/ reads, in <see cref="MartReader"/>'s row format.</summary>
    public static async Task<List<string>> ReadAsync(IObjectStore warehouse, string scratch)
    {
        if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        var any = false;
        await foreach (var obj in warehouse.ListAsync("gold/sales_mart/"))
        {
            var path = Path.Combine(scratch, obj.Key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using (var body = await warehouse.OpenReadAsync(obj.Key))
            await using (var file = File.Create(path))
                await body.CopyToAsync(file);
            any = true;
        }
        if (!any) return [];
        using var db = new DuckDb();
        return db.Rows($"SELECT {MartReader.Columns} FROM read_parquet('{scratch}/gold/sales_mart/*/*.parquet', hive_partitioning = true) ORDER BY ALL");
    }

    /// <summary>
    /// Asserts that gold/ holds exactly the files the manifest lists (a local warehouse's folder is also searched for
    /// temporary names, which listings skip) and that a glob over it reads what the manifest's files hold.
    /// </summary>
    public static async Task AssertMatchesManifestAsync(IObjectStore warehouse, string scratch)
    {
        var manifest = await HighWatermarkManifest.LoadAsync(warehouse);
        var listed = manifest.Datasets.Values.SelectMany(p => p.Values).SelectMany(f => f)
            .Where(k => k.StartsWith("gold/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var stored = new List<string>();
        await foreach (var obj in warehouse.ListAsync("gold/")) stored.Add(obj.Key);
        if (warehouse is LocalFolderStore local && Directory.Exists(Path.Combine(local.Root, "gold")))
            stored = Directory.EnumerateFiles(Path.Combine(local.Root, "gold"), "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(local.Root, f).Replace('\\', '/')).ToList();
        Assert.Equal(listed, stored.Order(StringComparer.Ordinal).ToList());
        Assert.Equal(await MartReader.ReadAsync(warehouse, scratch + "-manifest"), await ReadAsync(warehouse, scratch + "-glob"));
    }
}
