namespace Highwater.Pipeline.Core.Contracts;

/// <summary>
/// What one dataset promises its readers: its columns and types, its partitioning and its data-quality checks.
/// Built by <see cref="ContractLoader"/> from <c>data-contracts/&lt;dataset&gt;.yaml</c>.
/// </summary>
public sealed record DataContract
{
    public const double DefaultMaxQuarantinedFraction = 0.05;

    public required string Dataset { get; init; }

    public required string Version { get; init; }

    public string? Owner { get; init; }

    public string? Description { get; init; }

    /// <summary>Hive partition columns, taken from <c>name=value</c> folder names and typed as date.</summary>
    public IReadOnlyList<string> PartitionBy { get; init; } = [];

    /// <summary>Whether files may carry nullable columns the contract does not declare.</summary>
    public bool AllowNewNullableColumns { get; init; }

    public required IReadOnlyList<ContractColumn> Columns { get; init; }

    public IReadOnlyList<ContractCheck> Checks { get; init; } = [];

    /// <summary>The gate fails when quarantined rows / input rows exceeds this (0..1).</summary>
    public double MaxQuarantinedFraction { get; init; } = DefaultMaxQuarantinedFraction;

    /// <summary>How the dataset is computed from another (its <c>derive:</c> section), or null when it is not derived.</summary>
    public DerivedTable? Derive { get; init; }

    /// <summary>The file the contract was loaded from, or null when built in code.</summary>
    public string? SourcePath { get; init; }

    public ContractColumn? FindColumn(string name) => Columns.FirstOrDefault(c => c.Name == name);

    public bool IsPartitionColumn(string name) => PartitionBy.Contains(name);

    /// <summary>The type of a declared column or partition column (partition columns are dates).</summary>
    public ColumnType? TypeOf(string name) =>
        IsPartitionColumn(name) ? ColumnType.Date : FindColumn(name)?.Type;
}
