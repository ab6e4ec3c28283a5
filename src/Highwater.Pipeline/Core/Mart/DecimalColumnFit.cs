using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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

    /// <summary>
    /// The range of a DECIMAL(<paramref name="Precision"/>,<paramref name="Scale"/>) column (p at most 18), made once per
    /// column and asked once per value: <see cref="Fits"/>.
    /// </summary>
    public readonly record struct Limit(int Precision, int Scale)
    {
        /// <summary>The largest magnitude the column holds (<see cref="DecimalColumnFit.Max"/>).</summary>
        public decimal Max { get; } = DecimalColumnFit.Max(Precision, Scale);

        /// <summary>10^(p-s): a value whose coefficient is below it fits at any scale.</summary>
        private readonly ulong _coefficientBound = Pow10(Precision - Scale);

        /// <summary>
        /// Whether a rounded value fits. A coefficient below 10^(p-s) fits at any scale (the value is at most 10^(p-s) - 1),
        /// so nearly every value is decided on its bits, without a decimal comparison.
        /// </summary>
        public bool Fits(decimal value)
        {
            if (LayoutKnown)
            {
                ref var bits = ref Unsafe.As<decimal, DecimalBits>(ref value);
                if (bits.Hi32 == 0 && bits.Lo64 < _coefficientBound) return true;
            }
            return Math.Abs(value) <= Max;
        }

        private static ulong Pow10(int n)
        {
            var p = 1UL;
            for (var i = 0; i < n; i++) p *= 10;
            return p;
        }
    }

    /// <summary>System.Decimal's fields as the runtime lays them out (flags, high 32 bits, low 64 bits of the coefficient).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct DecimalBits
    {
        public readonly int Flags;
        public readonly uint Hi32;
        public readonly ulong Lo64;
    }

    /// <summary>Whether this runtime lays decimals out as <see cref="DecimalBits"/> (checked once; otherwise every value is compared).</summary>
    private static readonly bool LayoutKnown = CheckLayout(-12345678901234567.8901234567m) && CheckLayout(0.01m);

    private static bool CheckLayout(decimal d)
    {
        Span<int> expected = stackalloc int[4];
        decimal.GetBits(d, expected);
        var bits = Unsafe.As<decimal, DecimalBits>(ref d);
        return bits.Flags == expected[3] && bits.Hi32 == (uint)expected[2] && bits.Lo64 == ((ulong)(uint)expected[1] << 32 | (uint)expected[0]);
    }
}
