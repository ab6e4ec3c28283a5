namespace Highwater.Tests.Support;

/// <summary>
/// What a reader of a warehouse sees: every row of gold/ read through DuckDB globs, and the manifest's bytes. Two
/// snapshots are equal when nothing published changed.
/// </summary>
public sealed record PublishedWarehouse(string Mart, string Kpi, string Manifest)
{
    public static PublishedWarehouse Of(string warehouse)
    {
        using var db = new DuckDb();
        string All(string dataset) => Directory.Exists(Path.Combine(warehouse, "gold", dataset))
            ? string.Join("\n", db.Rows($"SELECT * FROM read_parquet('{warehouse}/gold/{dataset}/*/*.parquet', hive_partitioning = true) ORDER BY ALL"))
            : "";
        var manifest = Path.Combine(warehouse, "_highwater", "manifest.json");
        return new PublishedWarehouse(All("sales_mart"), All("kpi_daily"), File.Exists(manifest) ? File.ReadAllText(manifest) : "");
    }
}
