namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// A column chunk's footer statistics (<see cref="ColumnChunkStatistics"/>) in the gate's terms: bounds normalised as
/// <see cref="TypedColumn.Value"/> normalises a row (decimals, UTC times), so that a check can be decided for the whole
/// chunk without decoding it (<see cref="CheckEvaluator.IsProvenBy"/>). Invariant: <see cref="Min"/> and
/// <see cref="Max"/> are both set or both null.
/// </summary>
internal sealed class ChunkStatistics
{
    private readonly ColumnChunkStatistics _footer;

    private ChunkStatistics(ColumnChunkStatistics footer, object? min, object? max) => (_footer, Min, Max) = (footer, min, max);

    /// <summary>How many of the chunk's values are null; null when the footer does not say.</summary>
    public long? NullCount => _footer.NullCount;

    /// <summary>At most the chunk's smallest non-null value (decimal or UTC <see cref="DateTime"/>); null when unknown.</summary>
    public object? Min { get; }

    /// <summary>At least the chunk's largest non-null value; null when unknown.</summary>
    public object? Max { get; }

    /// <summary>
    /// The values of a string chunk's dictionary when every data page is dictionary-encoded, else null
    /// (<see cref="ColumnChunkStatistics.DictionaryStrings"/>): a check that fails one of them proves nothing, as a
    /// dictionary may hold values no row uses, and the rows are judged one by one.
    /// </summary>
    public string?[]? DictionaryStrings() => _footer.DictionaryStrings();

    /// <summary>The statistics of <paramref name="field"/>'s chunk in row group <paramref name="rg"/> of the file at <paramref name="path"/>, or null when the footer has none.</summary>
    public static ChunkStatistics? Of(string path, global::Parquet.Meta.FileMetaData? metadata, global::Parquet.ParquetRowGroupReader rg,
        global::Parquet.Schema.DataField field)
    {
        if (ColumnChunkStatistics.Of(path, metadata, rg, field) is not { } footer) return null;
        if (footer.Bounds is not { } bounds) return new ChunkStatistics(footer, null, null);
        // Both bounds read back as two rows of a column are.
        var typed = TypedColumn.From(bounds);
        return typed.Kind is CellKind.Long or CellKind.Decimal or CellKind.Time
            ? new ChunkStatistics(footer, typed.Value(0), typed.Value(1))
            : new ChunkStatistics(footer, null, null);
    }
}
