using Parquet;
using Parquet.Schema;

namespace Highwater.Parquet.Reading;

/// <summary>
/// Where a row group's column chunks can be read from directly: a local file and its footer. Given to a column read,
/// it decodes a chunk itself when <see cref="ColumnChunkDecoder"/> knows its encodings (the same values, without
/// Parquet.Net's per-page streams and per-value strings); otherwise the caller reads through Parquet.Net.
/// </summary>
public sealed record LocalChunks(string Path, global::Parquet.Meta.FileMetaData? Metadata)
{
    /// <summary>The chunks of a file opened from <paramref name="stream"/>, when it is a local file.</summary>
    public static LocalChunks? Of(Stream stream, ParquetReader reader) =>
        stream is FileStream { Name: { } path } && File.Exists(path) ? new LocalChunks(path, reader.Metadata) : null;

    /// <summary>The column decoded directly (as <see cref="ColumnChunkDecoder.TryRead"/> gives it), or null.</summary>
    internal Array? TryRead(ParquetRowGroupReader g, DataField field, int rows) =>
        ColumnChunkDecoder.TryRead(Path, Metadata, g, field, rows, pool: null);
}
