using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

internal sealed class CompareEvaluator : CheckEvaluator
{
    private readonly CompareCheck _check;
    private readonly bool[] _holds;

    public CompareEvaluator(CompareCheck check) : base(check)
    {
        _check = check;
        _holds = SignTable(c => check.Operator.Holds(c));
        Detail = $"{check.Left} {check.Operator.ToText()} {check.Right}";
    }

    protected override void Scan(RowBatch batch, bool[]? keep, List<int> failing)
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

    public override string Offending(RowBatch batch, int row) =>
        $"{_check.Left}={batch.RenderValue(_check.Left, row)}, {_check.Right}={batch.RenderValue(_check.Right, row)}";
}
