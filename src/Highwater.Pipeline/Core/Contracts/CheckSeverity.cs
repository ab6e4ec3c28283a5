namespace Highwater.Pipeline.Core.Contracts;

/// <summary>What a failing check does to the run.</summary>
public enum CheckSeverity
{
    /// <summary>The gate fails.</summary>
    Error,

    /// <summary>Reported, the gate still passes.</summary>
    Warn,

    /// <summary>Row-level checks only: failing rows are removed from the published files and written to the quarantine.</summary>
    Quarantine,
}

/// <summary>The outcome of one check in a <see cref="GateReport"/>.</summary>
public enum CheckStatus
{
    Pass,

    /// <summary>An error-severity check failed.</summary>
    Fail,

    /// <summary>A warn-severity check failed, or a quarantine check removed rows.</summary>
    Warn,

    /// <summary>Not evaluated because the schema check failed.</summary>
    Skipped,
}
