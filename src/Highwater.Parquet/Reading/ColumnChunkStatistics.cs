using Parquet;
using Parquet.Meta;
using Parquet.Schema;
using ParquetType = Parquet.Meta.Type;

namespace Highwater.Parquet.Reading;

/// <summary>
/// What a row group's footer states about one flat column chunk, taken only where the format makes it exact:
/// <list type="bullet">
/// <item>the null count, when the writer stated it;</item>
/// <item>min_value and max_value (<see cref="Bounds"/>), only when the file declares the type-defined column order for
/// every column (the deprecated min and max, whose order was never specified, are ignored), and only for INT32 and
/// INT64 columns that <see cref="PlainValueDecoders"/> reads (integers, decimals, dates, timestamps), decoded by that
/// decoder, so a bound is the value the rows decode to. Strings (UTF-8 byte order is not .NET's ordinal order above
/// U+FFFF) and floating point (NaN) get no bounds;</item>
/// <item>a string chunk's dictionary, when its encoding_stats say that every data page is dictionary-encoded
/// (<see cref="DictionaryStrings"/>): every row's value is one of those.</item>
/// </list>
/// A bound the writer marks inexact still bounds every value (the true minimum is at or above min_value).
/// </summary>
internal sealed class ColumnChunkStatistics
{
    private readonly Func<string?[]?>? _dictionary;
    private string?[]? _dictionaryStrings;
    private bool _dictionaryRead;

    private ColumnChunkStatistics(long? nullCount, Array? bounds, Func<string?[]?>? dictionary) =>
        (NullCount, Bounds, _dictionary) = (nullCount, bounds, dictionary);

    /// <summary>How many of the chunk's values are null; null when the footer does not say.</summary>
    public long? NullCount { get; }

    /// <summary>
    /// At most the chunk's smallest and at least its largest non-null value, as the two elements of an array of the
    /// CLR type its rows decode to (int[], long[], decimal[], DateTime[] or DateOnly[]); null when unknown.
    /// </summary>
    public Array? Bounds { get; }

    /// <summary>
    /// The values of a string chunk's dictionary, read from the file on first use (one small page), when every data
    /// page of the chunk is dictionary-encoded by its encoding_stats; null otherwise. A dictionary may hold values no
    /// row uses.
    /// </summary>
    public string?[]? DictionaryStrings()
    {
        if (!_dictionaryRead) (_dictionaryStrings, _dictionaryRead) = (_dictionary?.Invoke(), true);
        return _dictionaryStrings;
    }

    /// <summary>The statistics of <paramref name="field"/>'s chunk in row group <paramref name="rg"/> of the file at <paramref name="path"/>, or null when the footer has none.</summary>
    public static ColumnChunkStatistics? Of(string path, FileMetaData? metadata, ParquetRowGroupReader rg, DataField field)
    {
        if (metadata is null || field.IsArray || field.MaxRepetitionLevel != 0 || field.Path.Length != 1) return null;
        var md = rg.GetMetadata(field)?.MetaData;
        if (md is null || md.PathInSchema.Count != 1) return null;
        var element = ColumnChunkDecoder.TopLevelElement(metadata, field.Name);
        Func<string?[]?>? dictionary = element is not null && IsDictionaryOnly(md) && PlainValueDecoders.IsString(field)
            ? () => ColumnChunkDecoder.TryReadDictionaryStrings(path, md, field, element)
            : null;
        if (md.Statistics is not { } s) return dictionary is null ? null : new ColumnChunkStatistics(null, null, dictionary);
        var bounds = HasTypeDefinedOrder(metadata) && element is not null ? BoundsOf(field, element, s) : null;
        return new ColumnChunkStatistics(s.NullCount, bounds, dictionary);
    }

    /// <summary>Whether the chunk's encoding_stats list a dictionary page and only dictionary-encoded data pages.</summary>
    public static bool IsDictionaryOnly(ColumnMetaData md) =>
        md.EncodingStats is { Count: > 0 } stats
        && stats.Any(p => p.PageType == PageType.DICTIONARY_PAGE)
        && stats.Any(p => p.PageType is PageType.DATA_PAGE or PageType.DATA_PAGE_V2)
        && stats.All(p => p.PageType == PageType.DICTIONARY_PAGE
                          || ((p.PageType is PageType.DATA_PAGE or PageType.DATA_PAGE_V2) && p.Encoding is Encoding.RLE_DICTIONARY or Encoding.PLAIN_DICTIONARY));

    private static bool HasTypeDefinedOrder(FileMetaData metadata) =>
        metadata.ColumnOrders is { Count: > 0 } orders && orders.All(o => o.TYPEORDER is not null);

    private static Array? BoundsOf(DataField field, SchemaElement element, Statistics s)
    {
        var width = element.Type switch { ParquetType.INT32 => 4, ParquetType.INT64 => 8, _ => 0 };
        if (width == 0 || s.MinValue is not { } min || s.MaxValue is not { } max || min.Length != width || max.Length != width)
            return null;
        return PlainValueDecoders.For(field, element) switch
        {
            PlainValueDecoder<int> d => Decoded(d, min, max),
            PlainValueDecoder<long> d => Decoded(d, min, max),
            PlainValueDecoder<decimal> d => Decoded(d, min, max),
            PlainValueDecoder<DateTime> d => Decoded(d, min, max),
            PlainValueDecoder<DateOnly> d => Decoded(d, min, max),
            _ => null,
        };
    }

    /// <summary>Both bounds decoded as two rows of the column.</summary>
    private static T[]? Decoded<T>(PlainValueDecoder<T> decoder, byte[] min, byte[] max)
    {
        var values = new T[2];
        try
        {
            return decoder.TryDecode(min, values.AsSpan(0, 1)) && decoder.TryDecode(max, values.AsSpan(1, 1)) ? values : null;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null; // a timestamp or date outside DateTime's range: the rows' decoding reports it
        }
    }
}
