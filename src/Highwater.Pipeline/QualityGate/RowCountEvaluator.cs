using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

internal sealed class RowCountEvaluator(RowCountCheck check) : CheckEvaluator(check)
{
    protected override void Scan(RowBatch batch, bool[]? keep, List<int> failing)
    {
    }

    public override string Offending(RowBatch batch, int row) => "";

    protected override void Finish(GateContext context, long publishedRows)
    {
        Detail = $"rows={publishedRows}, expected {(check.Min is { } min ? $">= {min}" : "")}{(check.Min is not null && check.Max is not null ? " and " : "")}{(check.Max is { } max ? $"<= {max}" : "")}";
        if ((check.Min is { } lo && publishedRows < lo) || (check.Max is { } hi && publishedRows > hi))
        {
            Failing = 1;
            AddSample(Detail);
        }
    }
}
