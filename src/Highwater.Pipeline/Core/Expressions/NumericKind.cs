namespace Highwater.Pipeline.Core.Expressions;

/// <summary>
/// The value types of the expression language. Int32 and Int64 are held in 64-bit lanes while evaluated; Decimal is
/// System.Decimal (28–29 significant digits, exact for + − ×).
/// </summary>
public enum NumericKind
{
    Int32,
    Int64,
    Decimal,
}

/// <summary>
/// A column an expression may name, as its owner declares it: <paramref name="Kind"/> is null for a column that
/// holds no number (a string, timestamp or date), which an expression can name only to be told it cannot.
/// </summary>
public sealed record ExpressionColumn(string Name, NumericKind? Kind, bool Nullable, string DeclaredType);

/// <summary>Why a row's value could not be computed; such a row has no value (it is neither a number nor null).</summary>
public enum ExpressionError : byte
{
    None = 0,

    /// <summary>An int64 or decimal result beyond its type (int64: ±9.2e18, decimal: ±7.9e28).</summary>
    Overflow = 1,

    /// <summary>A division by zero.</summary>
    DivisionByZero = 2,
}

public static class ExpressionErrorText
{
    public static string Describe(this ExpressionError error) => error switch
    {
        ExpressionError.Overflow => "arithmetic overflow",
        ExpressionError.DivisionByZero => "division by zero",
        _ => "no error",
    };
}
