namespace Highwater.Pipeline.Core.Schema;

/// <summary>
/// Where each dataset's files live in the warehouse: <c>gold/&lt;dataset&gt;/dt=YYYY-MM-DD/</c>, the order index under
/// <c>_highwater/order-index/bucket=NN/</c>, and how a part file's name carries the run that wrote it.
/// </summary>
public static class WarehouseLayout
{
    /// <summary>The order index's name among the manifest's datasets.</summary>
    public const string OrderIndexDataset = "order_index";

    /// <summary>The folder of the order index's buckets.</summary>
    public const string OrderIndexRoot = "_highwater/order-index/";

    /// <summary>Where a dataset's files live: gold/&lt;dataset&gt;/, or the order index under _highwater/.</summary>
    public static string DatasetRoot(string dataset) => dataset == OrderIndexDataset ? OrderIndexRoot : $"gold/{dataset}/";

    public static string PartitionPrefix(string dataset, string partition) =>
        dataset == OrderIndexDataset ? $"{OrderIndexRoot}bucket={partition}/" : $"gold/{dataset}/dt={partition}/";

    /// <summary>The run id in a part file's name (<c>part-&lt;run id&gt;-NNNNN.ext</c>), or null for another name.</summary>
    public static string? RunOf(string key)
    {
        var name = Path.GetFileName(key);
        if (!name.StartsWith("part-", StringComparison.Ordinal)) return null;
        var dot = name.IndexOf('.');
        var stem = dot < 0 ? name : name[..dot];
        var dash = stem.LastIndexOf('-');
        return dash <= "part-".Length ? null : stem["part-".Length..dash];
    }
}
