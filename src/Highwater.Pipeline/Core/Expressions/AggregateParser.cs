using System.Text.RegularExpressions;

namespace Highwater.Pipeline.Core.Expressions;

/// <summary>
/// Parses a derived table's output column (docs/contracts.md "derive"):
/// <code>
/// aggregate := 'count' '(' '*' ')' | 'count' '(' 'distinct' column ')' | 'sum' '(' expr ')'
///            | 'round' '(' expr ',' digits ')' | expr
/// </code>
/// where the expr of sum is over the source's columns and must not be null (write <c>coalesce(x, 0)</c>), and the
/// other exprs are over the outputs declared before (one value per group). Function names are case-insensitive.
/// Every problem is an <see cref="ExpressionException"/> at the offending character.
/// </summary>
public static partial class AggregateParser
{
    private static readonly string[] Functions = ["count", "sum", "round"];

    public static AggregateExpression Parse(string text, IReadOnlyDictionary<string, ExpressionColumn> rowColumns,
        IReadOnlyDictionary<string, ExpressionColumn> earlierOutputs, Func<string, IEnumerable<string>, string>? suggest = null)
    {
        suggest ??= (_, _) => "";
        var call = Call().Match(text);
        if (!call.Success || text.TrimEnd()[^1] != ')' || !Balanced(text, call.Index + call.Length - 1))
            return new AggregateExpression(0, AggregateFunction.PerGroup, ExpressionParser.Parse(text, earlierOutputs, suggest), null, null);

        var name = call.Groups[1].Value;
        int at = call.Groups[1].Index, open = call.Index + call.Length, close = text.TrimEnd().Length - 1;
        var inner = text[open..close];
        switch (name.ToLowerInvariant())
        {
            case "count":
            {
                if (inner.Trim() == "*") return new AggregateExpression(at, AggregateFunction.CountAll, null, null, null);
                var distinct = Distinct().Match(inner);
                if (!distinct.Success)
                    throw new ExpressionException(text, open, "count takes * or distinct followed by one column, as in count(*) or count(distinct user_id)");
                var column = distinct.Groups[1].Value;
                if (!rowColumns.ContainsKey(column))
                    throw new ExpressionException(text, open + distinct.Groups[1].Index,
                        $"unknown column '{column}'{suggest(column, rowColumns.Keys)}; expected one of: {string.Join(", ", rowColumns.Keys)}");
                return new AggregateExpression(at, AggregateFunction.CountDistinct, null, column, null);
            }
            case "sum":
            {
                var e = Shifted(text, open, () => ExpressionParser.Parse(inner, rowColumns, suggest));
                if (e.Nullable)
                    throw new ExpressionException(text, open, $"sum({inner.Trim()}) adds a value that can be null; write sum(coalesce({inner.Trim()}, 0)) to count a null as zero");
                return new AggregateExpression(at, AggregateFunction.Sum, e, null, null);
            }
            case "round":
            {
                var comma = LastTopLevelComma(inner);
                if (comma < 0 || !int.TryParse(inner[(comma + 1)..].Trim(), out var digits) || digits is < 0 or > 28)
                    throw new ExpressionException(text, open, "round takes an expression and a number of decimal places (0 to 28), as in round(revenue / orders, 2)");
                var e = Shifted(text, open, () => ExpressionParser.Parse(inner[..comma], earlierOutputs, suggest));
                return new AggregateExpression(at, AggregateFunction.PerGroup, e, null, digits);
            }
            case "coalesce":
                return new AggregateExpression(0, AggregateFunction.PerGroup, ExpressionParser.Parse(text, earlierOutputs, suggest), null, null);
            default:
                throw new ExpressionException(text, at, $"unknown function '{name}'{suggest(name.ToLowerInvariant(), Functions)}; expected count, sum, round or an expression over the outputs declared before");
        }
    }

    /// <summary>An error inside a function's parentheses, moved to its place in the whole text.</summary>
    private static Expression Shifted(string text, int offset, Func<Expression> parse)
    {
        try
        {
            return parse();
        }
        catch (ExpressionException e)
        {
            throw new ExpressionException(text, offset + e.Position, e.Problem);
        }
    }

    /// <summary>Whether the parenthesis at <paramref name="open"/> closes at the end of the text.</summary>
    private static bool Balanced(string text, int open)
    {
        int depth = 0, end = text.TrimEnd().Length - 1;
        for (int i = open; i <= end; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')' && --depth == 0) return i == end;
        }
        return false;
    }

    private static int LastTopLevelComma(string text)
    {
        int depth = 0, last = -1;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0) last = i;
        }
        return last;
    }

    [GeneratedRegex(@"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")]
    private static partial Regex Call();

    [GeneratedRegex(@"^\s*(?i:distinct)\s+([A-Za-z_][A-Za-z0-9_]*)\s*$")]
    private static partial Regex Distinct();
}
