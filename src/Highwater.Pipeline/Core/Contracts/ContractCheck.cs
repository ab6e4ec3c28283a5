namespace Highwater.Pipeline.Core.Contracts;

/// <summary>
/// One rule of a <see cref="DataContract"/>. The concrete rules are the sealed records in CheckDefinitions.cs;
/// the set is closed so the loader, the gate and the docs can enumerate it.
/// </summary>
public abstract record ContractCheck
{
    /// <summary>Unique within the contract; defaults to <c>type_column(s)</c>.</summary>
    public required string Name { get; init; }

    public required CheckSeverity Severity { get; init; }

    public string? Description { get; init; }

    /// <summary>The YAML type key, e.g. <c>not_null</c>.</summary>
    public abstract string Type { get; }

    /// <summary>The columns the check reads, in the order they were written.</summary>
    public abstract IReadOnlyList<string> Columns { get; }

    /// <summary>
    /// Whether each row passes or fails on its own, so that failing rows can be quarantined.
    /// unique, row_count and freshness judge the dataset as a whole and cannot quarantine.
    /// </summary>
    public abstract bool IsRowLevel { get; }

    /// <summary>1-based line of the check in its contract file (0 when built in code).</summary>
    public long SourceLine { get; init; }

    /// <summary>1-based column of the check in its contract file (0 when built in code).</summary>
    public long SourceColumn { get; init; }
}

/// <summary>The comparison operators of a <c>compare</c> check.</summary>
public enum CompareOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

public static class CompareOperatorText
{
    public const string Accepted = "=, ==, !=, <, <=, >, >=";

    public static bool TryParse(string text, out CompareOperator op)
    {
        switch (text)
        {
            case "=" or "==": op = CompareOperator.Equal; return true;
            case "!=" or "<>": op = CompareOperator.NotEqual; return true;
            case "<": op = CompareOperator.Less; return true;
            case "<=": op = CompareOperator.LessOrEqual; return true;
            case ">": op = CompareOperator.Greater; return true;
            case ">=": op = CompareOperator.GreaterOrEqual; return true;
            default: op = default; return false;
        }
    }

    public static string ToText(this CompareOperator op) => op switch
    {
        CompareOperator.Equal => "==",
        CompareOperator.NotEqual => "!=",
        CompareOperator.Less => "<",
        CompareOperator.LessOrEqual => "<=",
        CompareOperator.Greater => ">",
        CompareOperator.GreaterOrEqual => ">=",
        _ => op.ToString(),
    };

    /// <summary>Whether <c>comparison</c> (the sign of left.CompareTo(right)) satisfies the operator.</summary>
    public static bool Holds(this CompareOperator op, int comparison) => op switch
    {
        CompareOperator.Equal => comparison == 0,
        CompareOperator.NotEqual => comparison != 0,
        CompareOperator.Less => comparison < 0,
        CompareOperator.LessOrEqual => comparison <= 0,
        CompareOperator.Greater => comparison > 0,
        CompareOperator.GreaterOrEqual => comparison >= 0,
        _ => false,
    };
}
