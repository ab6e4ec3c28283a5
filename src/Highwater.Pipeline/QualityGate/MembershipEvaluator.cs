using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

/// <summary>Membership of non-null values in a <see cref="KeySet"/>: accepted_values and references.</summary>
internal abstract class MembershipEvaluator(ContractCheck check, string column) : CheckEvaluator(check)
{
    protected KeySet Keys { get; } = new();

    /// <summary>The column whose values must be members.</summary>
    protected string Column => column;

    private readonly StringVerdictCache _verdicts = new();

    protected override void Scan(RowBatch batch, bool[]? keep, List<int> failing)
    {
        var c = batch.Column(column);
        var keys = Keys;
        var nulls = c.Nulls;
        switch (c.Kind)
        {
            case CellKind.String:
            {
                // Low-cardinality columns repeat the same string instances: remember the last verdict.
                var s = c.Strings;
                string? last = null;
                bool lastIn = true;
                for (int r = 0; r < s.Length; r++)
                {
                    if (s[r] is not { } v || !Active(keep, r)) continue;
                    if (!ReferenceEquals(v, last))
                    {
                        last = v;
                        if (!_verdicts.TryGet(v, out lastIn)) _verdicts.Set(v, lastIn = keys.ContainsString(v));
                    }

                    if (!lastIn) failing.Add(r);
                }

                break;
            }
            case CellKind.Long:
            {
                var l = c.Longs;
                for (int r = 0; r < l.Length; r++)
                    if ((nulls is null || !nulls[r]) && Active(keep, r) && !keys.ContainsLong(l[r])) failing.Add(r);
                break;
            }
            case CellKind.Decimal:
            {
                var d = c.Decimals;
                for (int r = 0; r < d.Length; r++)
                    if ((nulls is null || !nulls[r]) && Active(keep, r) && !keys.ContainsDecimal(d[r])) failing.Add(r);
                break;
            }
            case CellKind.Time:
            {
                var t = c.Longs;
                for (int r = 0; r < t.Length; r++)
                    if ((nulls is null || !nulls[r]) && Active(keep, r) && !keys.ContainsTicks(t[r])) failing.Add(r);
                break;
            }
            default:
                for (int r = 0; r < c.Length; r++)
                    if (Active(keep, r) && c.Value(r) is { } v && !keys.Contains(v)) failing.Add(r);
                break;
        }
    }

    public override string Offending(RowBatch batch, int row) => $"{column}={batch.RenderValue(column, row)}";
}
