using Parquet;
using Highwater.Pipeline.Core.Mart;

namespace Highwater.Pipeline.QualityGate;

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

    /// <summary>The partition columns of <paramref name="partitionBy"/> of a file, as dates.</summary>
    public static List<(string Name, DateTime Value)> Partitions(DatasetFile file, IReadOnlyList<string> partitionBy) =>
        partitionBy
            .Select(p => SchemaComparison.TryParsePartitionDate(file.PartitionValues[p], out var d)
                ? (p, d)
                : throw new DataException($"partition {p} of '{file.Path}' is not a date"))
            .ToList();

    /// <summary>Opens row group <paramref name="g"/> as a batch with no column read yet (fails on a column the gate cannot read).</summary>
    public static RowBatch EmptyBatch(ParquetReader reader, ParquetRowGroupReader rg, DatasetFile file,
        IReadOnlyList<(string Name, DateTime Value)> partitions, ColumnBufferPool? pool = null)
    {
        var fields = reader.Schema.DataFields;
        foreach (var f in fields) SupportedColumns.EnsureSupported(f);
        return new RowBatch(file, fields, new Array?[fields.Length], checked((int)rg.RowCount), partitions, pool) { Metadata = reader.Metadata };
    }

    /// <summary>Reads the columns at <paramref name="indices"/> of a batch that are not read yet.</summary>
    public static async Task ReadColumnsAsync(ParquetRowGroupReader rg, RowBatch batch, IEnumerable<int> indices, CancellationToken ct)
    {
        foreach (int c in indices)
        {
            if (batch.IsRead(c)) continue;
            if (ColumnChunkDecoder.TryReadSlices(batch.File.Path, batch.Metadata, rg, batch.Fields[c], batch.RowCount, batch.Pool) is { } slices)
            {
                batch.SetSlices(c, slices);
                continue;
            }

            batch.Columns[c] = ColumnChunkDecoder.TryRead(batch.File.Path, batch.Metadata, rg, batch.Fields[c], batch.RowCount, batch.Pool)
                               ?? await RowGroupColumns.ReadAsync(rg, batch.Fields[c], batch.RowCount, ct, batch.Pool);
        }
    }

    /// <summary>Reads every column of a batch not read yet: for samples, quarantine and filtered copies.</summary>
    public static Task ReadAllColumnsAsync(ParquetRowGroupReader rg, RowBatch batch, CancellationToken ct) =>
        batch.IsComplete ? Task.CompletedTask : ReadColumnsAsync(rg, batch, Enumerable.Range(0, batch.Fields.Count), ct);

    /// <summary>Adds the values of one column (or partition column) of a file to a key set, for references.</summary>
    public static async Task AddColumnKeysAsync(DatasetFile file, string column, KeySet keys, CancellationToken ct)
    {
        if (file.PartitionValues.TryGetValue(column, out var partitionText))
        {
            // A partition column of the referenced dataset: the folder value stands for every row.
            keys.Add(SchemaComparison.TryParsePartitionDate(partitionText, out var d) ? d : partitionText);
            return;
        }

        // The column at the file's top level, read as Transform reads the user dimension (a struct's field of the same
        // name is not it; every codec and page version is read).
        await using var reader = await TopLevelColumnReader.OpenAsync(file.Path, file.Path, ct);
        var target = reader.Column(column);
        if (target.Kind == ValueKind.Other)
            throw new DataException($"{file.Path}: referenced column '{column}' is {target.Type}; references read integer, string, date and timestamp columns.");
        for (int g = 0; g < reader.RowGroupCount; g++)
            keys.AddAll(TypedColumn.From((await reader.ReadAsync(g, [target], ct))[0]));
    }
}
