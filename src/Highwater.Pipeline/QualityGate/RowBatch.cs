using System.Text;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;
using Parquet.Schema;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// One row group of one file: the column arrays read so far (only those the checks need, until a sample, the
/// quarantine or a filtered copy needs the whole row) plus the file's partition values. Gives checks typed columns
/// by name and renders rows for samples and quarantine reasons.
/// </summary>
internal sealed class RowBatch
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TypedColumn> _typed = new(StringComparer.Ordinal);
    private readonly StringSlices?[] _slices;

    public RowBatch(DatasetFile file, IReadOnlyList<DataField> fields, Array?[] columns, int rowCount,
        IReadOnlyList<(string Name, DateTime Value)> partitions, ColumnBufferPool? pool = null)
    {
        Pool = pool;
        File = file;
        Fields = fields;
        Columns = columns;
        RowCount = rowCount;
        Partitions = partitions;
        _slices = new StringSlices?[fields.Count];
        for (int i = 0; i < fields.Count; i++) _index[fields[i].Name] = i;
    }

    public DatasetFile File { get; }

    /// <summary>The file's footer, for reading its column chunks directly (<see cref="ColumnChunkDecoder"/>); null: through Parquet.Net only.</summary>
    public global::Parquet.Meta.FileMetaData? Metadata { get; init; }

    /// <summary>Where the column arrays and typed copies come from and go back to on <see cref="Release"/>; null: allocated.</summary>
    public ColumnBufferPool? Pool { get; }

    public IReadOnlyList<DataField> Fields { get; }

    /// <summary>The file columns in schema order; null for a column not read (yet), or read as <see cref="StringSlices"/>.</summary>
    public Array?[] Columns { get; }

    /// <summary>The checks this row group passes by its footer statistics (<see cref="CheckEvaluator.IsProvenBy"/>); null: none.</summary>
    public IReadOnlySet<CheckEvaluator>? ProvenChecks { get; set; }

    /// <summary>Whether <paramref name="check"/> passes this row group by its footer statistics, so it need not scan it.</summary>
    public bool IsProven(CheckEvaluator check) => ProvenChecks?.Contains(check) == true;

    /// <summary>Whether column <paramref name="i"/> is read (as an array or as slices).</summary>
    public bool IsRead(int i) => Columns[i] is not null || _slices[i] is not null;

    /// <summary>Holds column <paramref name="i"/> as slices of characters (see <see cref="StringSlices"/>).</summary>
    public void SetSlices(int i, StringSlices slices)
    {
        if (IsRead(i)) throw new InvalidOperationException($"column '{Fields[i].Name}' is read already");
        _slices[i] = slices;
    }

    /// <summary>A read column's array (a column read as slices gets its strings now).</summary>
    public Array ColumnArray(int i) =>
        Columns[i] ?? _slices[i]?.Strings ?? throw new InvalidOperationException($"column '{Fields[i].Name}' was not read");

    public int RowCount { get; }

    public IReadOnlyList<(string Name, DateTime Value)> Partitions { get; }

    public bool IsComplete => Enumerable.Range(0, Columns.Length).All(IsRead);

    /// <summary>The schema index of a file column, or -1 for a partition column (or an unknown name).</summary>
    public int IndexOf(string column) => _index.TryGetValue(column, out int i) ? i : -1;

    /// <summary>The named column (or partition column, as a constant) in its typed form, built once per batch.</summary>
    public TypedColumn Column(string column)
    {
        if (_typed.TryGetValue(column, out var typed)) return typed;
        foreach (var (name, value) in Partitions)
        {
            if (name == column)
                return _typed[column] = TypedColumn.Constant(value, RowCount, Pool);
        }

        if (!_index.TryGetValue(column, out int i))
            throw new InvalidOperationException($"column '{column}' is not in the batch (the schema check should have caught this)");
        if (Columns[i] is null && _slices[i] is { } slices) return _typed[column] = TypedColumn.From(slices);
        var array = Columns[i] ?? throw new InvalidOperationException($"column '{column}' was not read");
        return _typed[column] = TypedColumn.From(array, Pool);
    }

    /// <summary>Gives every array of the batch back to its pool; the batch must not be used afterwards.</summary>
    public void Release()
    {
        if (Pool is not { } pool)
        {
            ReleaseSlices(); // their arenas are pooled whatever the batch's arrays are
            return;
        }

        foreach (var typed in _typed.Values) typed.ReturnTo(pool);
        _typed.Clear();
        for (int i = 0; i < Columns.Length; i++)
        {
            pool.Return(Columns[i]);
            Columns[i] = null;
        }

        ReleaseSlices();
    }

    private void ReleaseSlices()
    {
        for (int i = 0; i < _slices.Length; i++)
        {
            _slices[i]?.Release();
            _slices[i] = null;
        }
    }

    public bool IsDateColumn(string column) =>
        Partitions.Any(p => p.Name == column) ||
        (_index.TryGetValue(column, out int i) && Fields[i] is DateTimeDataField { DateTimeFormat: DateTimeFormat.Date });

    /// <summary><c>dt=2024-01-31, order_id="o-1", user_id=42, …</c>: partition columns first, then file columns.</summary>
    public string RenderRow(int row)
    {
        var sb = new StringBuilder();
        foreach (var (name, value) in Partitions)
            Append(sb, name, ContractValues.Render(value, isDate: true));
        for (int i = 0; i < Fields.Count; i++)
            Append(sb, Fields[i].Name, RenderCell(i, row));
        return sb.ToString();
    }

    public string RenderValue(string column, int row)
    {
        foreach (var (name, value) in Partitions)
            if (name == column) return ContractValues.Render(value, isDate: true);
        return RenderCell(_index[column], row);
    }

    public object? RawValue(int column, int row) => Loaded(column).GetValue(row);

    private string RenderCell(int i, int row) =>
        ContractValues.Render(Loaded(i).GetValue(row), Fields[i] is DateTimeDataField { DateTimeFormat: DateTimeFormat.Date });

    private Array Loaded(int i) => ColumnArray(i);

    private static void Append(StringBuilder sb, string name, string value)
    {
        if (sb.Length > 0) sb.Append(", ");
        sb.Append(name).Append('=').Append(value);
    }
}
