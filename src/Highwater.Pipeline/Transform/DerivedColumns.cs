using System.Collections.Concurrent;
using System.Globalization;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Expressions;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Transform;

/// <summary>
/// The mart's derived columns as the sales_mart contract declares them (<c>derived:</c> on a column, e.g. total_price's
/// <c>qty * unit_price - coalesce(discount, 0)</c>), evaluated over a block of staged rows at once by
/// <see cref="ExpressionEvaluator"/>, before the join. A derivation may read the numeric mart columns a staged event
/// brings (<see cref="MartColumnOrigins.Staged"/>), by name, whatever they are. A value is put in its column as the
/// column's type holds it: a decimal rounded half away from zero to the column's scale (<see cref="DecimalColumnFit"/>);
/// a value that cannot be computed (an overflow, a division by zero) or does not fit the column's type quarantines its
/// row with the computation and its values (<see cref="Beyond.Reason"/>) instead of failing the run.
/// Thread-safe: each call works in evaluators of its own, from a pool.
/// </summary>
internal sealed class DerivedColumns
{
    private readonly Derived[] _columns;
    private readonly ConcurrentBag<Block> _blocks = [];

    /// <summary>One derived column: its declaration, its compiled expression and how its values are held.</summary>
    private sealed record Derived(ContractColumn Column, string Contract, ExpressionProgram Program)
    {
        public Expression Expression => Column.Derivation!;

        /// <summary>A decimal column's range.</summary>
        public DecimalColumnFit.Limit Limit { get; } = Column.Type.Kind == ColumnKind.Decimal ? new(Column.Type.Precision, Column.Type.Scale) : default;

        /// <summary>The largest magnitude the column holds, for a quarantine reason.</summary>
        public decimal Max => Column.Type.Kind == ColumnKind.Decimal ? Limit.Max : Column.Type.Kind == ColumnKind.Int32 ? int.MaxValue : long.MaxValue;

        /// <summary>The column's type in a quarantine reason.</summary>
        public string TypeText { get; } = Column.Type.Kind switch
        {
            ColumnKind.Decimal => string.Create(CultureInfo.InvariantCulture, $"DECIMAL({Column.Type.Precision},{Column.Type.Scale})"),
            ColumnKind.Int32 => "INT32",
            _ => "INT64",
        };
    }

    private DerivedColumns(Derived[] columns) => _columns = columns;

    /// <summary>The derived columns' names, in the contract's order.</summary>
    public IEnumerable<string> Names => _columns.Select(c => c.Column.Name);

    /// <summary>
    /// The derived columns of the sales_mart contract of <paramref name="contracts"/> (loaded from
    /// <paramref name="contractsDir"/>). total_price must be one of them: a missing or underived one is a configuration error.
    /// </summary>
    public static DerivedColumns From(IReadOnlyDictionary<string, DataContract> contracts, string contractsDir)
    {
        if (!contracts.TryGetValue(Schemas.SalesMart.Dataset, out var mart))
            throw new ConfigurationException($"the data-contract folder '{contractsDir}' has no contract for dataset '{Schemas.SalesMart.Dataset}'; Transform takes the derivation of {TotalPrice.Column} from it");
        var path = mart.SourcePath ?? Schemas.SalesMart.Dataset;
        var column = mart.FindColumn(TotalPrice.Column)
            ?? throw new ConfigurationException($"data contract '{path}' declares no column '{TotalPrice.Column}'; Transform computes it from the column's derivation");
        if (column.Derivation is null)
            throw new ConfigurationException(
                $"data contract '{path}': column '{TotalPrice.Column}' has no derivation; declare how it is computed, e.g. " +
                $"{{name: {TotalPrice.Column}, type: \"decimal(18,2)\", nullable: true, derived: qty * unit_price}} (docs/contracts.md, \"Derived columns\")");
        if (column.Type.Kind != ColumnKind.Decimal)
            throw new ConfigurationException($"data contract '{path}': column '{TotalPrice.Column}' is {column.Type}; the mart holds it as decimal({Schemas.MoneyPrecision},{Schemas.MoneyScale})");
        return new DerivedColumns([.. mart.Columns.Where(c => c.Derivation is not null)
            .Select(c => new Derived(c, path, ExpressionProgram.Compile(c.Derivation!)))]);
    }

    /// <summary>
    /// These derivations, once each is known to read only numeric mart columns a staged event brings (they run before the
    /// join, on the staged rows) and to fill a column Transform holds; else a configuration error naming the column.
    /// </summary>
    public DerivedColumns ReadingOnly(MartColumnOrigins origins)
    {
        var available = origins.Staged.Where(name => origins.Mart.Blocks.Columns[origins.Mart.IndexOf(name)].Kind
            is BlockEncoding.Int64 or BlockEncoding.NullableInt32 or BlockEncoding.NullableDecimal).ToList();
        foreach (var d in _columns)
        {
            if (d.Expression.Columns.FirstOrDefault(c => !available.Contains(c)) is { } other)
                throw new ConfigurationException(
                    $"data contract '{d.Contract}': the derivation of '{d.Column.Name}' ({d.Column.DerivationText}) reads '{other}', which is not a numeric column a staged event brings to the mart; it can read {string.Join(", ", available)}");
            if (origins.Mart.Blocks.Columns[origins.Mart.IndexOf(d.Column.Name)].Kind is not (BlockEncoding.NullableDecimal or BlockEncoding.NullableInt32 or BlockEncoding.Int64))
                throw new ConfigurationException(
                    $"data contract '{d.Contract}': column '{d.Column.Name}' is derived but declared {d.Column.Type}; a derived column is decimal(p,s), int32 or int64");
        }
        return this;
    }

    /// <summary>
    /// Computes every derived column of rows [from, from + n) of <paramref name="rows"/> into the rows' own columns (null
    /// where an input is null, and where the value could not be computed or does not fit); returns the block, whose
    /// <see cref="Block.Beyond"/> lists those rows (positions from <paramref name="from"/>, ascending, each once with its
    /// first reason). Dispose the block when done with it.
    /// </summary>
    public Block Compute(PartitionColumns rows, int from, int n)
    {
        var block = _blocks.TryTake(out var b) ? b : new Block(this);
        block.Beyond.Clear();
        for (var c = 0; c < _columns.Length; c++) Evaluate(_columns[c], block.Evaluators[c], rows, from, n, block.Beyond);
        if (_columns.Length > 1 && block.Beyond.Count > 1)
        {
            var first = block.Beyond.GroupBy(x => x.Row).Select(g => g.First()).OrderBy(x => x.Row).ToList();
            block.Beyond.Clear();
            block.Beyond.AddRange(first);
        }
        return block;
    }

    private static void Evaluate(Derived d, ExpressionEvaluator eval, PartitionColumns rows, int from, int n, List<Beyond> beyond)
    {
        var program = d.Program;
        for (var i = 0; i < program.Inputs.Count; i++)
        {
            switch (rows.Vector(program.Inputs[i]))
            {
                case NullableInt32Vector v: eval.Bind(i, v.Values.AsSpan(from, n)); break;
                case NullableDecimalVector v: eval.Bind(i, v.Values.AsSpan(from, n)); break;
                case Int64Vector v: eval.Bind(i, v.Values.AsSpan(from, n), []); break;
                case var v: throw new InvalidOperationException($"the derivation of {d.Column.Name} reads {program.Inputs[i]}, held as {v?.Column.Kind.ToString() ?? "nothing"}");
            }
        }
        eval.Run(n);
        var nulls = eval.Nulls(0);
        var errors = eval.Errors;
        var isDecimal = d.Expression.Kind == NumericKind.Decimal;
        ReadOnlySpan<decimal> decimals = isDecimal ? eval.Decimals(0) : default;
        ReadOnlySpan<long> longs = isDecimal ? default : eval.Longs(0);
        var target = rows.Vector(d.Column.Name);
        var scale = d.Column.Type.Scale;
        for (var i = 0; i < n; i++)
        {
            var row = from + i;
            if (!nulls.IsEmpty && nulls[i])
            {
                target!.SetNull(row, 1);
                continue;
            }
            if (!errors.IsEmpty && errors[i] != ExpressionError.None)
            {
                target!.SetNull(row, 1);
                beyond.Add(new Beyond(i, d.Column.Name, Computation(d, rows, row), errors[i].Describe(), d.TypeText, d.Max));
                continue;
            }
            switch (target)
            {
                case NullableDecimalVector v:
                    var value = DecimalColumnFit.Round(isDecimal ? decimals[i] : longs[i], scale);
                    if (d.Limit.Fits(value)) v.Values[row] = value;
                    else
                    {
                        v.Values[row] = null;
                        beyond.Add(new Beyond(i, d.Column.Name, Computation(d, rows, row), value.ToString(CultureInfo.InvariantCulture), d.TypeText, d.Max));
                    }
                    break;
                case NullableInt32Vector v when !isDecimal && longs[i] is >= int.MinValue and <= int.MaxValue:
                    v.Values[row] = (int)longs[i];
                    break;
                case Int64Vector v when !isDecimal:
                    v.Values[row] = longs[i];
                    break;
                default:
                    target!.SetNull(row, 1);
                    var result = isDecimal ? decimals[i].ToString(CultureInfo.InvariantCulture) : longs[i].ToString(CultureInfo.InvariantCulture);
                    beyond.Add(new Beyond(i, d.Column.Name, Computation(d, rows, row), result, d.TypeText, d.Max));
                    break;
            }
        }
    }

    /// <summary>The expression with row <paramref name="row"/>'s values in place of its columns, for a quarantine reason.</summary>
    private static string Computation(Derived d, PartitionColumns rows, int row) =>
        ExpressionText.WithValues(d.Expression, name => rows.Vector(name)?.ValueAt(row) is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : "null");

    /// <summary>A row whose derived column could not be computed or does not fit: the column, the computation with its values, and its result.</summary>
    internal readonly record struct Beyond(int Row, string Column, string Computation, string Result, string Type, decimal Max)
    {
        /// <summary>The quarantine reason of the row at line <paramref name="line"/> of <paramref name="sourceKey"/>.</summary>
        public string Reason(string sourceKey, long line) => string.Create(CultureInfo.InvariantCulture,
            $"{sourceKey}:{line}: {Column} = {Computation} = {Result}, beyond {Type} (at most {Max} in magnitude)");
    }

    /// <summary>An evaluator per derived column and the rows beyond their types of one call; back to the pool on dispose.</summary>
    internal sealed class Block(DerivedColumns owner) : IDisposable
    {
        public ExpressionEvaluator[] Evaluators { get; } = [.. owner._columns.Select(c => c.Program.NewEvaluator())];

        /// <summary>The rows that could not be computed or do not fit, in ascending order, each once.</summary>
        public List<Beyond> Beyond { get; } = [];

        public void Dispose() => owner._blocks.Add(this);
    }
}
