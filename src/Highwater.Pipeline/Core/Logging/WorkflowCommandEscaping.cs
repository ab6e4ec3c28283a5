namespace Highwater.Pipeline.Core.Logging;

/// <summary>
/// The one escaping rule for text we print that a CI runner parses (stdout, stderr, <c>$GITHUB_STEP_SUMMARY</c>,
/// annotations): GitHub Actions reads a line starting with <c>::</c> as a workflow command, so a landed value holding a
/// line break followed by <c>::warning::</c>, <c>::add-mask::</c> or <c>::stop-commands::</c> would become one. Every
/// value from data (gate samples, landed keys, values in error messages) goes through <see cref="Data"/> before it is
/// printed; a workflow command's properties go through <see cref="Property"/>. As GitHub documents and
/// actions/toolkit's command.ts does: <c>%</c> → <c>%25</c>, CR → <c>%0D</c>, LF → <c>%0A</c>; in properties also
/// <c>:</c> → <c>%3A</c> and <c>,</c> → <c>%2C</c>. An escaped value is one line, and reads back by reversing the rule.
/// </summary>
public static class WorkflowCommandEscaping
{
    public static string Data(string value) =>
        value.AsSpan().IndexOfAny('%', '\r', '\n') < 0 ? value : value.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");

    public static string Property(string value) => Data(value).Replace(":", "%3A").Replace(",", "%2C");
}
