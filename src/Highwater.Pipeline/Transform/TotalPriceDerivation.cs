using System.Collections.Concurrent;
using System.Globalization;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Expressions;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Transform;

/// <summary>
/// total_price as the sales_mart contract derives it (<c>derived:</c> on the column, e.g. <c>qty * unit_price</c>),
/// evaluated over a block of staged rows at once by <see cref="ExpressionEvaluator"/>; a value that could not be
/// computed or does not fit <see cref="TotalPrice"/>'s range is reported with its computation for the quarantine.
/// The derivation may read the numeric mart columns a staged event brings (<see cref="MartColumnOrigins.Staged"/>), by
/// name, whatever they are. Thread-safe: each call works in an evaluator of its own, from a pool.
/// </summary>
internal sealed class TotalPriceDerivation
{
    private readonly ExpressionProgram _program;
    private readonly ConcurrentBag<Block> _blocks = [];

    private readonly string _contract;
    private readonly string? _text;

    private TotalPriceDerivation(Expression expression, string contract, string? text)
    {
        Expression = expression;
        _program = ExpressionProgram.Compile(expression);
        (_contract, _text) = (contract, text);
    }

    /// <summary>
    /// This derivation, once it is known to read only numeric mart columns that a staged event brings (it runs before the
    /// join, on the staged rows); else a configuration error naming the column and what it can read.
    /// </summary>
    public TotalPriceDerivation ReadingOnly(MartColumnOrigins origins)
    {
        var available = origins.Staged.Where(name => origins.Mart.Blocks.Columns[origins.Mart.IndexOf(name)].Kind
            is BlockEncoding.Int64 or BlockEncoding.NullableInt32 or BlockEncoding.NullableDecimal).ToList();
        if (Expression.Columns.FirstOrDefault(c => !available.Contains(c)) is { } other)
            throw new ConfigurationException(
                $"data contract '{_contract}': the derivation of '{TotalPrice.Column}' ({_text}) reads '{other}', which is not a numeric column a staged event brings to the mart; it can read {string.Join(", ", available)}");
        return this;
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
        return new TotalPriceDerivation(expression, path, column.DerivationText);
    }

    /// <summary>
    /// Computes total_price of rows [from, from + total.Length) of <paramref name="rows"/> into <paramref name="total"/>
    /// (null where an input is null, and where the value does not fit); returns the block, whose <see cref="Block.Beyond"/>
    /// lists the rows that do not fit (positions from <paramref name="from"/>), in ascending order. Dispose the block when done with it.
    /// </summary>
    public Block Compute(PartitionColumns rows, int from, Span<decimal?> total)
    {
        var block = _blocks.TryTake(out var b) ? b : new Block(this);
        block.Beyond.Clear();
        int n = total.Length;
        var eval = block.Evaluator;
        for (int i = 0; i < _program.Inputs.Count; i++)
        {
            switch (rows.Vector(_program.Inputs[i]))
            {
                case NullableInt32Vector v: eval.Bind(i, v.Values.AsSpan(from, n)); break;
                case NullableDecimalVector v: eval.Bind(i, v.Values.AsSpan(from, n)); break;
                case Int64Vector v: eval.Bind(i, v.Values.AsSpan(from, n), []); break;
                case var v: throw new InvalidOperationException($"the derivation reads {_program.Inputs[i]}, held as {v?.Column.Kind.ToString() ?? "nothing"}");
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
                block.Beyond.Add((i, Computation(rows, from + i), errors[i].Describe()));
                continue;
            }

            decimal v = isDecimal ? decimals[i] : longs[i];
            if (v.Scale > Schemas.MoneyScale) v = Math.Round(v, Schemas.MoneyScale, MidpointRounding.AwayFromZero);
            if (TotalPrice.Fits(v)) total[i] = v;
            else
            {
                total[i] = null;
                block.Beyond.Add((i, Computation(rows, from + i), v.ToString(CultureInfo.InvariantCulture)));
            }
        }

        return block;
    }

    /// <summary>The expression with row <paramref name="row"/>'s values in place of its columns, for a quarantine reason.</summary>
    private string Computation(PartitionColumns rows, int row) =>
        ExpressionText.WithValues(Expression, name => rows.Vector(name)?.ValueAt(row) is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : "null");

    /// <summary>An evaluator and the rows beyond the range of one call; back to the pool on dispose.</summary>
    internal sealed class Block(TotalPriceDerivation owner) : IDisposable
    {
        public ExpressionEvaluator Evaluator { get; } = owner._program.NewEvaluator();

        /// <summary>The rows whose total_price does not fit: position, the computation with its values, and its result.</summary>
        public List<(int Row, string Computation, string Result)> Beyond { get; } = [];

        public void Dispose() => owner._blocks.Add(this);
    }
}
