namespace Highwater.Pipeline.Core.Contracts;

/// <summary>
/// A data-contract YAML file is malformed or inconsistent: an unknown check type or key, a value of the wrong
/// type, a regex that does not compile, a column that is not declared, an unsupported severity.
/// The message reads <c>path:line:column: problem</c> so editors and CI logs can jump to the spot.
/// </summary>
public sealed class ContractDefinitionException : Exception
{
    public ContractDefinitionException(string filePath, long line, long column, string problem, Exception? inner = null)
        : base($"{filePath}:{line}:{column}: {problem}", inner)
    {
        FilePath = filePath;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>The contract file, as passed to the loader.</summary>
    public string FilePath { get; }

    /// <summary>1-based line of the offending YAML node.</summary>
    public long Line { get; }

    /// <summary>1-based column of the offending YAML node.</summary>
    public long Column { get; }

    /// <summary>What is wrong and what was expected, without the location prefix.</summary>
    public string Problem { get; }
}
