using Highwater.Pipeline.Core.Mart;

namespace Highwater.Pipeline.QualityGate;

/// <summary>What a <see cref="ContractGate"/> run needs besides the contract and the files.</summary>
public sealed record GateContext(DateTimeOffset RunTime, string RunId)
{
    /// <summary>Files of another dataset by name, for <c>references</c> checks.</summary>
    public Func<string, IReadOnlyList<DatasetFile>>? ResolveDataset { get; init; }

    /// <summary>
    /// Where filtered copies of files that lost quarantined rows are written, under the same partition folders
    /// (<c>dt=…/name.parquet</c>). Required when the contract has quarantine checks.
    /// </summary>
    public string? OutputFolder { get; init; }

    /// <summary>
    /// Where quarantined rows go, as <c>&lt;dataset&gt;/&lt;run id&gt;.ndjson</c>. Required when the contract has quarantine checks.
    /// </summary>
    public string? QuarantineFolder { get; init; }
}
