using CsCheck;
using Highwater.Pipeline.Core.Expressions;
using Xunit;

namespace Highwater.Tests.Expressions;

/// <summary>The expression language on its own: parsing, typing, errors with positions, and block evaluation with SQL nulls.</summary>
public sealed class ExpressionLanguageTests
{
    private static readonly Dictionary<string, ExpressionColumn> Columns = new[]
    {
        new ExpressionColumn("qty", NumericKind.Int32, true, "int32"),
        new ExpressionColumn("user_id", NumericKind.Int64, false, "int64"),
        new ExpressionColumn("unit_price", NumericKind.Decimal, true, "decimal(18,2)"),
        new ExpressionColumn("discount", NumericKind.Decimal, true, "decimal(18,2)"),
        new ExpressionColumn("event_ts", null, false, "timestamp"),
    }.ToDictionary(c => c.Name);

    private static Expression Parse(string text) => ExpressionParser.Parse(text, Columns);

    [Theory]
    [InlineData("qty * unit_price", NumericKind.Decimal, true, "(qty * unit_price)")]
    [InlineData("qty * 2 + 1", NumericKind.Int64, true, "((qty * 2) + 1)")]
    [InlineData("qty - -3", NumericKind.Int64, true, "(qty - -3)")]
    [InlineData("(qty + 1) * 2", NumericKind.Int64, true, "((qty + 1) * 2)")]
    [InlineData("qty / 2", NumericKind.Decimal, true, "(qty / 2)")]
    [InlineData("qty * unit_price - coalesce(discount, 0)", NumericKind.Decimal, true, "((qty * unit_price) - coalesce(discount, 0))")]
    [InlineData("COALESCE(qty, 0)", NumericKind.Int32, false, "coalesce(qty, 0)")]
    [InlineData("coalesce(qty, user_id)", NumericKind.Int64, false, "coalesce(qty, user_id)")]
    [InlineData("user_id", NumericKind.Int64, false, "user_id")]
    [InlineData("1.50", NumericKind.Decimal, false, "1.50")]
    [InlineData("3000000000", NumericKind.Int64, false, "3000000000")]
    public void Parses_with_precedence_and_types(string text, NumericKind kind, bool nullable, string shape)
    {
        var e = Parse(text);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(nullable, e.Nullable);
        Assert.Equal(shape, e.ToString());
    }

    [Theory]
    [InlineData("qty * unit_pric", 6, "unknown column 'unit_pric'")]
    [InlineData("qty * event_ts", 6, "type mismatch: column 'event_ts' is timestamp")]
    [InlineData("qty ** 2", 5, "unexpected '*'; expected a number, a column")]
    [InlineData("qty + ", 6, "the expression ends too early")]
    [InlineData("(qty + 1", 8, "expected ')' to close the ( at position 1")]
    [InlineData("qty unit_price", 4, "unexpected 'unit_price' after a complete expression")]
    [InlineData("sum(qty)", 0, "unknown function 'sum'; expected coalesce")]
    [InlineData("qty $ 2", 4, "unexpected '$' after a complete expression")]
    [InlineData("1.", 0, "'1.' is not a number")]
    [InlineData("12abc", 2, "unexpected 'a' in the number '12'")]
    [InlineData("  ", 0, "the expression is empty")]
    [InlineData("99999999999999999999999999999999", 0, "beyond the decimal type")]
    public void Errors_name_the_position_and_the_problem(string text, int position, string problem)
    {
        var e = Assert.Throws<ExpressionException>(() => Parse(text));
        Assert.Equal(position, e.Position);
        Assert.Contains(problem, e.Problem);
        Assert.StartsWith($"at position {position + 1} of '{text}': ", e.Message);
    }

    [Fact]
    public void Evaluates_a_block_with_sql_nulls_and_coalesce()
    {
        var program = ExpressionProgram.Compile(Parse("qty * unit_price - coalesce(discount, 0)"));
        Assert.Equal(["qty", "unit_price", "discount"], program.Inputs);
        var eval = program.NewEvaluator();
        eval.Bind(0, new int?[] { 2, null, 3, 4 });
        eval.Bind(1, new decimal?[] { 9.99m, 1m, null, 0.10m });
        eval.Bind(2, new decimal?[] { null, 1m, 1m, 0.05m });
        eval.Run(4);
        Assert.Equal(0, eval.ErrorCount);
        Assert.Equal([false, true, true, false], eval.Nulls(0).ToArray());
        Assert.Equal(19.98m, eval.Decimals(0)[0]);
        Assert.Equal(0.35m, eval.Decimals(0)[3]);
        Assert.Equal("0.35", eval.Decimals(0)[3].ToString(System.Globalization.CultureInfo.InvariantCulture)); // exact, not binary floating point
    }

    [Fact]
    public void Overflow_and_division_by_zero_are_row_errors_unless_the_row_is_null()
    {
        var program = ExpressionProgram.Compile(Parse("user_id * user_id"), Parse("unit_price / coalesce(discount, qty)"));
        var eval = program.NewEvaluator();
        var ids = new long[] { 3, 4_000_000_000, long.MaxValue };
        eval.Bind(program.Inputs.ToList().IndexOf("user_id"), ids, []);
        eval.Bind(program.Inputs.ToList().IndexOf("unit_price"), new decimal?[] { 1m, null, 5m });
        eval.Bind(program.Inputs.ToList().IndexOf("discount"), new decimal?[] { 0m, 0m, null });
        eval.Bind(program.Inputs.ToList().IndexOf("qty"), new int?[] { 1, 1, 2 });
        eval.Run(3);
        Assert.Equal(9, eval.Longs(0)[0]);
        // Errors are per row, over every output: row 0 divides by zero, rows 1 and 2 overflow int64.
        Assert.Equal([ExpressionError.DivisionByZero, ExpressionError.Overflow, ExpressionError.Overflow], eval.Errors.ToArray());
        Assert.Equal(2.5m, eval.Decimals(1)[2]);
        Assert.True(eval.Nulls(1)[1]); // null / 0 is null, not an error of its own
        Assert.Equal(3, eval.ErrorCount);
    }

    [Fact]
    public void An_integer_times_a_decimal_overflows_per_row_and_renders_with_its_values()
    {
        var e = Parse("user_id * unit_price - coalesce(discount, 0)");
        var eval = ExpressionProgram.Compile(e).NewEvaluator();
        eval.Bind(0, new long[] { 3, long.MaxValue, 2 }, []);
        eval.Bind(1, new decimal?[] { 0.10m, 9_999_999_999_999_999.99m, null });
        eval.Bind(2, new decimal?[] { null, 0m, 1m });
        eval.Run(3);
        Assert.Equal(0.30m, eval.Decimals(0)[0]);
        Assert.Equal([ExpressionError.None, ExpressionError.Overflow, ExpressionError.None], eval.Errors.ToArray());
        Assert.True(eval.Nulls(0)[2]);
        Assert.Equal("user_id 3 × unit_price 0.10 - coalesce(discount null, 0)",
            ExpressionText.WithValues(e, name => name switch { "user_id" => "3", "unit_price" => "0.10", _ => "null" }));
        Assert.Equal("qty 1 - (qty 1 - qty 1) / (qty 1 × qty 1)",
            ExpressionText.WithValues(Parse("qty - (qty - qty) / (qty * qty)"), _ => "1"));
    }

    [Fact]
    public void Buffers_are_reused_across_blocks_and_results_follow_the_latest_block()
    {
        var program = ExpressionProgram.Compile(Parse("qty + 1"));
        var eval = program.NewEvaluator();
        eval.Bind(0, new int?[] { 1, null });
        eval.Run(2);
        Assert.True(eval.Nulls(0)[1]);
        eval.Bind(0, new int?[] { 5, 6, 7 });
        eval.Run(3);
        Assert.Equal([6L, 7L, 8L], eval.Longs(0).ToArray());
        Assert.True(eval.Nulls(0).IsEmpty);
        var block = new int?[] { 1, 2, 3 };
        long Allocated(int blocks)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < blocks; i++)
            {
                eval.Bind(0, block);
                eval.Run(3);
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Allocated(1000); // the JIT's own first-call allocations
        Assert.True(Allocated(1000) < 1000, "a block allocates"); // not even one byte per block
    }

    /// <summary>Block evaluation agrees with a row-at-a-time reference on nullable decimals and ints (CsCheck prints the seed of a failure).</summary>
    [Fact]
    public void Block_evaluation_agrees_with_row_by_row_sql()
    {
        var genQty = Gen.Int[-1000, 1000].Select(v => v % 7 == 0 ? (int?)null : v);
        var genPrice = Gen.Decimal[-100_000m, 100_000m].Select(v => Math.Round(v, 2)).Select(v => v == 0m ? (decimal?)null : v);
        Gen.Select(genQty, genPrice, genPrice).Array[0, 300].Sample(rows =>
        {
            var program = ExpressionProgram.Compile(Parse("qty * unit_price - coalesce(discount, qty, 0) * 2"));
            var eval = program.NewEvaluator();
            eval.Bind(0, rows.Select(r => r.Item1).ToArray());
            eval.Bind(1, rows.Select(r => r.Item2).ToArray());
            eval.Bind(2, rows.Select(r => r.Item3).ToArray());
            eval.Run(rows.Length);
            var nulls = eval.Nulls(0);
            for (int i = 0; i < rows.Length; i++)
            {
                var (q, p, d) = rows[i];
                decimal? expected = q * p - (d ?? q ?? 0) * 2;
                Assert.Equal(expected is null, !nulls.IsEmpty && nulls[i]);
                if (expected is { } v) Assert.Equal(v, eval.Decimals(0)[i]);
            }
        });
    }
}
