using System.Numerics;
using System.Runtime.InteropServices;
using Register = Highwater.Pipeline.Core.Expressions.ExpressionEvaluator.Register;
using ErrorSink = Highwater.Pipeline.Core.Expressions.ExpressionEvaluator.ErrorSink;

namespace Highwater.Pipeline.Core.Expressions;

/// <summary>
/// The per-operator, per-lane-type loops of <see cref="ExpressionEvaluator"/>. Each computes a whole block; the
/// target's null mask is set first (<see cref="NullsOf"/>), so a lane that overflows on a null row is just null.
/// Null lanes of inputs hold 0, so they never raise an error on their own.
/// </summary>
internal static class Kernels
{
    /// <summary>The target is null where any operand is: an OR of the masks, a byte vector at a time.</summary>
    public static void NullsOf(Register a, Register? b, Register t, int rows)
    {
        bool an = a.HasNulls, bn = b is { HasNulls: true };
        t.HasNulls = an || bn;
        if (an && bn)
        {
            var x = MemoryMarshal.Cast<bool, byte>(a.Nulls.AsSpan(0, rows));
            var y = MemoryMarshal.Cast<bool, byte>(b!.Nulls.AsSpan(0, rows));
            var z = MemoryMarshal.Cast<bool, byte>(t.Nulls.AsSpan(0, rows));
            int i = 0;
            for (; i + Vector<byte>.Count <= rows; i += Vector<byte>.Count)
                (new Vector<byte>(x[i..]) | new Vector<byte>(y[i..])).CopyTo(z[i..]);
            for (; i < rows; i++) z[i] = (byte)(x[i] | y[i]);
        }
        else if (an) a.Nulls.AsSpan(0, rows).CopyTo(t.Nulls);
        else if (bn) b!.Nulls.AsSpan(0, rows).CopyTo(t.Nulls);
    }

    public static void ToDecimal(long[] a, decimal[] t, int rows)
    {
        for (int i = 0; i < rows; i++) t[i] = a[i];
    }

    public static void Negate(long[] a, long[] t, Register target, int rows, ErrorSink errors)
    {
        for (int i = 0; i < rows; i++)
        {
            if (a[i] == long.MinValue) Overflow(target, t, i, errors);
            else t[i] = -a[i];
        }
    }

    public static void Negate(decimal[] a, decimal[] t, Register target, int rows, ErrorSink errors)
    {
        for (int i = 0; i < rows; i++) t[i] = -a[i];
    }

    public static void Add(long[] a, long[] b, long[] t, Register target, int rows, ErrorSink errors)
    {
        for (int i = 0; i < rows; i++)
        {
            long x = a[i], y = b[i], r = unchecked(x + y);
            if (((x ^ r) & (y ^ r)) < 0) Overflow(target, t, i, errors); // both operands' sign differs from the sum's
            else t[i] = r;
        }
    }

    public static void Subtract(long[] a, long[] b, long[] t, Register target, int rows, ErrorSink errors)
    {
        for (int i = 0; i < rows; i++)
        {
            long x = a[i], y = b[i], r = unchecked(x - y);
            if (((x ^ y) & (x ^ r)) < 0) Overflow(target, t, i, errors);
            else t[i] = r;
        }
    }

    public static void Multiply(long[] a, long[] b, long[] t, Register target, int rows, ErrorSink errors)
    {
        for (int i = 0; i < rows; i++)
        {
            long high = Math.BigMul(a[i], b[i], out long low);
            if (high != low >> 63) Overflow(target, t, i, errors); // the 128-bit product is not a sign-extended long
            else t[i] = low;
        }
    }

    /// <summary>An integer times a decimal (the integer widened exactly on the way); overflow as <see cref="Arithmetic"/>.</summary>
    public static void Multiply(long[] a, decimal[] b, decimal[] t, Register target, int rows, ErrorSink errors)
    {
        try
        {
            for (int i = 0; i < rows; i++) t[i] = a[i] * b[i];
        }
        catch (OverflowException)
        {
            for (int i = 0; i < rows; i++)
            {
                try
                {
                    t[i] = a[i] * b[i];
                }
                catch (OverflowException)
                {
                    Overflow(target, t, i, errors);
                }
            }
        }
    }

    /// <summary>+ − × / on decimals. System.Decimal throws on overflow: the block runs without a check, and only a block that threw runs again row by row.</summary>
    public static void Arithmetic(ExpressionProgram.Op op, decimal[] a, decimal[] b, decimal[] t, Register target, int rows, ErrorSink errors)
    {
        if (op == ExpressionProgram.Op.Divide)
        {
            Divide(a, b, t, target, rows, errors);
            return;
        }

        try
        {
            switch (op)
            {
                case ExpressionProgram.Op.Add: for (int i = 0; i < rows; i++) t[i] = a[i] + b[i]; break;
                case ExpressionProgram.Op.Subtract: for (int i = 0; i < rows; i++) t[i] = a[i] - b[i]; break;
                default: for (int i = 0; i < rows; i++) t[i] = a[i] * b[i]; break;
            }
        }
        catch (OverflowException)
        {
            for (int i = 0; i < rows; i++)
            {
                try
                {
                    t[i] = op switch
                    {
                        ExpressionProgram.Op.Add => a[i] + b[i],
                        ExpressionProgram.Op.Subtract => a[i] - b[i],
                        _ => a[i] * b[i],
                    };
                }
                catch (OverflowException)
                {
                    Overflow(target, t, i, errors);
                }
            }
        }
    }

    private static void Divide(decimal[] a, decimal[] b, decimal[] t, Register target, int rows, ErrorSink errors)
    {
        for (int i = 0; i < rows; i++)
        {
            if (b[i] == 0m)
            {
                t[i] = 0m;
                if (!(target.HasNulls && target.Nulls[i])) errors.Add(i, ExpressionError.DivisionByZero);
                continue;
            }

            try
            {
                t[i] = a[i] / b[i];
            }
            catch (OverflowException)
            {
                Overflow(target, t, i, errors);
            }
        }
    }

    private static void Overflow<T>(Register target, T[] t, int i, ErrorSink errors) where T : struct
    {
        t[i] = default;
        if (!(target.HasNulls && target.Nulls[i])) errors.Add(i, ExpressionError.Overflow);
    }
}
