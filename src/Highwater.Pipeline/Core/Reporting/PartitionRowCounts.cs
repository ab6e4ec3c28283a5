using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Parquet;

namespace Highwater.Pipeline.Core.Reporting;

/// <summary>
/// Row counts of the published partitions, read from the Parquet footers of the files the manifest lists
/// (no column data is decoded). Dataset → dt → rows, both sorted ordinally so the output is stable.
/// </summary>
public static class PartitionRowCounts
{
    public static async Task<SortedDictionary<string, SortedDictionary<string, long>>> ReadAsync(
        IObjectStore warehouse, HighWatermarkManifest manifest, CancellationToken ct)
    {
        var result = new SortedDictionary<string, SortedDictionary<string, long>>(StringComparer.Ordinal);
        foreach (var (dataset, partitions) in manifest.Datasets.Where(d => d.Key != OrderIndex.Dataset)) // published datasets only
        {
            var counts = result[dataset] = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var (dt, keys) in partitions)
            {
                long rows = 0;
                foreach (var key in keys) rows += await FileRowsAsync(warehouse, key, ct);
                counts[dt] = rows;
            }
        }
        return result;
    }

    public static async Task<long> FileRowsAsync(IObjectStore warehouse, string key, CancellationToken ct)
    {
        await using var body = await warehouse.OpenReadAsync(key, ct);
        await using var seekable = await SeekableCopy.OfAsync(body, ct);
        try
        {
            await using var reader = await ParquetReader.CreateAsync(seekable, cancellationToken: ct);
            return reader.Metadata?.NumRows ?? 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ParquetException)
        {
            throw new DataException($"{warehouse.Description}/{key}: not a readable Parquet file: {e.Message}", e);
        }
    }
}
