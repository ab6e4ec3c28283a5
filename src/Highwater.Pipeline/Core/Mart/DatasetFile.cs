namespace Highwater.Pipeline.Core.Mart;

/// <summary>A local Parquet file of a dataset and its Hive partition values (e.g. dt → 2024-01-31).</summary>
public sealed record DatasetFile(string Path, IReadOnlyDictionary<string, string> PartitionValues)
{
    /// <summary>
    /// A file with partition values read from the <c>name=value</c> folders between <paramref name="datasetRoot"/>
    /// and the file, e.g. <c>root/dt=2024-01-31/part-0.parquet</c> → dt=2024-01-31.
    /// </summary>
    public static DatasetFile FromPath(string datasetRoot, string path)
    {
        var relative = System.IO.Path.GetRelativePath(datasetRoot, path);
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var folders = relative.Split([System.IO.Path.DirectorySeparatorChar, System.IO.Path.AltDirectorySeparatorChar]);
        foreach (var folder in folders[..^1])
        {
            int eq = folder.IndexOf('=');
            if (eq > 0) values[folder[..eq]] = Uri.UnescapeDataString(folder[(eq + 1)..]);
        }

        return new DatasetFile(path, values);
    }

    /// <summary>Every <c>*.parquet</c> file under the root, in ordinal path order, with partition values from folder names.</summary>
    public static IReadOnlyList<DatasetFile> Discover(string datasetRoot) =>
        Directory.Exists(datasetRoot)
            ? Directory.EnumerateFiles(datasetRoot, "*.parquet", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal)
                .Select(p => FromPath(datasetRoot, p))
                .ToList()
            : [];
}
