using System.Text;

namespace Highwater.Pipeline.Core.Expressions;

/// <summary>
/// An expression written out with one row's values, for messages: each column as <c>name value</c> and × for *, with
/// only the parentheses the precedence needs: <c>qty 2 × unit_price 9.99 - coalesce(discount null, 0)</c>.
/// </summary>
public static class ExpressionText
{
    public static string WithValues(Expression e, Func<string, string> valueOf)
    {
        var sb = new StringBuilder();
        Write(sb, e, valueOf);
        return sb.ToString();
    }

    private static int Precedence(Expression e) => e switch
    {
        BinaryExpression { Operator: BinaryOperator.Add or BinaryOperator.Subtract } => 1,
        BinaryExpression => 2,
        ConvertExpression c => Precedence(c.Operand),
        NegateExpression => 3,
        _ => 4,
    };

    private static void Write(StringBuilder sb, Expression e, Func<string, string> valueOf)
    {
        switch (e)
        {
            case ColumnExpression c:
                sb.Append(c.Name).Append(' ').Append(valueOf(c.Name));
                break;
            case ConvertExpression v:
                Write(sb, v.Operand, valueOf);
                break;
            case NegateExpression n:
                sb.Append('-');
                Operand(sb, n.Operand, Precedence(n.Operand) < 4, valueOf);
                break;
            case BinaryExpression b:
            {
                int p = Precedence(b);
                Operand(sb, b.Left, Precedence(b.Left) < p, valueOf);
                sb.Append(b.Operator switch { BinaryOperator.Add => " + ", BinaryOperator.Subtract => " - ", BinaryOperator.Multiply => " × ", _ => " / " });
                // a - (b - c) and a / (b * c) keep theirs: the right operand binds first.
                Operand(sb, b.Right, Precedence(b.Right) < p || (Precedence(b.Right) == p && b.Operator is BinaryOperator.Subtract or BinaryOperator.Divide), valueOf);
                break;
            }
            case CoalesceExpression c:
                sb.Append("coalesce(");
                for (int i = 0; i < c.Arguments.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Write(sb, c.Arguments[i], valueOf);
                }

                sb.Append(')');
                break;
            default:
                sb.Append(e);
                break;
        }
    }

    private static void Operand(StringBuilder sb, Expression e, bool parenthesise, Func<string, string> valueOf)
    {
        if (parenthesise) sb.Append('(');
        Write(sb, e, valueOf);
        if (parenthesise) sb.Append(')');
    }
}
