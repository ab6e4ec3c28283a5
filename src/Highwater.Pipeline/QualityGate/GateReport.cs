using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// The outcome of a <see cref="ContractGate"/> run. Publish <see cref="FilesToPublish"/> only when <see cref="Passed"/>.
/// Renderers: <see cref="ToJson"/>, <see cref="ToMarkdown"/>, <see cref="ToConsoleText"/>, <see cref="GitHubAnnotations"/>.
/// </summary>
public sealed record GateReport
{
    public required string Dataset { get; init; }

    public required string ContractVersion { get; init; }

    public required string RunId { get; init; }

    public required DateTimeOffset RunTime { get; init; }

    /// <summary>No error-severity check failed and the quarantined fraction is within bounds.</summary>
    public required bool Passed { get; init; }

    /// <summary>Input rows read (before quarantine).</summary>
    public long RowsChecked { get; init; }

    public long RowsQuarantined { get; init; }

    public double QuarantinedFraction => RowsChecked == 0 ? 0 : (double)RowsQuarantined / RowsChecked;

    public double MaxQuarantinedFraction { get; init; }

    /// <summary>The schema rule first, then the contract's checks in file order, then the quarantine-fraction rule (if any).</summary>
    public required IReadOnlyList<CheckResult> Checks { get; init; }

    /// <summary>
    /// The input files, except that a file which lost quarantined rows is replaced by its filtered copy under
    /// GateContext.OutputFolder. Empty when the schema check failed.
    /// </summary>
    public IReadOnlyList<DatasetFile> FilesToPublish { get; init; } = [];

    /// <summary>The NDJSON file holding quarantined rows, or null when none were quarantined.</summary>
    public string? QuarantineFile { get; init; }

    /// <summary>The results that make the gate fail.</summary>
    public IEnumerable<CheckResult> Failures => Checks.Where(c => c.Status == CheckStatus.Fail);

    /// <summary>Throws <see cref="GateFailedException"/> unless the gate passed.</summary>
    public GateReport EnsurePassed() => Passed ? this : throw new GateFailedException(this);

    public string ToJson() => GateReportRenderer.Json(this);

    public string ToMarkdown() => GateReportRenderer.Markdown(this);

    public string ToConsoleText() => GateReportRenderer.Console(this);

    /// <summary>GitHub Actions workflow commands, one per failing (<c>::error</c>) or warning (<c>::warning</c>) check.</summary>
    public IReadOnlyList<string> GitHubAnnotations() => GateReportRenderer.GitHub(this);
}
