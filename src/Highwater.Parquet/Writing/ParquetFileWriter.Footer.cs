using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Highwater.Parquet.Encodings;
using Highwater.Parquet.Metadata;
using Highwater.Parquet.Thrift;

namespace Highwater.Parquet.Writing;

/// <summary> The footer (Thrift FileMetaData): schema, row groups with their column chunks and statistics, key-value metadata, column orders. </summary>
public sealed partial class ParquetFileWriter
{
    /// <summary>Writes the footer. The stream is left open.</summary>
    public void Complete()
    {
        if (_completed) return;
        if (_group is not null) throw new InvalidOperationException("the last row group was not ended");
        var footer = _buffers.Footer;
        footer.ResetWrittenCount();
        var t = new ThriftCompactWriter(footer);
        t.BeginStruct();
        t.I32Field(FileMetaDataFields.Version, 1);
        t.StructListField(FileMetaDataFields.Schema, _columns.Count + 1);
        t.BeginStruct();
        t.StringField(SchemaElementFields.Name, "root");
        t.I32Field(SchemaElementFields.NumChildren, _columns.Count);
        t.EndStruct();
        foreach (var c in _columns) SchemaElement(t, c);
        t.I64Field(FileMetaDataFields.NumRows, _rowGroups.Sum(g => (long)g.Rows));
        t.StructListField(FileMetaDataFields.RowGroups, _rowGroups.Count);
        foreach (var g in _rowGroups) RowGroup(t, g);
        if (_metadata is { Count: > 0 })
        {
            t.StructListField(FileMetaDataFields.KeyValueMetadata, _metadata.Count);
            foreach (var (key, value) in _metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                t.BeginStruct();
                t.StringField(KeyValueFields.Key, key);
                t.StringField(KeyValueFields.Value, value);
                t.EndStruct();
            }
        }
        t.StringField(FileMetaDataFields.CreatedBy, CreatedBy);
        t.StructListField(FileMetaDataFields.ColumnOrders, _columns.Count); // TypeDefinedOrder for every column
        for (var i = 0; i < _columns.Count; i++)
        {
            t.BeginStruct();
            t.StructField(ColumnOrderFields.TypeOrder);
            t.EndStruct();
            t.EndStruct();
        }
        t.EndStruct();
        _stream.Write(footer.WrittenSpan);
        Span<byte> tail = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(tail, footer.WrittenCount);
        Magic.CopyTo(tail[4..]);
        _stream.Write(tail);
        _stream.Flush();
        _completed = true;
    }


    private static int PhysicalType(ParquetValueKind kind) => kind switch
    {
        ParquetValueKind.Int32 or ParquetValueKind.Date => ParquetPhysicalType.Int32,
        ParquetValueKind.Utf8 => ParquetPhysicalType.ByteArray,
        _ => ParquetPhysicalType.Int64,
    };

    private static void SchemaElement(ThriftCompactWriter t, ParquetColumnSpec c)
    {
        t.BeginStruct();
        t.I32Field(SchemaElementFields.Type, PhysicalType(c.Kind));
        t.I32Field(SchemaElementFields.RepetitionType, c.Nullable ? ParquetRepetition.Optional : ParquetRepetition.Required);
        t.StringField(SchemaElementFields.Name, c.Name);
        t.I32Field(SchemaElementFields.ConvertedType, c.Kind switch // for readers that predate logical types
        {
            ParquetValueKind.Utf8 => ParquetConvertedType.Utf8,
            ParquetValueKind.Decimal => ParquetConvertedType.Decimal,
            ParquetValueKind.Date => ParquetConvertedType.Date,
            ParquetValueKind.TimestampMicrosUtc => ParquetConvertedType.TimestampMicros,
            ParquetValueKind.Int32 => ParquetConvertedType.Int32,
            _ => ParquetConvertedType.Int64,
        });
        if (c.Kind == ParquetValueKind.Decimal)
        {
            t.I32Field(SchemaElementFields.Scale, c.Scale);
            t.I32Field(SchemaElementFields.Precision, c.Precision);
        }
        t.StructField(SchemaElementFields.LogicalType); // a union: exactly one field
        switch (c.Kind)
        {
            case ParquetValueKind.Utf8:
                t.StructField(LogicalTypeFields.String);
                t.EndStruct();
                break;
            case ParquetValueKind.Decimal:
                t.StructField(LogicalTypeFields.Decimal);
                t.I32Field(DecimalTypeFields.Scale, c.Scale);
                t.I32Field(DecimalTypeFields.Precision, c.Precision);
                t.EndStruct();
                break;
            case ParquetValueKind.Date:
                t.StructField(LogicalTypeFields.Date);
                t.EndStruct();
                break;
            case ParquetValueKind.TimestampMicrosUtc:
                t.StructField(LogicalTypeFields.Timestamp);
                t.BoolField(TimestampTypeFields.IsAdjustedToUtc, true);
                t.StructField(TimestampTypeFields.Unit);
                t.StructField(TimeUnitFields.Micros);
                t.EndStruct();
                t.EndStruct();
                t.EndStruct();
                break;
            default:
                t.StructField(LogicalTypeFields.Integer);
                t.I8Field(IntTypeFields.BitWidth, c.Kind == ParquetValueKind.Int32 ? (sbyte)32 : (sbyte)64);
                t.BoolField(IntTypeFields.IsSigned, true);
                t.EndStruct();
                break;
        }
        t.EndStruct();
        t.EndStruct();
    }

    private void RowGroup(ThriftCompactWriter t, RowGroupMeta g)
    {
        t.BeginStruct();
        t.StructListField(RowGroupFields.Columns, g.Columns.Count);
        foreach (var c in g.Columns)
        {
            var spec = _columns[c.Index];
            t.BeginStruct();
            t.I64Field(ColumnChunkFields.FileOffset, c.DictionaryPageOffset ?? c.DataPageOffset);
            t.StructField(ColumnChunkFields.MetaData);
            t.I32Field(ColumnMetaDataFields.Type, PhysicalType(spec.Kind));
            t.I32ListField(ColumnMetaDataFields.Encodings, c.Encodings);
            t.StringListField(ColumnMetaDataFields.PathInSchema, [spec.Name]);
            t.I32Field(ColumnMetaDataFields.Codec, c.Codec);
            t.I64Field(ColumnMetaDataFields.NumValues, c.Count);
            t.I64Field(ColumnMetaDataFields.TotalUncompressedSize, c.Uncompressed);
            t.I64Field(ColumnMetaDataFields.TotalCompressedSize, c.Compressed);
            t.I64Field(ColumnMetaDataFields.DataPageOffset, c.DataPageOffset);
            if (c.DictionaryPageOffset is { } dictionary) t.I64Field(ColumnMetaDataFields.DictionaryPageOffset, dictionary);
            t.StructField(ColumnMetaDataFields.Statistics);
            t.I64Field(StatisticsFields.NullCount, c.Stats.Nulls);
            if (c.Stats.Max is { } max) t.BinaryField(StatisticsFields.MaxValue, max);
            if (c.Stats.Min is { } min) t.BinaryField(StatisticsFields.MinValue, min);
            t.EndStruct();
            // encoding_stats: how many pages of each type use each encoding (a reader, such as the gate, can tell from the
            // footer that every data page is dictionary-encoded without reading the pages).
            t.StructListField(ColumnMetaDataFields.EncodingStats, c.DictionaryPageOffset is null ? 1 : 2);
            if (c.DictionaryPageOffset is not null) PageEncodingStats(t, ParquetPageType.Dictionary, ParquetEncoding.Plain);
            PageEncodingStats(t, ParquetPageType.Data, c.DataEncoding);
            t.EndStruct();
            t.EndStruct();
        }
        t.I64Field(RowGroupFields.TotalByteSize, g.Columns.Sum(c => c.Uncompressed));
        t.I64Field(RowGroupFields.NumRows, g.Rows);
        t.I64Field(RowGroupFields.FileOffset, g.Offset);
        t.I64Field(RowGroupFields.TotalCompressedSize, g.Columns.Sum(c => c.Compressed));
        t.EndStruct();
    }

    /// <summary>One PageEncodingStats entry: one page of <paramref name="pageType"/> in <paramref name="encoding"/>.</summary>
    private static void PageEncodingStats(ThriftCompactWriter t, int pageType, int encoding)
    {
        t.BeginStruct();
        t.I32Field(PageEncodingStatsFields.PageType, pageType);
        t.I32Field(PageEncodingStatsFields.Encoding, encoding);
        t.I32Field(PageEncodingStatsFields.Count, 1);
        t.EndStruct();
    }
}
