using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

internal sealed class LengthEvaluator : CheckEvaluator
{
    private readonly LengthCheck _check;

    public LengthEvaluator(LengthCheck check) : base(check)
    {
        _check = check;
        Detail = $"length({check.Column}) in [{check.Min?.ToString() ?? "0"}, {check.Max?.ToString() ?? "∞"}]";
    }

    protected override void Scan(RowBatch batch, bool[]? keep, List<int> failing)
    {
        var c = batch.Column(_check.Column);
        int min = _check.Min ?? int.MinValue, max = _check.Max ?? int.MaxValue;
        if (c.Kind != CellKind.String)
        {
            // Only strings have a length; other values pass.
            if (c.Kind == CellKind.Other)
                for (int r = 0; r < c.Length; r++)
                    if (Active(keep, r) && c.Value(r) is string o && (o.Length < min || o.Length > max)) failing.Add(r);
            return;
        }

        var s = c.Strings;
        for (int r = 0; r < s.Length; r++)
            if (s[r] is { } v && (v.Length < min || v.Length > max) && Active(keep, r)) failing.Add(r);
    }

    public override string Offending(RowBatch batch, int row)
    {
        var length = ((string)batch.Column(_check.Column).Value(row)!).Length;
        return $"{_check.Column}={batch.RenderValue(_check.Column, row)} (length {length})";
    }
}
