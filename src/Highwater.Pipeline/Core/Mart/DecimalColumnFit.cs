using System.Globalization;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// How a computed decimal becomes a value of a DECIMAL(p,s) column of a derived dataset: it is rounded half away from
/// zero to s places (as <c>round(e, s)</c> rounds; a value with s places or fewer is kept as it is), then it must hold at
/// most p digits, that is at most <see cref="Max"/> in magnitude. Aggregates are computed at full precision; the
/// rounding happens once, when the value is put in its column.
/// </summary>
public static class DecimalColumnFit
{
    /// <summary>The value at the column's <paramref name="scale"/>.</summary>
    public static decimal Round(decimal value, int scale) =>
        value.Scale > scale ? decimal.Round(value, scale, MidpointRounding.AwayFromZero) : value;

    /// <summary>The largest magnitude DECIMAL(<paramref name="precision"/>,<paramref name="scale"/>) holds, e.g. 9999999999999999.99 for (18,2).</summary>
    public static decimal Max(int precision, int scale)
    {
        if (precision is < 1 or > 28 || scale < 0 || scale > precision)
            throw new ArgumentOutOfRangeException(nameof(precision), string.Create(CultureInfo.InvariantCulture, $"DECIMAL({precision},{scale})"));
        var nines = new string('9', precision);
        return decimal.Parse(scale == 0 ? nines : $"{nines[..^scale]}.{nines[^scale..]}", CultureInfo.InvariantCulture);
    }

    /// <summary>Whether a rounded value fits DECIMAL(<paramref name="precision"/>,<paramref name="scale"/>).</summary>
    public static bool Fits(decimal value, int precision, int scale) => Math.Abs(value) <= Max(precision, scale);
}
