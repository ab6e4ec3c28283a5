using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Highwater.Parquet.Encodings;
using Highwater.Parquet.Metadata;
using Highwater.Parquet.Thrift;

namespace Highwater.Parquet.Writing;

/// <summary> Column chunks and their pages: definition levels, integer encodings, page headers, compression, and the chunk and row-group bookkeeping. </summary>
public sealed partial class ParquetFileWriter
{
    private void WriteRequiredLongs(ColumnMeta column, ReadOnlySpan<long> values)
    {
        var body = _buffers.Body;
        body.ResetWrittenCount();
        FinishIntegerChunk(column, values.Length, values, nulls: 0);
    }

    /// <summary>A nullable integer column: the levels of <paramref name="present"/>, then the present values.</summary>
    private void WriteNullable<T>(ColumnMeta column, ReadOnlySpan<bool> present, ReadOnlySpan<T> values)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>, ISignedNumber<T>
    {
        var body = _buffers.Body;
        body.ResetWrittenCount();
        var nulls = present.Length - values.Length;
        WriteLevels(true, present, nulls);
        FinishIntegerChunk(column, present.Length, values, nulls);
    }

    /// <summary>
    /// Appends an integer column's present values to the page body (after its levels) in the writer's
    /// <see cref="ParquetIntegerEncoding"/> and writes the chunk: an INTEGER column DELTA_BINARY_PACKED uncompressed, or
    /// PLAIN with Snappy (other kinds, and a page without values, which every reader takes as PLAIN).
    /// </summary>
    private void FinishIntegerChunk<T>(ColumnMeta column, int count, ReadOnlySpan<T> values, long nulls)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>, ISignedNumber<T>
    {
        var body = _buffers.Body;
        if (_integers == ParquetIntegerEncoding.Plain || values.IsEmpty ||
            _columns[column.Index].Kind is not (ParquetValueKind.Int32 or ParquetValueKind.Int64))
        {
            Plain.Write(body, values);
            FinishPlainChunk(column, count, MinMax(values, nulls));
            return;
        }
        DeltaBinaryPacked.Encode(values, body);
        column.Codec = ParquetCodec.Uncompressed;
        FinishChunk(column, count, MinMax(values, nulls), ParquetEncoding.DeltaBinaryPacked);
    }

    /// <summary>
    /// Definition levels of a nullable column at the start of the page body: a 4-byte length, then the RLE/bit-packed
    /// hybrid at bit width 1 (one RLE run when all values are present or all are null, else one bit-packed run).
    /// </summary>
    private void WriteLevels(bool nullable, ReadOnlySpan<bool> present, int nulls)
    {
        if (!nullable) return;
        var levels = _buffers.Levels;
        levels.ResetWrittenCount();
        var n = present.Length;
        if (nulls == 0 || nulls == n) HybridRle.WriteRun(levels, n, nulls == 0 ? 1 : 0, bitWidth: 1);
        else HybridRle.BitPack(levels, present);
        var body = _buffers.Body;
        BinaryPrimitives.WriteInt32LittleEndian(body.GetSpan(4), levels.WrittenCount);
        body.Advance(4);
        body.Write(levels.WrittenSpan);
    }

    private void FinishPlainChunk(ColumnMeta column, int count, ColumnStats stats) => FinishChunk(column, count, stats, ParquetEncoding.Plain);

    /// <summary>Writes the page body as the chunk's one data page in <paramref name="encoding"/> (levels RLE) and adds the chunk to the row group.</summary>
    private void FinishChunk(ColumnMeta column, int count, ColumnStats stats, int encoding)
    {
        column.Stats = stats;
        column.Encodings = _columns[column.Index].Nullable ? [encoding, ParquetEncoding.Rle] : [encoding];
        column.DataEncoding = encoding;
        column.DataPageOffset = _position;
        WritePage(column, ParquetPageType.Data, count, encoding, _buffers.Body.WrittenSpan);
        _group!.Columns.Add(column);
    }

    private void WritePage(ColumnMeta column, int pageType, int count, int encoding, ReadOnlySpan<byte> body)
    {
        ReadOnlySpan<byte> stored = body;
        if (column.Codec == ParquetCodec.Snappy)
        {
            var compressed = _buffers.Compressed(Snappier.Snappy.GetMaxCompressedLength(body.Length));
            stored = compressed.AsSpan(0, Snappier.Snappy.Compress(body, compressed));
        }
        var compressedLength = stored.Length;
        var header = _buffers.Header;
        header.ResetWrittenCount();
        var t = new ThriftCompactWriter(header);
        t.BeginStruct();
        t.I32Field(PageHeaderFields.Type, pageType);
        t.I32Field(PageHeaderFields.UncompressedPageSize, body.Length);
        t.I32Field(PageHeaderFields.CompressedPageSize, compressedLength);
        if (pageType == ParquetPageType.Data)
        {
            t.StructField(PageHeaderFields.DataPageHeader);
            t.I32Field(DataPageHeaderFields.NumValues, count);
            t.I32Field(DataPageHeaderFields.Encoding, encoding);
            t.I32Field(DataPageHeaderFields.DefinitionLevelEncoding, ParquetEncoding.Rle);
            t.I32Field(DataPageHeaderFields.RepetitionLevelEncoding, ParquetEncoding.Rle);
            t.EndStruct();
        }
        else
        {
            t.StructField(PageHeaderFields.DictionaryPageHeader);
            t.I32Field(DictionaryPageHeaderFields.NumValues, count);
            t.I32Field(DictionaryPageHeaderFields.Encoding, encoding);
            t.EndStruct();
        }
        t.EndStruct();
        _stream.Write(header.WrittenSpan);
        _stream.Write(stored);
        _position += header.WrittenCount + compressedLength;
        column.Uncompressed += header.WrittenCount + body.Length;
        column.Compressed += header.WrittenCount + compressedLength;
    }

    private sealed class ColumnMeta(int index, int count)
    {
        public int Index { get; } = index;
        public int Count { get; } = count;
        public int[] Encodings { get; set; } = [];
        /// <summary>The encoding of the chunk's one data page.</summary>
        public int DataEncoding { get; set; }
        /// <summary>The chunk's compression codec: Snappy, except for DELTA_BINARY_PACKED integers (already packed).</summary>
        public int Codec { get; set; } = ParquetCodec.Snappy;
        public long DataPageOffset { get; set; }
        public long? DictionaryPageOffset { get; set; }
        public long Uncompressed { get; set; }
        public long Compressed { get; set; }
        public ColumnStats Stats { get; set; }
    }

    private sealed class RowGroupMeta(int rows, long offset)
    {
        public int Rows { get; } = rows;
        public long Offset { get; } = offset;
        public List<ColumnMeta> Columns { get; } = [];
    }
}
