using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

internal sealed class NotNullEvaluator(NotNullCheck check) : CheckEvaluator(check)
{
    /// <summary>A chunk whose footer counts no null has none.</summary>
    public override bool IsProvenBy(Func<string, ChunkStatistics?> statistics) => statistics(check.Column)?.NullCount == 0;

    protected override void Scan(RowBatch batch, bool[]? keep, List<int> failing)
    {
        var c = batch.Column(check.Column);
        switch (c.Kind)
        {
            case CellKind.String when c.Slices is { } slices:
            {
                if (slices.Nulls is { } nullRows)
                {
                    for (int r = 0; r < nullRows.Length; r++)
                        if (nullRows[r] && Active(keep, r)) failing.Add(r);
                }

                break;
            }
            case CellKind.String:
            {
                var s = c.Strings;
                for (int r = 0; r < s.Length; r++)
                    if (s[r] is null && Active(keep, r)) failing.Add(r);
                break;
            }
            case CellKind.Other:
                for (int r = 0; r < c.Length; r++)
                    if (Active(keep, r) && c.IsNull(r)) failing.Add(r);
                break;
            default:
                if (c.Nulls is { } nulls)
                {
                    for (int r = 0; r < nulls.Length; r++)
                        if (nulls[r] && Active(keep, r)) failing.Add(r);
                }

                break;
        }
    }

    public override string Offending(RowBatch batch, int row) => $"{check.Column}=null";
}
