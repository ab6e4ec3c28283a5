using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Expressions;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// compare: two columns by their typed values, or two numeric expressions evaluated a row group at a time
/// (<see cref="ExpressionEvaluator"/>) and compared lane by lane; a row whose expression cannot be computed fails.
/// </summary>
internal sealed class CompareEvaluator : CheckEvaluator
{
    private readonly CompareCheck _check;
    private readonly bool[] _holds;
    private readonly ExpressionProgram? _program;
    private readonly ExpressionEvaluator? _expressions;

    public CompareEvaluator(CompareCheck check) : base(check)
    {
        _check = check;
        _holds = SignTable(c => check.Operator.Holds(c));
        Detail = $"{check.Left} {check.Operator.ToText()} {check.Right}";
        if (check is { LeftExpression: { } l, RightExpression: { } r })
        {
            // Both sides in the lanes of the wider one, so each row compares like with like.
            var kind = ExpressionParser.Common([l, r]) == NumericKind.Decimal ? NumericKind.Decimal : NumericKind.Int64;
            _program = ExpressionProgram.Compile(ExpressionParser.To(kind, l), ExpressionParser.To(kind, r));
            _expressions = _program.NewEvaluator();
        }
    }

    protected override void Scan(RowBatch batch, bool[]? keep, List<int> failing)
    {
        if (_program is not null) ScanExpressions(batch, keep, failing);
        else ScanColumns(batch, keep, failing);
    }

    private void ScanExpressions(RowBatch batch, bool[]? keep, List<int> failing)
    {
        var eval = _expressions!;
        int n = batch.RowCount;
        for (int i = 0; i < _program!.Inputs.Count; i++)
        {
            var column = batch.Column(_program.Inputs[i]);
            var nulls = column.Nulls is { } mask ? mask.AsSpan(0, n) : [];
            switch (column.Kind)
            {
                case CellKind.Long: eval.Bind(i, column.Longs.AsSpan(0, n), nulls); break;
                case CellKind.Decimal: eval.Bind(i, column.Decimals.AsSpan(0, n), nulls); break;
                default:
                    throw new InvalidOperationException($"column '{_program.Inputs[i]}' is not numeric in {batch.File.Path} (the schema check should have caught this)");
            }
        }

        eval.Run(n);
        var holds = _holds;
        var errors = eval.Errors;
        var ln = eval.Nulls(0);
        var rn = eval.Nulls(1);
        bool isDecimal = _program.Outputs[0].Kind == NumericKind.Decimal;
        ReadOnlySpan<decimal> ld = isDecimal ? eval.Decimals(0) : default, rd = isDecimal ? eval.Decimals(1) : default;
        ReadOnlySpan<long> ll = isDecimal ? default : eval.Longs(0), rl = isDecimal ? default : eval.Longs(1);
        for (int i = 0; i < n; i++)
        {
            if (!Active(keep, i)) continue;
            if (!errors.IsEmpty && errors[i] != ExpressionError.None)
            {
                failing.Add(i);
                continue;
            }

            if ((!ln.IsEmpty && ln[i]) || (!rn.IsEmpty && rn[i])) continue;
            int sign = isDecimal ? ld[i].CompareTo(rd[i]) : ll[i].CompareTo(rl[i]);
            if (!holds[Math.Sign(sign) + 1]) failing.Add(i);
        }
    }

    private void ScanColumns(RowBatch batch, bool[]? keep, List<int> failing)
    {
        var l = batch.Column(_check.Left);
        var r = batch.Column(_check.Right);
        var holds = _holds;
        var ln = l.Nulls;
        var rn = r.Nulls;
        int n = batch.RowCount;
        switch (l.Kind, r.Kind)
        {
            case (CellKind.Long, CellKind.Long):
            case (CellKind.Time, CellKind.Time):
            {
                var a = l.Longs;
                var b = r.Longs;
                for (int i = 0; i < n; i++)
                {
                    if (holds[a[i].CompareTo(b[i]) + 1] || (ln is not null && ln[i]) || (rn is not null && rn[i]) || !Active(keep, i)) continue;
                    failing.Add(i);
                }

                break;
            }
            case (CellKind.Long or CellKind.Decimal, CellKind.Long or CellKind.Decimal):
                for (int i = 0; i < n; i++)
                {
                    if ((ln is not null && ln[i]) || (rn is not null && rn[i]) || !Active(keep, i)) continue;
                    decimal a = l.Kind == CellKind.Long ? l.Longs[i] : l.Decimals[i];
                    decimal b = r.Kind == CellKind.Long ? r.Longs[i] : r.Decimals[i];
                    if (!holds[Math.Sign(a.CompareTo(b)) + 1]) failing.Add(i);
                }

                break;
            case (CellKind.String, CellKind.String):
            {
                var a = l.Strings;
                var b = r.Strings;
                for (int i = 0; i < n; i++)
                    if (a[i] is { } x && b[i] is { } y && Active(keep, i) && !holds[Math.Sign(string.CompareOrdinal(x, y)) + 1]) failing.Add(i);
                break;
            }
            default:
                for (int i = 0; i < n; i++)
                {
                    if (!Active(keep, i) || l.Value(i) is not { } x || r.Value(i) is not { } y) continue;
                    if (!holds[Math.Sign(ContractValues.Compare(x, y)) + 1]) failing.Add(i);
                }

                break;
        }
    }

    /// <summary>The columns of both sides; for expressions also why a row had no value (valid for the batch just scanned).</summary>
    public override string Offending(RowBatch batch, int row)
    {
        if (_expressions is null) return $"{_check.Left}={batch.RenderValue(_check.Left, row)}, {_check.Right}={batch.RenderValue(_check.Right, row)}";
        var text = string.Join(", ", Check.Columns.Select(c => $"{c}={batch.RenderValue(c, row)}"));
        if (_expressions is var eval && !eval.Errors.IsEmpty && eval.Errors[row] is var error && error != ExpressionError.None)
            text += $" ({_check.Left} {_check.Operator.ToText()} {_check.Right} cannot be computed: {error.Describe()})";
        return text;
    }
}
