namespace Highwater.Pipeline.Core.Contracts;

/// <summary>
/// A column the dataset promises. <paramref name="Nullable"/> mirrors the physical Parquet schema:
/// a contract that says <c>nullable: false</c> requires the file column to be REQUIRED.
/// Whether the values of a nullable column are actually present is a <c>not_null</c> check's business.
/// </summary>
public sealed record ContractColumn(string Name, ColumnType Type, bool Nullable, string? Description);
