namespace Highwater.Cli;

/// <summary>Process exit codes CI can branch on. Documented in README.md ("Exit codes").</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Unexpected = 1;
    public const int Configuration = 2;
    public const int QualityGateFailed = 3;
    public const int Storage = 4;
    public const int Data = 5;
    public const int PipelineState = 6;

    /// <summary>
    /// Stopped by SIGTERM or SIGINT (a cancelled CI job, Ctrl+C): the run stopped at its next safe point, released the
    /// warehouse lease and left nothing half-written. 128 + SIGINT, the code shells give an interrupted command.
    /// </summary>
    public const int Stopped = 130;

    /// <summary>
    /// The code README suggests for --exit-code-when-idle (opt-in "nothing to do"); without that option a run
    /// with nothing new exits <see cref="Success"/>.
    /// </summary>
    public const int SuggestedIdle = 10;
}
