using System.Collections.Concurrent;
using System.Globalization;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Expressions;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Transform;

/// <summary>
/// total_price as the sales_mart contract derives it (<c>derived:</c> on the column, e.g. <c>qty * unit_price</c>),
/// evaluated over a block of staged rows at once by <see cref="ExpressionEvaluator"/>; a value that could not be
/// computed or does not fit <see cref="TotalPrice"/>'s range is reported with its computation for the quarantine.
/// The derivation may read the numeric columns a staged event has before the join (<see cref="Available"/>).
/// Thread-safe: each call works in an evaluator of its own, from a pool.
/// </summary>
internal sealed class TotalPriceDerivation
{
    /// <summary>The numeric columns of a staged event a derivation can read.</summary>
    public static readonly string[] Available = ["qty", "unit_price", "user_id"];

    private readonly ExpressionProgram _program;
    private readonly int[] _inputs; // per program input, its index in Available
    private readonly ConcurrentBag<Block> _blocks = [];

    private TotalPriceDerivation(Expression expression)
    {
        Expression = expression;
        _program = ExpressionProgram.Compile(expression);
        _inputs = _program.Inputs.Select(name => Array.IndexOf(Available, name)).ToArray();
    }

    public Expression Expression { get; }

    /// <summary>
    /// The derivation of total_price in the sales_mart contract of <paramref name="contracts"/> (loaded from
    /// <paramref name="contractsDir"/>); a missing or unusable one is a configuration error.
    /// </summary>
    public static TotalPriceDerivation From(IReadOnlyDictionary<string, DataContract> contracts, string contractsDir)
    {
        if (!contracts.TryGetValue(Schemas.SalesMart.Dataset, out var mart))
            throw new ConfigurationException($"the data-contract folder '{contractsDir}' has no contract for dataset '{Schemas.SalesMart.Dataset}'; Transform takes the derivation of {TotalPrice.Column} from it");
        var path = mart.SourcePath ?? Schemas.SalesMart.Dataset;
        var column = mart.FindColumn(TotalPrice.Column)
            ?? throw new ConfigurationException($"data contract '{path}' declares no column '{TotalPrice.Column}'; Transform computes it from the column's derivation");
        if (column.Derivation is not { } expression)
            throw new ConfigurationException(
                $"data contract '{path}': column '{TotalPrice.Column}' has no derivation; declare how it is computed, e.g. " +
                $"{{name: {TotalPrice.Column}, type: \"decimal(18,2)\", nullable: true, derived: qty * unit_price}} (docs/contracts.md, \"Derived columns\")");
        if (column.Type.Kind != ColumnKind.Decimal)
            throw new ConfigurationException($"data contract '{path}': column '{TotalPrice.Column}' is {column.Type}; the mart holds it as decimal({Schemas.MoneyPrecision},{Schemas.MoneyScale})");
        if (expression.Columns.FirstOrDefault(c => !Available.Contains(c)) is { } other)
            throw new ConfigurationException(
                $"data contract '{path}': the derivation of '{TotalPrice.Column}' ({column.DerivationText}) reads '{other}', which a staged event does not have; it can read {string.Join(", ", Available)}");
        return new TotalPriceDerivation(expression);
    }

    /// <summary>
    /// Computes total_price of n rows into <paramref name="total"/> (null where an input is null, and where the value
    /// does not fit); returns the block, whose <see cref="Block.Beyond"/> lists the rows that do not fit, in ascending
    /// order. Dispose the block when done with it.
    /// </summary>
    public Block Compute(ReadOnlySpan<int?> qty, ReadOnlySpan<decimal?> unitPrice, ReadOnlySpan<long> userId, Span<decimal?> total)
    {
        var block = _blocks.TryTake(out var b) ? b : new Block(this);
        block.Beyond.Clear();
        int n = total.Length;
        var eval = block.Evaluator;
        for (int i = 0; i < _inputs.Length; i++)
        {
            switch (_inputs[i])
            {
                case 0: eval.Bind(i, qty[..n]); break;
                case 1: eval.Bind(i, unitPrice[..n]); break;
                default: eval.Bind(i, userId[..n], []); break;
            }
        }

        eval.Run(n);
        var nulls = eval.Nulls(0);
        var errors = eval.Errors;
        bool isDecimal = Expression.Kind == NumericKind.Decimal;
        ReadOnlySpan<decimal> decimals = isDecimal ? eval.Decimals(0) : default;
        ReadOnlySpan<long> longs = isDecimal ? default : eval.Longs(0);
        for (int i = 0; i < n; i++)
        {
            if (!nulls.IsEmpty && nulls[i])
            {
                total[i] = null;
                continue;
            }

            if (!errors.IsEmpty && errors[i] != ExpressionError.None)
            {
                total[i] = null;
                block.Beyond.Add((i, Computation(qty, unitPrice, userId, i), errors[i].Describe()));
                continue;
            }

            decimal v = isDecimal ? decimals[i] : longs[i];
            if (v.Scale > Schemas.MoneyScale) v = Math.Round(v, Schemas.MoneyScale, MidpointRounding.AwayFromZero);
            if (TotalPrice.Fits(v)) total[i] = v;
            else
            {
                total[i] = null;
                block.Beyond.Add((i, Computation(qty, unitPrice, userId, i), v.ToString(CultureInfo.InvariantCulture)));
            }
        }

        return block;
    }

    private string Computation(ReadOnlySpan<int?> qty, ReadOnlySpan<decimal?> unitPrice, ReadOnlySpan<long> userId, int row)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["qty"] = qty[row]?.ToString(CultureInfo.InvariantCulture) ?? "null",
            ["unit_price"] = unitPrice[row]?.ToString(CultureInfo.InvariantCulture) ?? "null",
            ["user_id"] = userId.IsEmpty ? "null" : userId[row].ToString(CultureInfo.InvariantCulture),
        };
        return ExpressionText.WithValues(Expression, name => values[name]);
    }

    /// <summary>An evaluator and the rows beyond the range of one call; back to the pool on dispose.</summary>
    internal sealed class Block(TotalPriceDerivation owner) : IDisposable
    {
        public ExpressionEvaluator Evaluator { get; } = owner._program.NewEvaluator();

        /// <summary>The rows whose total_price does not fit: position, the computation with its values, and its result.</summary>
        public List<(int Row, string Computation, string Result)> Beyond { get; } = [];

        public void Dispose() => owner._blocks.Add(this);
    }
}
