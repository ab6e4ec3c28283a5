namespace Highwater.Pipeline.Core.Contracts;

/// <summary>
/// A column the dataset promises. <paramref name="Nullable"/> mirrors the physical Parquet schema:
/// a contract that says <c>nullable: false</c> requires the file column to be REQUIRED.
/// Whether the values of a nullable column are actually present is a <c>not_null</c> check's business.
/// </summary>
public sealed record ContractColumn(string Name, ColumnType Type, bool Nullable, string? Description)
{
    /// <summary>
    /// <c>derived: qty * unit_price</c>: the column's value is this expression of other columns of the row, computed by
    /// the stage that builds the dataset (docs/contracts.md, "Derived columns"); null for a column that is not derived.
    /// </summary>
    public Highwater.Pipeline.Core.Expressions.Expression? Derivation { get; init; }

    /// <summary>The derivation as written in the contract.</summary>
    public string? DerivationText { get; init; }
}
