using System.Globalization;

namespace Highwater.Pipeline.Core.Expressions;

/// <summary>
/// A typed expression tree, as <see cref="ExpressionParser"/> builds it: every node knows its result type and whether
/// it can be null. Evaluated over whole column blocks by <see cref="ExpressionProgram"/>, never row by row over the tree.
/// </summary>
public abstract record Expression(int Position)
{
    public abstract NumericKind Kind { get; }

    /// <summary>Whether the value can be null: a nullable column feeds it and no coalesce default stops that.</summary>
    public abstract bool Nullable { get; }

    /// <summary>The columns the expression reads, each once, in first-use order.</summary>
    public IReadOnlyList<string> Columns
    {
        get
        {
            var names = new List<string>();
            Collect(this, names);
            return names;
        }
    }

    private static void Collect(Expression e, List<string> names)
    {
        switch (e)
        {
            case ColumnExpression c when !names.Contains(c.Name): names.Add(c.Name); break;
            case NegateExpression n: Collect(n.Operand, names); break;
            case BinaryExpression b: Collect(b.Left, names); Collect(b.Right, names); break;
            case CoalesceExpression c: foreach (var a in c.Arguments) Collect(a, names); break;
            case ConvertExpression v: Collect(v.Operand, names); break;
        }
    }
}

public sealed record ColumnExpression(int Position, string Name, NumericKind ColumnKind, bool ColumnNullable) : Expression(Position)
{
    public override NumericKind Kind => ColumnKind;
    public override bool Nullable => ColumnNullable;
    public override string ToString() => Name;
}

/// <summary>A number: an integer literal is int32 when it fits, else int64; one with a point is decimal.</summary>
public sealed record LiteralExpression(int Position, decimal Value, NumericKind LiteralKind) : Expression(Position)
{
    public override NumericKind Kind => LiteralKind;
    public override bool Nullable => false;
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

public sealed record NegateExpression(int Position, Expression Operand) : Expression(Position)
{
    public override NumericKind Kind => Operand.Kind == NumericKind.Decimal ? NumericKind.Decimal : NumericKind.Int64;
    public override bool Nullable => Operand.Nullable;
    public override string ToString() => $"-{Operand}";
}

public enum BinaryOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
}

/// <summary>
/// + − × on two integers is int64; anything with a decimal is decimal; / is always decimal (no integer division).
/// The operands arrive converted to the result's lane type (<see cref="ConvertExpression"/>).
/// </summary>
public sealed record BinaryExpression(int Position, BinaryOperator Operator, Expression Left, Expression Right, NumericKind ResultKind)
    : Expression(Position)
{
    public override NumericKind Kind => ResultKind;
    public override bool Nullable => Left.Nullable || Right.Nullable;

    public override string ToString() =>
        $"({Left} {Operator switch { BinaryOperator.Add => "+", BinaryOperator.Subtract => "-", BinaryOperator.Multiply => "*", _ => "/" }} {Right})";
}

/// <summary>coalesce(a, b, …): the first non-null argument, null when all are; arguments converted to one type.</summary>
public sealed record CoalesceExpression(int Position, IReadOnlyList<Expression> Arguments, NumericKind ResultKind) : Expression(Position)
{
    public override NumericKind Kind => ResultKind;
    public override bool Nullable => Arguments.All(a => a.Nullable);
    public override string ToString() => $"coalesce({string.Join(", ", Arguments)})";
}

/// <summary>An integer operand widened to decimal (exact), inserted by the parser where types meet.</summary>
public sealed record ConvertExpression(Expression Operand) : Expression(Operand.Position)
{
    public override NumericKind Kind => NumericKind.Decimal;
    public override bool Nullable => Operand.Nullable;
    public override string ToString() => Operand.ToString()!;
}
