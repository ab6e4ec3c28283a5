namespace Highwater.Parquet.Metadata;

// parquet.thrift's enums, once, as the i32 values the Thrift compact protocol carries in page headers and the footer.
// (Parquet.Net's Parquet.Meta enums carry the same values for the footer it parses; these are for the codec's own
// Thrift reading and writing.)

/// <summary>Thrift <c>Type</c>: a column's physical type.</summary>
internal static class ParquetPhysicalType
{
    public const int Boolean = 0, Int32 = 1, Int64 = 2, Int96 = 3, Float = 4, Double = 5, ByteArray = 6, FixedLenByteArray = 7;
}

/// <summary>Thrift <c>ConvertedType</c>: the logical annotation of readers that predate <c>LogicalType</c>.</summary>
internal static class ParquetConvertedType
{
    public const int Utf8 = 0, Decimal = 5, Date = 6, TimestampMillis = 9, TimestampMicros = 10, Int32 = 17, Int64 = 18;
}

/// <summary>Thrift <c>FieldRepetitionType</c>.</summary>
internal static class ParquetRepetition
{
    public const int Required = 0, Optional = 1, Repeated = 2;
}

/// <summary>Thrift <c>Encoding</c>.</summary>
internal static class ParquetEncoding
{
    public const int Plain = 0, PlainDictionary = 2, Rle = 3, BitPacked = 4, DeltaBinaryPacked = 5, DeltaLengthByteArray = 6,
        DeltaByteArray = 7, RleDictionary = 8, ByteStreamSplit = 9;
}

/// <summary>Thrift <c>CompressionCodec</c>.</summary>
internal static class ParquetCodec
{
    public const int Uncompressed = 0, Snappy = 1, Gzip = 2, Lzo = 3, Brotli = 4, Lz4 = 5, Zstd = 6, Lz4Raw = 7;
}

/// <summary>Thrift <c>PageType</c>.</summary>
internal static class ParquetPageType
{
    public const int Data = 0, Index = 1, Dictionary = 2, DataV2 = 3;
}
