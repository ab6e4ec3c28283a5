namespace Highwater.Parquet.Thrift;

// The field ids of parquet.thrift's structs that the codec reads or writes, named as the specification names them.
// The compact protocol writes each id as a delta from the previous one: fields are written in increasing id order.

internal static class PageHeaderFields
{
    public const short Type = 1, UncompressedPageSize = 2, CompressedPageSize = 3, Crc = 4, DataPageHeader = 5, IndexPageHeader = 6,
        DictionaryPageHeader = 7, DataPageHeaderV2 = 8;
}

internal static class DataPageHeaderFields
{
    public const short NumValues = 1, Encoding = 2, DefinitionLevelEncoding = 3, RepetitionLevelEncoding = 4, Statistics = 5;
}

internal static class DictionaryPageHeaderFields
{
    public const short NumValues = 1, Encoding = 2, IsSorted = 3;
}

internal static class FileMetaDataFields
{
    public const short Version = 1, Schema = 2, NumRows = 3, RowGroups = 4, KeyValueMetadata = 5, CreatedBy = 6, ColumnOrders = 7;
}

internal static class KeyValueFields
{
    public const short Key = 1, Value = 2;
}

internal static class SchemaElementFields
{
    public const short Type = 1, TypeLength = 2, RepetitionType = 3, Name = 4, NumChildren = 5, ConvertedType = 6, Scale = 7,
        Precision = 8, FieldId = 9, LogicalType = 10;
}

/// <summary>The <c>LogicalType</c> union: exactly one of these fields is set.</summary>
internal static class LogicalTypeFields
{
    public const short String = 1, Map = 2, List = 3, Enum = 4, Decimal = 5, Date = 6, Time = 7, Timestamp = 8, Integer = 10;
}

internal static class DecimalTypeFields
{
    public const short Scale = 1, Precision = 2;
}

internal static class TimestampTypeFields
{
    public const short IsAdjustedToUtc = 1, Unit = 2;
}

/// <summary>The <c>TimeUnit</c> union.</summary>
internal static class TimeUnitFields
{
    public const short Millis = 1, Micros = 2, Nanos = 3;
}

internal static class IntTypeFields
{
    public const short BitWidth = 1, IsSigned = 2;
}

internal static class RowGroupFields
{
    public const short Columns = 1, TotalByteSize = 2, NumRows = 3, SortingColumns = 4, FileOffset = 5, TotalCompressedSize = 6;
}

internal static class ColumnChunkFields
{
    public const short FilePath = 1, FileOffset = 2, MetaData = 3;
}

internal static class ColumnMetaDataFields
{
    public const short Type = 1, Encodings = 2, PathInSchema = 3, Codec = 4, NumValues = 5, TotalUncompressedSize = 6,
        TotalCompressedSize = 7, KeyValueMetadata = 8, DataPageOffset = 9, IndexPageOffset = 10, DictionaryPageOffset = 11,
        Statistics = 12, EncodingStats = 13;
}

internal static class StatisticsFields
{
    public const short Max = 1, Min = 2, NullCount = 3, DistinctCount = 4, MaxValue = 5, MinValue = 6;
}

internal static class PageEncodingStatsFields
{
    public const short PageType = 1, Encoding = 2, Count = 3;
}

/// <summary>The <c>ColumnOrder</c> union.</summary>
internal static class ColumnOrderFields
{
    public const short TypeOrder = 1;
}
