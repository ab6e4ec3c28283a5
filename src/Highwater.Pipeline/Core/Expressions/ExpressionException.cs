namespace Highwater.Pipeline.Core.Expressions;

/// <summary>
/// An expression does not parse or does not type: <see cref="Position"/> is the 0-based offset in its text of the
/// offending token, <see cref="Problem"/> what is wrong there. The owner (a contract check, a derivation) adds where the
/// text came from.
/// </summary>
public sealed class ExpressionException(string text, int position, string problem)
    : Exception($"at position {position + 1} of '{text}': {problem}")
{
    /// <summary>The expression text as written.</summary>
    public string Text { get; } = text;

    /// <summary>0-based offset of the offending token in <see cref="Text"/>.</summary>
    public int Position { get; } = position;

    public string Problem { get; } = problem;
}
