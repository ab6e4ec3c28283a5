using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Highwater.Pipeline.Core.Schema;

/// <summary>
/// The mart's total_price is derived: its expression is the sales_mart contract's <c>derived:</c> on the column
/// (<c>qty * unit_price</c>), evaluated by Transform with the other derived columns. The rule here is its range: it is
/// held in DECIMAL(18,2) like unit_price, so a value beyond that type (qty up to 2^31 times a unit_price of 16 integer
/// digits) cannot be written and its line is quarantined instead of failing the run.
/// </summary>
public static class TotalPrice
{
    /// <summary>The column's name in the mart and its contract.</summary>
    public const string Column = "total_price";

    /// <summary>Whether a computed value fits DECIMAL(18,2).</summary>
    public static bool Fits(decimal value)
    {
        // A coefficient below 10^16 fits at any scale (at most 9999999999999999 ≤ MoneyMax): nearly every value is
        // decided on its bits, without a decimal comparison.
        if (LayoutKnown)
        {
            ref var bits = ref Unsafe.As<decimal, DecimalBits>(ref value);
            if (bits.Hi32 == 0 && bits.Lo64 < 10_000_000_000_000_000UL) return true;
        }

        return Math.Abs(value) <= Schemas.MoneyMax;
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
