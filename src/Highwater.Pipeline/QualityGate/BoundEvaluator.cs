using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

internal sealed class BoundEvaluator : CheckEvaluator
{
    private readonly string _column;
    private readonly object _bound;
    private readonly bool _isMin;
    private readonly bool[] _passes;
    private readonly long _lo = long.MinValue, _hi = long.MaxValue;

    public BoundEvaluator(ContractCheck check, string column, object bound, bool inclusive, bool isMin) : base(check)
    {
        (_column, _bound, _isMin) = (column, bound, isMin);
        _passes = SignTable(c => isMin ? (inclusive ? c >= 0 : c > 0) : (inclusive ? c <= 0 : c < 0));
        if (bound is decimal b)
        {
            // The passing integers as an inclusive range [lo, hi] (empty when lo > hi).
            if (b > long.MaxValue) (_lo, _hi) = isMin ? (1L, 0L) : (long.MinValue, long.MaxValue);
            else if (b < long.MinValue) (_lo, _hi) = isMin ? (long.MinValue, long.MaxValue) : (1L, 0L);
            else
            {
                decimal t = isMin ? (inclusive ? decimal.Ceiling(b) : decimal.Floor(b) + 1) : (inclusive ? decimal.Floor(b) : decimal.Ceiling(b) - 1);
                if (isMin && t > long.MaxValue) (_lo, _hi) = (1, 0);
                else if (isMin) _lo = (long)t;
                else if (t < long.MinValue) (_lo, _hi) = (1, 0);
                else _hi = (long)t;
            }
        }

        Detail = $"{column} {(isMin ? (inclusive ? ">=" : ">") : (inclusive ? "<=" : "<"))} {ContractValues.Render(bound, bound is DateTime d && d.TimeOfDay == TimeSpan.Zero)}";
    }

    /// <summary>
    /// A min check passes a chunk whose smallest value passes it, a max check one whose largest does (nulls are not
    /// judged by either); compared as the generic path compares a row's value, and only for a bound of the value's type.
    /// </summary>
    public override bool IsProvenBy(Func<string, ChunkStatistics?> statistics)
    {
        if (statistics(_column) is not { } s || (_isMin ? s.Min : s.Max) is not { } edge || edge.GetType() != _bound.GetType()) return false;
        return _passes[Math.Sign(ContractValues.Compare(edge, _bound)) + 1];
    }

    protected override void Scan(RowBatch batch, bool[]? keep, List<int> failing)
    {
        var c = batch.Column(_column);
        var nulls = c.Nulls;
        var passes = _passes;
        switch (c.Kind)
        {
            case CellKind.Long when _bound is decimal:
            {
                var l = c.Longs;
                long lo = _lo, hi = _hi;
                for (int r = 0; r < l.Length; r++)
                {
                    long v = l[r];
                    if ((v < lo || v > hi) && (nulls is null || !nulls[r]) && Active(keep, r)) failing.Add(r);
                }

                break;
            }
            case CellKind.Decimal when _bound is decimal b:
            {
                var d = c.Decimals;
                for (int r = 0; r < d.Length; r++)
                    if ((nulls is null || !nulls[r]) && Active(keep, r) && !passes[Math.Sign(d[r].CompareTo(b)) + 1]) failing.Add(r);
                break;
            }
            case CellKind.Time when _bound is DateTime b:
            {
                var t = c.Longs;
                long bt = b.Ticks;
                for (int r = 0; r < t.Length; r++)
                    if ((nulls is null || !nulls[r]) && Active(keep, r) && !passes[t[r].CompareTo(bt) + 1]) failing.Add(r);
                break;
            }
            case CellKind.String when _bound is string b:
            {
                var s = c.Strings;
                for (int r = 0; r < s.Length; r++)
                    if (s[r] is { } v && Active(keep, r) && !passes[Math.Sign(string.CompareOrdinal(v, b)) + 1]) failing.Add(r);
                break;
            }
            default:
                for (int r = 0; r < c.Length; r++)
                    if (Active(keep, r) && c.Value(r) is { } v && !passes[Math.Sign(ContractValues.Compare(v, _bound)) + 1]) failing.Add(r);
                break;
        }
    }

    public override string Offending(RowBatch batch, int row) => $"{_column}={batch.RenderValue(_column, row)}";
}
