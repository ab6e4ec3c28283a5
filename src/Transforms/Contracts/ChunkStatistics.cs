using Parquet;
using Parquet.Meta;
using Parquet.Schema;
using ParquetType = Parquet.Meta.Type;

namespace Highwater.Contracts;

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
/// proof needs. Invariant: <see cref="Min"/> and <see cref="Max"/> are both set or both null.
/// </summary>
internal sealed class ChunkStatistics
{
    private ChunkStatistics(long? nullCount, object? min, object? max) => (NullCount, Min, Max) = (nullCount, min, max);

    /// <summary>How many of the chunk's values are null; null when the footer does not say.</summary>
    public long? NullCount { get; }

    /// <summary>At most the chunk's smallest non-null value (decimal or UTC <see cref="DateTime"/>); null when unknown.</summary>
    public object? Min { get; }

    /// <summary>At least the chunk's largest non-null value; null when unknown.</summary>
    public object? Max { get; }

    /// <summary>The statistics of <paramref name="field"/>'s chunk in row group <paramref name="rg"/>, or null when the footer has none.</summary>
    public static ChunkStatistics? Of(FileMetaData? metadata, ParquetRowGroupReader rg, DataField field)
    {
        if (metadata is null || field.IsArray || field.MaxRepetitionLevel != 0 || field.Path.Length != 1) return null;
        var md = rg.GetMetadata(field)?.MetaData;
        if (md?.Statistics is not { } s || md.PathInSchema.Count != 1) return null;
        var (min, max) = HasTypeDefinedOrder(metadata) && ColumnChunkDecoder.TopLevelElement(metadata, field.Name) is { } element
            ? Bounds(field, element, s)
            : (null, null);
        return new ChunkStatistics(s.NullCount, min, max);
    }

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
