namespace Highwater.Pipeline.Core.Contracts;

/// <summary>
/// A column the dataset promises. <paramref name="Nullable"/> mirrors the physical Parquet schema:
/// a contract that says <c>nullable: false</c> requires the file column to be REQUIRED.
/// Whether the values of a nullable column are actually present is a <c>not_null</c> check's business.
/// </summary>
public sealed record ContractColumn(string Name, ColumnType Type, bool Nullable, string? Description)
{
    /// <summary>The column a flat Parquet.Net field of a contract type declares (a dataset's schema built in code, for tests and tools).</summary>
    /// <exception cref="ArgumentException">The field's type has no contract type.</exception>
    public static ContractColumn FromField(global::Parquet.Schema.DataField field) =>
        new(field.Name, ColumnType.FromField(field) ?? throw new ArgumentException($"column {field.Name}: {ColumnType.Describe(field)} has no contract type"),
            field.IsNullable, null);

    /// <summary>
    /// <c>derived: qty * unit_price</c>: the column's value is this expression of other columns of the row, computed by
    /// the stage that builds the dataset (docs/contracts.md, "Derived columns"); null for a column that is not derived.
    /// </summary>
    public Highwater.Pipeline.Core.Expressions.Expression? Derivation { get; init; }

    /// <summary>The derivation as written in the contract.</summary>
    public string? DerivationText { get; init; }

    /// <summary><c>json: couponCode</c>: the input field the column is read from; null reads the field of the column's own name.</summary>
    public string? JsonField { get; init; }

    /// <summary>The input field the column is read from (<see cref="JsonField"/> or the column's name).</summary>
    public string Field => JsonField ?? Name;

    /// <summary><c>lineage: file|line</c>: the column is the input position of the row, not a field of the line.</summary>
    public ColumnLineage Lineage { get; init; }

    /// <summary>
    /// <c>default: 0</c>: the value of a row whose line lacks the field, as written in the contract (null text for
    /// <c>default: null</c>); see <see cref="HasDefault"/>. A column without a default requires the field on every line.
    /// </summary>
    public string? DefaultText { get; init; }

    /// <summary>Whether the contract gives a <c>default:</c> (which may be null).</summary>
    public bool HasDefault { get; init; }

    /// <summary>Where the column (and its default) is declared, for messages about it.</summary>
    public int SourceLine { get; init; } = 1;
    public int SourceColumn { get; init; } = 1;
    public int DefaultLine { get; init; } = 1;
    public int DefaultColumn { get; init; } = 1;
}

/// <summary>Where a row's column comes from when it is not a field of the input line.</summary>
public enum ColumnLineage
{
    /// <summary>A field of the line (<see cref="ContractColumn.Field"/>).</summary>
    None,

    /// <summary>The object key of the input file the line came from (a string).</summary>
    File,

    /// <summary>The 1-based number of the line in its input file (an int64).</summary>
    Line,
}
