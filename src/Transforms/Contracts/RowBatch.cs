using System.Text;
using Parquet.Schema;

namespace Highwater.Contracts;

/// <summary>
/// One row group of one file in memory: its raw column arrays plus the file's partition values.
/// Gives checks normalised values by column name and renders rows for samples and quarantine reasons.
/// </summary>
internal sealed class RowBatch
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public RowBatch(DatasetFile file, IReadOnlyList<DataField> fields, Array[] columns, int rowCount,
        IReadOnlyList<(string Name, DateTime Value)> partitions)
    {
        File = file;
        Fields = fields;
        Columns = columns;
        RowCount = rowCount;
        Partitions = partitions;
        for (int i = 0; i < fields.Count; i++) _index[fields[i].Name] = i;
    }

    public DatasetFile File { get; }

    public IReadOnlyList<DataField> Fields { get; }

    public Array[] Columns { get; }

    public int RowCount { get; }

    public IReadOnlyList<(string Name, DateTime Value)> Partitions { get; }

    /// <summary>A reader of the named column's normalised values for this batch (partition columns are constant).</summary>
    public Func<int, object?> Accessor(string column)
    {
        foreach (var (name, value) in Partitions)
            if (name == column) { object boxed = value; return _ => boxed; }
        if (!_index.TryGetValue(column, out int i))
            throw new InvalidOperationException($"column '{column}' is not in the batch (the schema check should have caught this)");
        var array = Columns[i];
        return row => ContractValues.Normalize(array.GetValue(row));
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

    public object? RawValue(int column, int row) => Columns[column].GetValue(row);

    private string RenderCell(int i, int row) =>
        ContractValues.Render(Columns[i].GetValue(row), Fields[i] is DateTimeDataField { DateTimeFormat: DateTimeFormat.Date });

    private static void Append(StringBuilder sb, string name, string value)
    {
        if (sb.Length > 0) sb.Append(", ");
        sb.Append(name).Append('=').Append(value);
    }
}
