using Highwater.Pipeline.Core.Mart;
using Parquet;
using Parquet.Meta;
using Parquet.Schema;
using ParquetType = Parquet.Meta.Type;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// What a row group's footer states about one column chunk, in the gate's terms: how many of its values are null, and
/// bounds on its values normalised as <see cref="TypedColumn.Value"/> normalises a row (decimals, UTC times), so that a
/// check can be decided for the whole chunk without decoding it (<see cref="CheckEvaluator.IsProvenBy"/>).
/// Only what the format makes exact is taken:
/// <list type="bullet">
/// <item>the null count, when the writer stated it;</item>
/// <item>min_value and max_value, only when the file declares the type-defined column order for every column (the
/// deprecated min and max, whose order was never specified, are ignored), and only for the INT32 and INT64 types the
/// gate's decoder reads (integers, decimals, dates, timestamps), decoded by that decoder
/// (<see cref="PlainValueDecoders"/>), so a bound reads as the rows would. Strings (UTF-8 byte order is not .NET's
/// ordinal order above U+FFFF) and floating point (NaN) get no bounds.</item>
/// </list>
/// A bound the writer marks inexact still bounds every value (the true minimum is at or above min_value), which is all a
/// proof needs. A string chunk whose encoding_stats say that every data page is dictionary-encoded also gives its
/// dictionary (<see cref="DictionaryStrings"/>): every row's value is one of those. Invariant: <see cref="Min"/> and
/// <see cref="Max"/> are both set or both null.
/// </summary>
internal sealed class ChunkStatistics
{
    private readonly Func<string?[]?>? _dictionary;
    private string?[]? _dictionaryStrings;
    private bool _dictionaryRead;

    private ChunkStatistics(long? nullCount, object? min, object? max, Func<string?[]?>? dictionary) =>
        (NullCount, Min, Max, _dictionary) = (nullCount, min, max, dictionary);

    /// <summary>How many of the chunk's values are null; null when the footer does not say.</summary>
    public long? NullCount { get; }

    /// <summary>At most the chunk's smallest non-null value (decimal or UTC <see cref="DateTime"/>); null when unknown.</summary>
    public object? Min { get; }

    /// <summary>At least the chunk's largest non-null value; null when unknown.</summary>
    public object? Max { get; }

    /// <summary>
    /// The values of a string chunk's dictionary, read from the file on first use (one small page), when every data
    /// page of the chunk is dictionary-encoded by its encoding_stats; null otherwise. A dictionary may hold values no
    /// row uses: a check that fails one of them proves nothing, and the rows are judged one by one.
    /// </summary>
    public string?[]? DictionaryStrings()
    {
        if (!_dictionaryRead) (_dictionaryStrings, _dictionaryRead) = (_dictionary?.Invoke(), true);
        return _dictionaryStrings;
    }

    /// <summary>The statistics of <paramref name="field"/>'s chunk in row group <paramref name="rg"/> of the file at <paramref name="path"/>, or null when the footer has none.</summary>
    public static ChunkStatistics? Of(string path, FileMetaData? metadata, ParquetRowGroupReader rg, DataField field)
    {
        if (metadata is null || field.IsArray || field.MaxRepetitionLevel != 0 || field.Path.Length != 1) return null;
        var md = rg.GetMetadata(field)?.MetaData;
        if (md is null || md.PathInSchema.Count != 1) return null;
        var element = ColumnChunkDecoder.TopLevelElement(metadata, field.Name);
        Func<string?[]?>? dictionary = element is not null && IsDictionaryOnly(md) && FieldColumns.IsString(field)
            ? () => ColumnChunkDecoder.TryReadDictionaryStrings(path, md, field, element)
            : null;
        if (md.Statistics is not { } s) return dictionary is null ? null : new ChunkStatistics(null, null, null, dictionary);
        var (min, max) = HasTypeDefinedOrder(metadata) && element is not null ? Bounds(field, element, s) : (null, null);
        return new ChunkStatistics(s.NullCount, min, max, dictionary);
    }

    /// <summary>Whether the chunk's encoding_stats list a dictionary page and only dictionary-encoded data pages.</summary>
    internal static bool IsDictionaryOnly(ColumnMetaData md) =>
        md.EncodingStats is { Count: > 0 } stats
        && stats.Any(p => p.PageType == PageType.DICTIONARY_PAGE)
        && stats.Any(p => p.PageType is PageType.DATA_PAGE or PageType.DATA_PAGE_V2)
        && stats.All(p => p.PageType == PageType.DICTIONARY_PAGE
                          || ((p.PageType is PageType.DATA_PAGE or PageType.DATA_PAGE_V2) && p.Encoding is Encoding.RLE_DICTIONARY or Encoding.PLAIN_DICTIONARY));

    private static bool HasTypeDefinedOrder(FileMetaData metadata) =>
        metadata.ColumnOrders is { Count: > 0 } orders && orders.All(o => o.TYPEORDER is not null);

    private static (object? Min, object? Max) Bounds(DataField field, SchemaElement element, Statistics s)
    {
        var width = element.Type switch { ParquetType.INT32 => 4, ParquetType.INT64 => 8, _ => 0 };
        if (width == 0 || s.MinValue is not { } min || s.MaxValue is not { } max || min.Length != width || max.Length != width)
            return (null, null);
        return PlainValueDecoders.For(field, element) switch
        {
            PlainValueDecoder<int> d => Normalised(d, min, max),
            PlainValueDecoder<long> d => Normalised(d, min, max),
            PlainValueDecoder<decimal> d => Normalised(d, min, max),
            PlainValueDecoder<DateTime> d => Normalised(d, min, max),
            PlainValueDecoder<DateOnly> d => Normalised(d, min, max),
            _ => (null, null),
        };
    }

    /// <summary>Both bounds decoded as two rows of a column and read back as <see cref="TypedColumn.Value"/> gives them.</summary>
    private static (object? Min, object? Max) Normalised<T>(PlainValueDecoder<T> decoder, byte[] min, byte[] max)
    {
        var values = new T[2];
        try
        {
            if (!decoder.TryDecode(min, values.AsSpan(0, 1)) || !decoder.TryDecode(max, values.AsSpan(1, 1))) return (null, null);
        }
        catch (ArgumentOutOfRangeException)
        {
            return (null, null); // a timestamp or date outside DateTime's range: the rows' decoding reports it
        }

        var typed = TypedColumn.From(values);
        if (typed.Kind is not (CellKind.Long or CellKind.Decimal or CellKind.Time)) return (null, null);
        return (typed.Value(0), typed.Value(1));
    }
}
