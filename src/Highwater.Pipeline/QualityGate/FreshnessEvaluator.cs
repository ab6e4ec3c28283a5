using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

internal sealed class FreshnessEvaluator(FreshnessCheck check) : CheckEvaluator(check)
{
    private DateTime? _newest;

    protected override void Scan(RowBatch batch, bool[]? keep, List<int> failing)
    {
        var c = batch.Column(check.Column);
        bool isDate = batch.IsDateColumn(check.Column);
        switch (c.Kind)
        {
            case CellKind.Time:
            {
                var t = c.Longs;
                var nulls = c.Nulls;
                long max = long.MinValue;
                bool any = false;
                for (int r = 0; r < t.Length; r++)
                {
                    if ((nulls is not null && nulls[r]) || !Active(keep, r)) continue;
                    any = true;
                    if (t[r] > max) max = t[r];
                }

                // The end of a day is monotonic in the value, so the newest end is the end of the newest value.
                if (any) Observe(new DateTime(max, DateTimeKind.Utc), isDate);
                break;
            }
            case CellKind.Other:
                for (int r = 0; r < c.Length; r++)
                    if (Active(keep, r) && c.Value(r) is DateTime v) Observe(v, isDate);
                break;
        }
    }

    private void Observe(DateTime t, bool isDate)
    {
        var end = isDate ? t.Date.AddDays(1) : t;
        if (_newest is null || end > _newest) _newest = end;
    }

    public override string Offending(RowBatch batch, int row) => "";

    protected override void Finish(GateContext context, long publishedRows)
    {
        var runTime = context.RunTime.UtcDateTime;
        var limit = $"max_age {DurationText.Format(check.MaxAge)} at run time {ContractValues.Render(runTime)}";
        if (_newest is not { } newest)
        {
            Failing = 1;
            Detail = $"no {check.Column} values; {limit}";
        }
        else
        {
            var age = runTime - newest;
            Detail = $"newest {check.Column} {ContractValues.Render(newest)} is {FormatAge(age)} old; {limit}";
            if (age > check.MaxAge) Failing = 1;
        }

        if (Failing > 0) AddSample(Detail);
    }

    private static string FormatAge(TimeSpan age) =>
        age < TimeSpan.Zero ? "in the future, " + FormatAge(-age) : $"{(long)age.TotalHours}h{age.Minutes:00}m";
}
