namespace Highwater.Pipeline.Core.Logging;

/// <summary>How stages report: one summary line per stage, details at diagnostic verbosity.</summary>
public interface IStageLog
{
    void Info(string message);
    void Warn(string message);
    void Diagnostic(string message);
}

/// <summary>
/// Stage logs for the console and for tests. A diagnostic message is one line: it names landed keys and values, so it
/// is escaped whole (<see cref="WorkflowCommandEscaping"/>) and a line break in a key cannot start a command.
/// </summary>
public sealed class StageLog : IStageLog
{
    public static readonly IStageLog Silent = new StageLog(TextWriter.Null, false);

    private readonly TextWriter _out;
    private readonly bool _diagnostic;

    /// <summary>Stages log from parallel workers (Transform's buckets, Extract's files), so every line goes through a
    /// synchronized writer: a plain <see cref="StringWriter"/> would be written from two threads at once.</summary>
    public StageLog(TextWriter output, bool diagnostic)
    {
        _out = TextWriter.Synchronized(output);
        _diagnostic = diagnostic;
    }

    public void Info(string message) => _out.WriteLine(message);
    public void Warn(string message) => _out.WriteLine("warning: " + message);
    public void Diagnostic(string message)
    {
        if (_diagnostic) _out.WriteLine("  " + WorkflowCommandEscaping.Data(message));
    }
}
