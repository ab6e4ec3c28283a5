using Parquet;
using Parquet.Schema;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// The pipeline's reads of its dataset files' columns over Parquet.Net row groups, and its row-group size and write
/// options. Reads look fields up by name in the file's own schema, so a file written by another tool (with nullable
/// columns where ours are required) is read too, and a missing or retyped column is reported as a data error with the
/// file and column name. A local file's chunks are decoded directly where the codec can (<see cref="LocalChunks"/>).
/// The generic column helpers are the codec's <see cref="RowGroupColumns"/>.
/// </summary>
public static class ParquetColumns
{
    /// <summary>
    /// Rows per row group when writing: large enough to compress and scan well (DuckDB writes 122,880), small enough
    /// that a writer's buffers stay small and a reader looking for a few order_ids skips most of a file.
    /// </summary>
    public const int RowGroupRows = 131_072;

    public static readonly ParquetOptions WriteOptions = new()
    {
        CompressionMethod = CompressionMethod.Snappy,
        // Decide on dictionary encoding from a sample: a column of unique values (order_id) is not hashed whole
        // just to find out it should not be dictionary-encoded. Low-cardinality columns are encoded as before.
        DictionaryEncodingSampleSize = 4096,
    };

    /// <summary>
    /// The columns <paramref name="expected"/> of a local file's row group decoded at once, one task each (the direct
    /// decoder reads with its own positioned reads, so chunks decode in parallel); a column it does not read is null, and
    /// is then read by the Read methods through Parquet.Net, one at a time.
    /// </summary>
    public static async Task<Array?[]> DecodeInParallelAsync(ParquetRowGroupReader g, ParquetSchema fileSchema, string file, LocalChunks? local,
        params DataField[] expected)
    {
        if (local is null) return new Array?[expected.Length];
        var count = checked((int)g.RowCount);
        var fields = expected.Select(e => Find(fileSchema, e, file)).ToArray();
        return await Task.WhenAll(fields.Select(f => Task.Run(() => local.TryRead(g, f, count))));
    }

    /// <param name="decoded">The column as <see cref="DecodeInParallelAsync"/> decoded it, if it did.</param>
    public static async Task<T[]> Read<T>(ParquetRowGroupReader g, ParquetSchema fileSchema, DataField expected, string file, LocalChunks? local = null,
        Array? decoded = null)
        where T : struct
    {
        var field = Find(fileSchema, expected, file);
        var count = checked((int)g.RowCount);
        var direct = decoded ?? local?.TryRead(g, field, count);
        if (direct is T[] required) return required;
        if (field.IsNullable)
        {
            if (direct is not T?[] nullable)
            {
                nullable = new T?[count];
                await g.ReadAsync<T>(field, new Memory<T?>(nullable));
            }
            var values = new T[count];
            for (var i = 0; i < count; i++)
                values[i] = nullable[i] ?? throw new DataException($"{file}: column '{expected.Name}' holds a null in row {i + 1} of a row group, but it is required.");
            return values;
        }
        var result = new T[count];
        await g.ReadAsync<T>(field, new Memory<T>(result));
        return result;
    }

    public static async Task<T?[]> ReadNullable<T>(ParquetRowGroupReader g, ParquetSchema fileSchema, DataField expected, string file,
        LocalChunks? local = null, Array? decoded = null)
        where T : struct
    {
        var field = Find(fileSchema, expected, file);
        var count = checked((int)g.RowCount);
        var direct = decoded ?? local?.TryRead(g, field, count);
        if (direct is T?[] read) return read;
        var values = new T?[count];
        if (direct is T[] plainRead)
        {
            for (var i = 0; i < count; i++) values[i] = plainRead[i];
            return values;
        }
        if (field.IsNullable)
        {
            await g.ReadAsync<T>(field, new Memory<T?>(values));
            return values;
        }
        var plain = new T[count];
        await g.ReadAsync<T>(field, new Memory<T>(plain));
        for (var i = 0; i < count; i++) values[i] = plain[i];
        return values;
    }

    public static async Task<string?[]> ReadString(ParquetRowGroupReader g, ParquetSchema fileSchema, DataField expected, string file,
        LocalChunks? local = null, Array? decoded = null)
    {
        var field = Find(fileSchema, expected, file);
        if ((decoded ?? local?.TryRead(g, field, checked((int)g.RowCount))) is string?[] read) return read;
        var values = new string?[checked((int)g.RowCount)];
        await g.ReadAsync(field, new Memory<string?>(values));
        return values;
    }

    private static DataField Find(ParquetSchema schema, DataField expected, string file)
    {
        var found = schema.DataFields.FirstOrDefault(f => f.Name == expected.Name)
            ?? throw new DataException($"{file}: column '{expected.Name}' is missing (columns present: {string.Join(", ", schema.DataFields.Select(f => f.Name))}).");
        var expectedType = Nullable.GetUnderlyingType(expected.ClrType) ?? expected.ClrType;
        var foundType = Nullable.GetUnderlyingType(found.ClrType) ?? found.ClrType;
        if (expectedType != foundType)
            throw new DataException($"{file}: column '{expected.Name}' has type {foundType.Name}, expected {expectedType.Name}.");
        return found;
    }
}
