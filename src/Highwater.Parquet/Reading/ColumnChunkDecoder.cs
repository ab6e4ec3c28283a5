using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Highwater.Parquet.Encodings;
using Highwater.Parquet.Metadata;
using Microsoft.Win32.SafeHandles;
using Parquet;
using Parquet.Meta;
using Parquet.Schema;

namespace Highwater.Parquet.Reading;

/// <summary>
/// Reads a flat column chunk itself, for the encodings the mart's writer and most others use: v1 data pages, PLAIN,
/// dictionary-encoded or (integers) DELTA_BINARY_PACKED values, RLE definition levels, Snappy or no compression. Parquet.Net 6.1 decompresses each
/// page through a growing MemoryStream and makes a char[] and a string for every string value (a dictionary
/// column's too): that allocation, and the collections of large arrays it causes, would be most of the gate's work. Here a chunk is read with one positioned read into a pooled buffer, each page decompressed into another, and
/// values decoded straight into the column's array; a dictionary column's rows share its entries' strings. The values
/// are those Parquet.Net gives (<see cref="PlainValueDecoders"/>). Anything else (other encodings or codecs, v2 pages,
/// nesting, a chunk that does not parse) returns null, and the caller reads the chunk with Parquet.Net, which also
/// reports a damaged file as it always did.
/// </summary>
internal static class ColumnChunkDecoder
{
    /// <summary>The column of <paramref name="rows"/> rows as RowGroupColumns.ReadAsync returns it (T[], T?[] or string?[]), or null.</summary>
    public static Array? TryRead(string path, FileMetaData? metadata, ParquetRowGroupReader rg, DataField field, int rows, ColumnBufferPool? pool)
    {
        if (metadata is null || field.IsArray || field.MaxRepetitionLevel != 0 || field.MaxDefinitionLevel > 1 || field.Path.Length != 1) return null;
        if (field.IsNullable != (field.MaxDefinitionLevel == 1)) return null;
        var md = rg.GetMetadata(field)?.MetaData;
        if (md is null || md.NumValues != rows || md.PathInSchema.Count != 1) return null;
        if (md.Codec is not (CompressionCodec.UNCOMPRESSED or CompressionCodec.SNAPPY)) return null;
        if (TopLevelElement(metadata, field.Name) is not { } element) return null;
        var integer = IntegerWidth(element);
        return PlainValueDecoders.For(field, element) switch
        {
            PlainValueDecoder<int> d => Read(path, md, d, integer, field.IsNullable, rows, pool),
            PlainValueDecoder<long> d => Read(path, md, d, integer, field.IsNullable, rows, pool),
            PlainValueDecoder<decimal> d => Read(path, md, d, integer, field.IsNullable, rows, pool),
            PlainValueDecoder<DateTime> d => Read(path, md, d, integer, field.IsNullable, rows, pool),
            PlainValueDecoder<DateOnly> d => Read(path, md, d, integer, field.IsNullable, rows, pool),
            PlainValueDecoder<string?> d => ReadStrings(path, md, d, field.IsNullable, rows, pool),
            _ => null,
        };
    }

    /// <summary>
    /// A string column whose chunk has no dictionary (by its metadata's encodings) as <see cref="StringSlices"/>, or null:
    /// not such a column, or not one this decoder reads (the caller then reads it as strings).
    /// </summary>
    public static StringSlices? TryReadSlices(string path, FileMetaData? metadata, ParquetRowGroupReader rg, DataField field, int rows, ColumnBufferPool? pool)
    {
        if (metadata is null || field.IsArray || field.MaxRepetitionLevel != 0 || field.MaxDefinitionLevel > 1 || field.Path.Length != 1) return null;
        if (field.IsNullable != (field.MaxDefinitionLevel == 1) || !PlainValueDecoders.IsString(field)) return null;
        var md = rg.GetMetadata(field)?.MetaData;
        if (md is null || md.NumValues != rows || md.PathInSchema.Count != 1) return null;
        if (md.Codec is not (CompressionCodec.UNCOMPRESSED or CompressionCodec.SNAPPY)) return null;
        if (md.Encodings.Any(e => e is Encoding.PLAIN_DICTIONARY or Encoding.RLE_DICTIONARY)) return null; // shared strings serve it better
        if (TopLevelElement(metadata, field.Name) is not { Type: global::Parquet.Meta.Type.BYTE_ARRAY }) return null;

        var decoder = new PlainValueDecoders.Utf8Slices();
        long[]? slices = ArrayPool<long>.Shared.Rent(rows);
        var levels = field.IsNullable ? ArrayPool<byte>.Shared.Rent(rows) : null;
        try
        {
            if (!TryDecodeChunk(path, md, decoder, integerWidth: 0, rows, slices, levels, out int present))
            {
                decoder.Abandon();
                return null;
            }

            bool[]? nulls = null;
            if (levels is not null && present < rows)
            {
                // Spread the present values' slices over their rows, from the end; a null row's slice is empty.
                nulls = pool?.RentCleared<bool>(rows) ?? new bool[rows];
                int next = present - 1;
                for (int r = rows - 1; r >= 0; r--)
                {
                    if (levels[r] != 0) slices[r] = slices[next--];
                    else
                    {
                        slices[r] = 0;
                        nulls[r] = true;
                    }
                }
            }

            var result = new StringSlices(decoder.Chars, slices, nulls, rows, pool);
            slices = null; // the column returns it
            return result;
        }
        finally
        {
            if (slices is not null) ArrayPool<long>.Shared.Return(slices);
            if (levels is not null) ArrayPool<byte>.Shared.Return(levels);
        }
    }

    private static Array? Read<T>(string path, ColumnMetaData md, PlainValueDecoder<T> decoder, int integerWidth, bool nullable, int rows,
        ColumnBufferPool? pool)
        where T : struct
    {
        if (!nullable)
        {
            var values = pool?.Rent<T>(rows) ?? new T[rows];
            if (TryDecodeChunk(path, md, decoder, integerWidth, rows, values, null, out _)) return values;
            pool?.Return(values);
            return null;
        }

        var present = ArrayPool<T>.Shared.Rent(rows);
        var levels = ArrayPool<byte>.Shared.Rent(rows);
        try
        {
            if (!TryDecodeChunk(path, md, decoder, integerWidth, rows, present, levels, out _)) return null;
            var result = pool?.Rent<T?>(rows) ?? new T?[rows];
            int next = 0;
            for (int r = 0; r < rows; r++) result[r] = levels[r] != 0 ? present[next++] : null;
            return result;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(present);
            ArrayPool<byte>.Shared.Return(levels);
        }
    }

    private static string?[]? ReadStrings(string path, ColumnMetaData md, PlainValueDecoder<string?> decoder, bool nullable, int rows, ColumnBufferPool? pool)
    {
        var values = pool?.Rent<string?>(rows) ?? new string?[rows];
        var levels = nullable ? ArrayPool<byte>.Shared.Rent(rows) : null;
        try
        {
            if (!TryDecodeChunk(path, md, decoder, integerWidth: 0, rows, values, levels, out int presentCount))
            {
                pool?.Return(values);
                return null;
            }

            if (levels is not null && presentCount < rows)
            {
                // Spread the present values over their rows, from the end, so none is overwritten before it moves.
                int next = presentCount - 1;
                for (int r = rows - 1; r >= 0; r--) values[r] = levels[r] != 0 ? values[next--] : null;
            }

            return values;
        }
        finally
        {
            if (levels is not null) ArrayPool<byte>.Shared.Return(levels);
        }
    }

    /// <summary>
    /// Decodes the chunk's present values, in order, into <paramref name="values"/> and, when <paramref name="levels"/>
    /// is given (a nullable column), each row's definition level (1 present, 0 null) into it; false when the chunk is
    /// not one this decoder reads. <paramref name="integerWidth"/> is the byte width of an INT32 (4) or INT64 (8) column,
    /// whose DELTA_BINARY_PACKED pages are unpacked into their PLAIN bytes for the decoder; 0 for other columns.
    /// </summary>
    private static bool TryDecodeChunk<T>(string path, ColumnMetaData md, PlainValueDecoder<T> decoder, int integerWidth, int rows,
        Span<T> values, byte[]? levels, out int presentCount)
    {
        presentCount = 0;
        // Where Parquet.Net starts: the lowest of the offsets that are set.
        long start = md.DataPageOffset;
        if (md.DictionaryPageOffset is > 0 and var d && d < start) start = d;
        if (md.IndexPageOffset is > 0 and var x && x < start) start = x;
        long length = md.TotalCompressedSize;
        if (start <= 0 || length <= 0 || length > Array.MaxLength) return false;

        var chunk = ArrayPool<byte>.Shared.Rent((int)length);
        byte[]? page = null, unpacked = null;
        int[]? scratch = null;
        T[]? dictionary = null;
        int dictionaryCount = 0;
        try
        {
            using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                if (!TryReadExactly(handle, chunk.AsSpan(0, (int)length), start)) return false;
            }

            var bytes = chunk.AsSpan(0, (int)length);
            int at = 0, rowsRead = 0;
            while (rowsRead < rows)
            {
                if (!ParquetPageHeader.TryParse(bytes[at..], out var header)) return false;
                at += header.HeaderLength;
                if (header.CompressedSize > bytes.Length - at) return false;
                var stored = bytes.Slice(at, header.CompressedSize);
                at += header.CompressedSize;
                if (header.Type is not (ParquetPageType.Data or ParquetPageType.Dictionary)) return false;

                if (!TryPageBody(md.Codec, header, stored, ref page, out var body)) return false;

                if (header.Type == ParquetPageType.Dictionary)
                {
                    if (!decoder.ReadsDictionaries || dictionary is not null || header.ValueCount < 0 ||
                        header.Encoding is not (ParquetEncoding.Plain or ParquetEncoding.PlainDictionary)) return false;
                    dictionaryCount = header.ValueCount;
                    dictionary = ArrayPool<T>.Shared.Rent(Math.Max(dictionaryCount, 1));
                    if (!decoder.TryDecode(body, dictionary.AsSpan(0, dictionaryCount))) return false;
                    continue;
                }

                int count = header.ValueCount;
                if (count <= 0 || count > rows - rowsRead) return false;
                int present = count;
                if (levels is not null)
                {
                    // Definition levels: a 4-byte length, then the hybrid at bit width 1.
                    if (header.DefinitionLevelEncoding != ParquetEncoding.Rle || body.Length < 4) return false;
                    int levelBytes = BinaryPrimitives.ReadInt32LittleEndian(body);
                    if (levelBytes < 0 || levelBytes > body.Length - 4) return false;
                    scratch = Ensure(scratch, count);
                    if (!HybridRle.TryDecode(body.Slice(4, levelBytes), 1, scratch.AsSpan(0, count))) return false;
                    present = 0;
                    for (int i = 0; i < count; i++)
                    {
                        int level = scratch[i];
                        if (level > 1) return false;
                        levels[rowsRead + i] = (byte)level;
                        present += level;
                    }

                    body = body[(4 + levelBytes)..];
                }

                var target = values.Slice(presentCount, present);
                switch (header.Encoding)
                {
                    case ParquetEncoding.Plain:
                        if (!decoder.TryDecode(body, target)) return false;
                        break;
                    case ParquetEncoding.PlainDictionary or ParquetEncoding.RleDictionary:
                    {
                        if (dictionary is null) return false;
                        scratch = Ensure(scratch, present);
                        var indices = scratch.AsSpan(0, present);
                        // As Parquet.Net: a bit width of 0, or nothing after it, means every index is 0.
                        if (body.Length == 0) return false;
                        int width = body[0];
                        if (width == 0 || body.Length == 1) indices.Clear();
                        else if (!HybridRle.TryDecode(body[1..], width, indices)) return false;
                        foreach (int i in indices)
                            if ((uint)i >= (uint)dictionaryCount) return false;
                        for (int i = 0; i < present; i++) target[i] = dictionary[indices[i]];
                        break;
                    }
                    case ParquetEncoding.DeltaBinaryPacked when integerWidth > 0:
                    {
                        if (unpacked is null || unpacked.Length < present * integerWidth)
                        {
                            if (unpacked is not null) ArrayPool<byte>.Shared.Return(unpacked);
                            unpacked = ArrayPool<byte>.Shared.Rent(Math.Max(present * integerWidth, 1));
                        }
                        var plain = unpacked.AsSpan(0, present * integerWidth);
                        if (!(integerWidth == 4
                                ? DeltaBinaryPacked.TryDecode(body, MemoryMarshal.Cast<byte, int>(plain))
                                : DeltaBinaryPacked.TryDecode(body, MemoryMarshal.Cast<byte, long>(plain)))) return false;
                        if (!decoder.TryDecode(plain, target)) return false;
                        break;
                    }
                    default:
                        return false;
                }

                presentCount += present;
                rowsRead += count;
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
            if (page is not null) ArrayPool<byte>.Shared.Return(page);
            if (unpacked is not null) ArrayPool<byte>.Shared.Return(unpacked);
            if (scratch is not null) ArrayPool<int>.Shared.Return(scratch);
            if (dictionary is not null) ArrayPool<T>.Shared.Return(dictionary, clearArray: !typeof(T).IsValueType);
        }
    }

    private static int IntegerWidth(SchemaElement element) => element.Type switch
    {
        global::Parquet.Meta.Type.INT32 => 4,
        global::Parquet.Meta.Type.INT64 => 8,
        _ => 0,
    };

    private static int[] Ensure(int[]? scratch, int length)
    {
        if (scratch is not null && scratch.Length >= length) return scratch;
        if (scratch is not null) ArrayPool<int>.Shared.Return(scratch);
        return ArrayPool<int>.Shared.Rent(Math.Max(length, 1));
    }

    private static bool TryDecompress(ReadOnlySpan<byte> compressed, Span<byte> output)
    {
        try
        {
            return Snappier.Snappy.GetUncompressedLength(compressed) == output.Length && Snappier.Snappy.Decompress(compressed, output) == output.Length;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            return false; // damaged: Parquet.Net reads it and reports it
        }
    }

    private static bool TryReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (buffer.Length > 0)
        {
            int n = RandomAccess.Read(handle, buffer, offset);
            if (n <= 0) return false;
            buffer = buffer[n..];
            offset += n;
        }

        return true;
    }

    /// <summary>
    /// The values of a string chunk's dictionary page (the strings its rows' indices point at, as <see cref="TryRead"/>
    /// gives them), read from the page at the chunk's dictionary_page_offset; null when the chunk has none, or not one
    /// this decoder reads.
    /// </summary>
    public static string?[]? TryReadDictionaryStrings(string path, ColumnMetaData md, DataField field, SchemaElement element)
    {
        if (md.DictionaryPageOffset is not (> 0 and var start) || md.DataPageOffset <= start) return null;
        if (md.Codec is not (CompressionCodec.UNCOMPRESSED or CompressionCodec.SNAPPY)) return null;
        if (PlainValueDecoders.For(field, element) is not PlainValueDecoder<string?> decoder) return null;
        long length = md.DataPageOffset - start;
        if (length > 1 << 26) return null;
        var bytes = ArrayPool<byte>.Shared.Rent((int)length);
        byte[]? page = null;
        try
        {
            using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                if (!TryReadExactly(handle, bytes.AsSpan(0, (int)length), start)) return null;
            }

            var span = bytes.AsSpan(0, (int)length);
            if (!ParquetPageHeader.TryParse(span, out var header) || header.Type != ParquetPageType.Dictionary || header.ValueCount < 0 ||
                header.Encoding is not (ParquetEncoding.Plain or ParquetEncoding.PlainDictionary) || header.CompressedSize > span.Length - header.HeaderLength) return null;
            if (!TryPageBody(md.Codec, header, span.Slice(header.HeaderLength, header.CompressedSize), ref page, out var body)) return null;
            var values = new string?[header.ValueCount];
            return decoder.TryDecode(body, values) ? values : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            if (page is not null) ArrayPool<byte>.Shared.Return(page);
        }
    }

    /// <summary>
    /// A page's body as stored (uncompressed) or decompressed into <paramref name="page"/> (a pooled buffer, grown and
    /// swapped as needed; the caller returns it); false when the sizes do not agree or Snappy refuses the bytes.
    /// </summary>
    private static bool TryPageBody(CompressionCodec codec, ParquetPageHeader header, ReadOnlySpan<byte> stored, ref byte[]? page, out ReadOnlySpan<byte> body)
    {
        body = default;
        if (codec == CompressionCodec.UNCOMPRESSED)
        {
            if (header.UncompressedSize != header.CompressedSize) return false;
            body = stored;
            return true;
        }

        if (page is null || page.Length < header.UncompressedSize)
        {
            if (page is not null) ArrayPool<byte>.Shared.Return(page);
            page = ArrayPool<byte>.Shared.Rent(Math.Max(header.UncompressedSize, 1));
        }

        if (!TryDecompress(stored, page.AsSpan(0, header.UncompressedSize))) return false;
        body = page.AsSpan(0, header.UncompressedSize);
        return true;
    }

    /// <summary>The schema element of a top-level leaf column, skipping nested groups' subtrees.</summary>
    internal static SchemaElement? TopLevelElement(FileMetaData metadata, string name)
    {
        var schema = metadata.Schema;
        if (schema.Count == 0) return null;
        int i = 1;
        int children = schema[0].NumChildren ?? 0;
        for (int c = 0; c < children && i < schema.Count; c++)
        {
            var e = schema[i];
            if ((e.NumChildren ?? 0) == 0)
            {
                if (e.Name == name) return e;
                i++;
                continue;
            }

            // A group: skip it and everything under it.
            int pending = 1;
            while (pending > 0 && i < schema.Count)
            {
                pending += (schema[i].NumChildren ?? 0) - 1;
                i++;
            }
        }

        return null;
    }
}
