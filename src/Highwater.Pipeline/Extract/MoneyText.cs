using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Extract;

/// <summary>
/// The rule for a decimal value (a <c>decimal(p,s)</c> field such as unit_price; money is DECIMAL(18,2)): a JSON number
/// whose exact value has at most s (here <see cref="Schemas.MoneyScale"/>) decimal places and an absolute value below
/// 10^(p-s) (here 10^16: it fits DECIMAL(18,2)),
/// however it is spelled: <c>1.5</c>, <c>1.50</c>, <c>1.500</c>, <c>150e-2</c> and <c>0.015E2</c> are all 1.5;
/// <c>1.005</c>, <c>1e-31</c> and <c>1.2300000000000000000000000000001</c> all have too many places. The digits
/// are read exactly (never rounded through a binary or 28-digit type). The result keeps the written scale, capped
/// at 2 (<c>1.5</c> has scale 1, <c>1.500</c> scale 2, <c>1e2</c> scale 0), and the sign of a negative zero.
/// </summary>
public static class MoneyText
{
    public enum Verdict { Ok, TooManyDecimals, TooLarge }

    /// <summary>
    /// Reads <paramref name="number"/>, which must be a JSON number (<c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>), as money.
    /// </summary>
    public static Verdict Parse(ReadOnlySpan<byte> number, out decimal value) =>
        Parse(number, Schemas.MoneyPrecision, Schemas.MoneyScale, out value);

    /// <summary>
    /// Reads <paramref name="number"/> (a JSON number) as DECIMAL(<paramref name="precision"/>,<paramref name="scale"/>),
    /// precision at most 18.
    /// </summary>
    public static Verdict Parse(ReadOnlySpan<byte> number, int precision, int scale, out decimal value)
    {
        var maxIntegerDigits = precision - scale;
        value = 0m;
        var i = 0;
        var negative = number[0] == '-';
        if (negative) i++;
        var intStart = i;
        while (i < number.Length && (uint)(number[i] - '0') <= 9) i++;
        var intEnd = i;
        int fracStart = i, fracEnd = i;
        if (i < number.Length && number[i] == '.')
        {
            fracStart = ++i;
            while (i < number.Length && (uint)(number[i] - '0') <= 9) i++;
            fracEnd = i;
        }
        long exponent = 0;
        if (i < number.Length && (number[i] | 0x20) == 'e')
        {
            i++;
            var expNegative = number[i] == '-';
            if (number[i] is (byte)'-' or (byte)'+') i++;
            for (; i < number.Length; i++)
                exponent = Math.Min(exponent * 10 + (number[i] - '0'), 1_000_000); // beyond any digit count
            if (expNegative) exponent = -exponent;
        }
        var intDigits = number[intStart..intEnd];
        var fracDigits = number[fracStart..fracEnd];
        var total = intDigits.Length + fracDigits.Length;
        // The digits as one sequence d[0..total): the value is that integer times 10^(exponent - fraction digits).
        int first = -1, last = -1;
        for (var k = 0; k < total; k++)
        {
            if (Digit(intDigits, fracDigits, k) == 0) continue;
            if (first < 0) first = k;
            last = k;
        }
        var written = (int)Math.Clamp(fracDigits.Length - exponent, 0, scale);
        if (first < 0)
        {
            value = new decimal(0, 0, 0, negative, (byte)written);
            return Verdict.Ok;
        }
        var significant = last - first + 1;
        var leastPower = exponent - fracDigits.Length + (total - 1 - last); // the power of ten of the last non-zero digit
        if (leastPower < -scale) return Verdict.TooManyDecimals;
        if (significant + leastPower > maxIntegerDigits) return Verdict.TooLarge;
        long units = 0;
        for (var k = first; k <= last; k++) units = units * 10 + Digit(intDigits, fracDigits, k);
        for (var k = 0; k < leastPower + written; k++) units *= 10;
        value = new decimal((int)units, (int)(units >> 32), 0, negative, (byte)written);
        return Verdict.Ok;
    }

    private static int Digit(ReadOnlySpan<byte> intDigits, ReadOnlySpan<byte> fracDigits, int k) =>
        (k < intDigits.Length ? intDigits[k] : fracDigits[k - intDigits.Length]) - '0';
}
