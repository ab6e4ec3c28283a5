using System.Runtime.CompilerServices;
using Parquet;

namespace Highwater.Contracts;

/// <summary>Streams Parquet files one row group at a time.</summary>
internal static class DatasetReader
{
    public static async Task<ParquetReader> OpenAsync(DatasetFile file, CancellationToken ct)
    {
        try
        {
            return await ParquetReader.CreateAsync(file.Path, null, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException)
        {
            throw new DataException($"cannot read Parquet file '{file.Path}': {e.Message}", e);
        }
    }

    /// <summary>The batches of one open file, with the partition columns of <paramref name="partitionBy"/> as dates.</summary>
    public static async IAsyncEnumerable<RowBatch> ReadBatchesAsync(
        ParquetReader reader, DatasetFile file, IReadOnlyList<string> partitionBy, [EnumeratorCancellation] CancellationToken ct)
    {
        var partitions = partitionBy
            .Select(p => SchemaComparison.TryParsePartitionDate(file.PartitionValues[p], out var d)
                ? (p, d)
                : throw new DataException($"partition {p} of '{file.Path}' is not a date"))
            .ToList();
        var fields = reader.Schema.DataFields;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            ct.ThrowIfCancellationRequested();
            using var rg = reader.OpenRowGroupReader(g);
            int rows = checked((int)rg.RowCount);
            var columns = new Array[fields.Length];
            for (int c = 0; c < fields.Length; c++)
                columns[c] = await ParquetColumns.ReadAsync(rg, fields[c], rows, ct);
            yield return new RowBatch(file, fields, columns, rows, partitions);
        }
    }

    /// <summary>The normalised values of one column (or partition column) of a file, for key sets.</summary>
    public static async IAsyncEnumerable<object?> ReadColumnAsync(DatasetFile file, string column, [EnumeratorCancellation] CancellationToken ct)
    {
        if (file.PartitionValues.TryGetValue(column, out var partitionText))
        {
            // A partition column of the referenced dataset: the folder value stands for every row.
            object? value = SchemaComparison.TryParsePartitionDate(partitionText, out var d) ? d : partitionText;
            yield return value;
            yield break;
        }

        await using var reader = await OpenAsync(file, ct);
        var field = reader.Schema.DataFields.FirstOrDefault(f => f.Name == column)
            ?? throw new DataException($"referenced column '{column}' is missing from '{file.Path}'");
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var values = await ParquetColumns.ReadAsync(rg, field, checked((int)rg.RowCount), ct);
            for (int i = 0; i < values.Length; i++)
                yield return ContractValues.Normalize(values.GetValue(i));
        }
    }
}
