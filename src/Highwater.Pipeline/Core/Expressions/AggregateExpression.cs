namespace Highwater.Pipeline.Core.Expressions;

/// <summary>The aggregate functions of a derived table's output column (grammar: <see cref="AggregateParser"/>).</summary>
public enum AggregateFunction
{
    /// <summary><c>count(*)</c>: the group's rows, int64.</summary>
    CountAll,

    /// <summary><c>count(distinct c)</c>: the group's distinct non-null values of column c, int64.</summary>
    CountDistinct,

    /// <summary><c>sum(e)</c> of a non-null numeric expression over the group's rows: int64 for integers, else decimal.</summary>
    Sum,

    /// <summary>An expression over the outputs declared before it, once per group, optionally <c>round(e, n)</c>.</summary>
    PerGroup,
}

/// <summary>
/// One output column of a derived table: <see cref="Argument"/> is the summed expression (over the source's rows) or
/// the per-group expression (over earlier outputs); <see cref="DistinctColumn"/> the counted column; <see cref="RoundDigits"/>
/// the places a per-group decimal is rounded to, half away from zero.
/// </summary>
public sealed record AggregateExpression(int Position, AggregateFunction Function, Expression? Argument, string? DistinctColumn, int? RoundDigits)
{
    public NumericKind Kind => Function switch
    {
        AggregateFunction.CountAll or AggregateFunction.CountDistinct => NumericKind.Int64,
        _ => Argument!.Kind == NumericKind.Decimal ? NumericKind.Decimal : NumericKind.Int64,
    };

    /// <summary>Whether a group's value can be null: only a per-group expression over a nullable output can.</summary>
    public bool Nullable => Function == AggregateFunction.PerGroup && Argument!.Nullable;
}
