using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

/// <summary>The outcome of one check (or of the schema / quarantine-fraction rules) in a <see cref="GateReport"/>.</summary>
public sealed record CheckResult
{
    public required string Name { get; init; }

    /// <summary>The check type (not_null, unique, …), or <c>schema</c> / <c>quarantined_fraction</c> for the gate's own rules.</summary>
    public required string Type { get; init; }

    public required IReadOnlyList<string> Columns { get; init; }

    public required CheckSeverity Severity { get; init; }

    public required CheckStatus Status { get; init; }

    /// <summary>Offending rows (or schema issues, or 1 for a dataset-level check that failed).</summary>
    public long FailingCount { get; init; }

    /// <summary>Up to 5 offending rows rendered as <c>col=value, …</c> (all issues for the schema rule).</summary>
    public IReadOnlyList<string> Samples { get; init; } = [];

    public long RowsChecked { get; init; }

    public long RowsQuarantined { get; init; }

    /// <summary>
    /// How many row groups the check passed by their footer statistics alone, without decoding the column (a not_null
    /// check by a null count of zero, a min or max check by the chunk's bounds, pattern and accepted_values by a
    /// dictionary-only chunk's dictionary); their rows count as checked.
    /// </summary>
    public long RowGroupsByStatistics { get; init; }

    /// <summary>A one-line explanation (e.g. the bound, the observed maximum).</summary>
    public string Detail { get; init; } = "";

    public const int MaxSamples = 5;
}
