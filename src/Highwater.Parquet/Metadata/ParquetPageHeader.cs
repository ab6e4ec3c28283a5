using Highwater.Parquet.Thrift;

namespace Highwater.Parquet.Metadata;

/// <summary>
/// The fields of a Parquet page header (Thrift <c>PageHeader</c>) that <see cref="ColumnChunkDecoder"/> reads: the page's
/// type and sizes and, for a v1 data page or a dictionary page, its value count and encodings.
/// </summary>
internal readonly record struct ParquetPageHeader(
    int Type, int UncompressedSize, int CompressedSize, int ValueCount, int Encoding, int DefinitionLevelEncoding, int HeaderLength)
{
    /// <summary>Parses the header at the start of <paramref name="input"/>; false when it is malformed or truncated.</summary>
    public static bool TryParse(ReadOnlySpan<byte> input, out ParquetPageHeader header)
    {
        header = default;
        var r = new ThriftCompactReader(input);
        int type = -1, uncompressed = -1, compressed = -1, count = -1, encoding = -1, levels = -1;
        short last = 0;
        while (true)
        {
            var (id, t) = r.FieldHeader(last);
            if (r.Failed) return false;
            if (t == ThriftCompactReader.Stop) break;
            last = id;
            switch (id)
            {
                case PageHeaderFields.Type when t == ThriftCompactReader.I32: type = r.ReadI32(); break;
                case PageHeaderFields.UncompressedPageSize when t == ThriftCompactReader.I32: uncompressed = r.ReadI32(); break;
                case PageHeaderFields.CompressedPageSize when t == ThriftCompactReader.I32: compressed = r.ReadI32(); break;
                case PageHeaderFields.DataPageHeader or PageHeaderFields.DictionaryPageHeader when t == ThriftCompactReader.Struct:
                {
                    // DataPageHeader (5): num_values, encoding, definition_level_encoding, ...;
                    // DictionaryPageHeader (7): num_values, encoding, is_sorted.
                    short inner = 0;
                    while (true)
                    {
                        var (fid, ft) = r.FieldHeader(inner);
                        if (r.Failed) return false;
                        if (ft == ThriftCompactReader.Stop) break;
                        inner = fid;
                        if (fid == DataPageHeaderFields.NumValues && ft == ThriftCompactReader.I32) count = r.ReadI32();
                        else if (fid == DataPageHeaderFields.Encoding && ft == ThriftCompactReader.I32) encoding = r.ReadI32();
                        else if (fid == DataPageHeaderFields.DefinitionLevelEncoding && id == PageHeaderFields.DataPageHeader && ft == ThriftCompactReader.I32) levels = r.ReadI32();
                        else r.Skip(ft);
                    }

                    break;
                }
                default:
                    r.Skip(t);
                    break;
            }

            if (r.Failed) return false;
        }

        if (type < 0 || uncompressed < 0 || compressed < 0) return false;
        header = new ParquetPageHeader(type, uncompressed, compressed, count, encoding, levels, r.Position);
        return true;
    }
}
