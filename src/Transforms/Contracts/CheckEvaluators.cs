using System.Text.RegularExpressions;

namespace Highwater.Contracts;

/// <summary>
/// The running state of one check during the single pass over the data. Row-level evaluators judge each row;
/// dataset-level ones (unique, row_count, freshness) accumulate and judge at the end.
/// </summary>
internal abstract class CheckEvaluator(ContractCheck check)
{
    private readonly List<string> _samples = [];

    public ContractCheck Check { get; } = check;

    public long RowsChecked { get; private set; }

    public long Failing { get; protected set; }

    public long Quarantined { get; set; }

    protected string Detail { get; set; } = "";

    public static CheckEvaluator Create(ContractCheck check) => check switch
    {
        NotNullCheck c => new NotNullEvaluator(c),
        UniqueCheck c => new UniqueEvaluator(c),
        AcceptedValuesCheck c => new AcceptedValuesEvaluator(c),
        MinCheck c => new BoundEvaluator(c, c.Column, c.Bound, c.Inclusive, isMin: true),
        MaxCheck c => new BoundEvaluator(c, c.Column, c.Bound, c.Inclusive, isMin: false),
        PatternCheck c => new PatternEvaluator(c),
        LengthCheck c => new LengthEvaluator(c),
        RowCountCheck c => new RowCountEvaluator(c),
        FreshnessCheck c => new FreshnessEvaluator(c),
        ReferencesCheck c => new ReferencesEvaluator(c),
        CompareCheck c => new CompareEvaluator(c),
        _ => throw new ArgumentOutOfRangeException(nameof(check), check.GetType().Name, "unknown check type"),
    };

    /// <summary>Loads what the check needs before the pass (the referenced key set).</summary>
    public virtual Task PrepareAsync(GateContext context, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Resolves column accessors for a new batch.</summary>
    public abstract void Bind(RowBatch batch);

    /// <summary>Judges one row; returns null when it passes, else the offending value(s) as <c>col=value</c>.</summary>
    public string? Evaluate(RowBatch batch, int row)
    {
        RowsChecked++;
        var offending = Test(batch, row);
        if (offending is null) return null;
        Failing++;
        if (_samples.Count < CheckResult.MaxSamples) _samples.Add(batch.RenderRow(row));
        return offending;
    }

    protected abstract string? Test(RowBatch batch, int row);

    /// <summary>Dataset-level verdict after the pass; row-level checks have nothing to add.</summary>
    protected virtual void Finish(GateContext context, long publishedRows)
    {
    }

    protected void AddSample(string sample)
    {
        if (_samples.Count < CheckResult.MaxSamples) _samples.Add(sample);
    }

    public CheckResult Complete(GateContext context, long publishedRows)
    {
        Finish(context, publishedRows);
        var status = Failing == 0 ? CheckStatus.Pass
            : Check.Severity == CheckSeverity.Error ? CheckStatus.Fail
            : CheckStatus.Warn;
        return new CheckResult
        {
            Name = Check.Name,
            Type = Check.Type,
            Columns = Check.Columns,
            Severity = Check.Severity,
            Status = status,
            FailingCount = Failing,
            Samples = _samples.ToList(),
            RowsChecked = RowsChecked,
            RowsQuarantined = Quarantined,
            Detail = Detail,
        };
    }

    public CheckResult Skipped() => new()
    {
        Name = Check.Name,
        Type = Check.Type,
        Columns = Check.Columns,
        Severity = Check.Severity,
        Status = CheckStatus.Skipped,
        Detail = "not evaluated: the schema check failed",
    };
}

internal sealed class NotNullEvaluator(NotNullCheck check) : CheckEvaluator(check)
{
    private Func<int, object?> _value = _ => null;

    public override void Bind(RowBatch batch) => _value = batch.Accessor(check.Column);

    protected override string? Test(RowBatch batch, int row) => _value(row) is null ? $"{check.Column}=null" : null;
}

internal sealed class UniqueEvaluator : CheckEvaluator
{
    private readonly UniqueCheck _check;
    private static readonly object NullKey = new();
    private readonly HashSet<object> _seen = [];
    private Func<int, object?>[] _key = [];

    public UniqueEvaluator(UniqueCheck check) : base(check)
    {
        _check = check;
        Detail = check.Within.Count == 0
            ? $"key ({string.Join(", ", check.KeyColumns)})"
            : $"key ({string.Join(", ", check.KeyColumns)}) within ({string.Join(", ", check.Within)})";
    }

    public override void Bind(RowBatch batch) => _key = _check.Columns.Select(batch.Accessor).ToArray();

    protected override string? Test(RowBatch batch, int row)
    {
        object key;
        if (_key.Length == 1)
        {
            key = _key[0](row)!;
            if (key is null) return null;
        }
        else
        {
            // GROUP BY semantics: a null is a value of its own; only an all-null key is ignored.
            var values = new object[_key.Length];
            bool allNull = true;
            for (int i = 0; i < _key.Length; i++)
            {
                var v = _key[i](row);
                allNull &= v is null;
                values[i] = v ?? NullKey;
            }

            if (allNull) return null;
            key = new CompositeKey(values);
        }

        return _seen.Add(key) ? null : "duplicate " + string.Join(", ", _check.Columns.Select(c => $"{c}={batch.RenderValue(c, row)}"));
    }

    private sealed class CompositeKey(object[] values) : IEquatable<CompositeKey>
    {
        private readonly int _hash = values.Aggregate(17, (h, v) => unchecked(h * 31 + v.GetHashCode()));

        public bool Equals(CompositeKey? other) => other is not null && _hash == other._hash && values.SequenceEqual(other.Values);

        public override bool Equals(object? obj) => Equals(obj as CompositeKey);

        public override int GetHashCode() => _hash;

        private object[] Values => values;
    }
}

internal sealed class AcceptedValuesEvaluator : CheckEvaluator
{
    private readonly AcceptedValuesCheck _check;
    private readonly HashSet<object> _accepted;
    private Func<int, object?> _value = _ => null;

    public AcceptedValuesEvaluator(AcceptedValuesCheck check) : base(check)
    {
        _check = check;
        _accepted = [.. check.Values];
        Detail = "accepted: " + string.Join(", ", check.Values.Select(v => ContractValues.Render(v)));
    }

    public override void Bind(RowBatch batch) => _value = batch.Accessor(_check.Column);

    protected override string? Test(RowBatch batch, int row) =>
        _value(row) is { } v && !_accepted.Contains(v) ? $"{_check.Column}={batch.RenderValue(_check.Column, row)}" : null;
}

internal sealed class BoundEvaluator : CheckEvaluator
{
    private readonly string _column;
    private readonly object _bound;
    private readonly bool _inclusive;
    private readonly bool _isMin;
    private Func<int, object?> _value = _ => null;

    public BoundEvaluator(ContractCheck check, string column, object bound, bool inclusive, bool isMin) : base(check)
    {
        (_column, _bound, _inclusive, _isMin) = (column, bound, inclusive, isMin);
        Detail = $"{column} {(isMin ? (inclusive ? ">=" : ">") : (inclusive ? "<=" : "<"))} {ContractValues.Render(bound, bound is DateTime d && d.TimeOfDay == TimeSpan.Zero)}";
    }

    public override void Bind(RowBatch batch) => _value = batch.Accessor(_column);

    protected override string? Test(RowBatch batch, int row)
    {
        if (_value(row) is not { } v) return null;
        int c = ContractValues.Compare(v, _bound);
        bool ok = _isMin ? (_inclusive ? c >= 0 : c > 0) : (_inclusive ? c <= 0 : c < 0);
        return ok ? null : $"{_column}={batch.RenderValue(_column, row)}";
    }
}

internal sealed class PatternEvaluator : CheckEvaluator
{
    private readonly PatternCheck _check;
    private Func<int, object?> _value = _ => null;

    public PatternEvaluator(PatternCheck check) : base(check)
    {
        _check = check;
        Detail = $"{check.Column} matches {check.Regex}";
    }

    public override void Bind(RowBatch batch) => _value = batch.Accessor(_check.Column);

    protected override string? Test(RowBatch batch, int row)
    {
        if (_value(row) is not string s) return null;
        bool ok;
        try
        {
            ok = _check.Regex.IsMatch(s);
        }
        catch (RegexMatchTimeoutException)
        {
            ok = false;
        }

        return ok ? null : $"{_check.Column}={batch.RenderValue(_check.Column, row)}";
    }
}

internal sealed class LengthEvaluator : CheckEvaluator
{
    private readonly LengthCheck _check;
    private Func<int, object?> _value = _ => null;

    public LengthEvaluator(LengthCheck check) : base(check)
    {
        _check = check;
        Detail = $"length({check.Column}) in [{check.Min?.ToString() ?? "0"}, {check.Max?.ToString() ?? "∞"}]";
    }

    public override void Bind(RowBatch batch) => _value = batch.Accessor(_check.Column);

    protected override string? Test(RowBatch batch, int row)
    {
        if (_value(row) is not string s) return null;
        bool ok = (_check.Min is not { } min || s.Length >= min) && (_check.Max is not { } max || s.Length <= max);
        return ok ? null : $"{_check.Column}={batch.RenderValue(_check.Column, row)} (length {s.Length})";
    }
}

internal sealed class RowCountEvaluator(RowCountCheck check) : CheckEvaluator(check)
{
    public override void Bind(RowBatch batch)
    {
    }

    protected override string? Test(RowBatch batch, int row) => null;

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

internal sealed class FreshnessEvaluator(FreshnessCheck check) : CheckEvaluator(check)
{
    private Func<int, object?> _value = _ => null;
    private bool _isDate;
    private DateTime? _newest;

    public override void Bind(RowBatch batch)
    {
        _value = batch.Accessor(check.Column);
        _isDate = batch.IsDateColumn(check.Column);
    }

    protected override string? Test(RowBatch batch, int row)
    {
        if (_value(row) is DateTime t)
        {
            var end = _isDate ? t.Date.AddDays(1) : t;
            if (_newest is null || end > _newest) _newest = end;
        }

        return null;
    }

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

internal sealed class ReferencesEvaluator(ReferencesCheck check) : CheckEvaluator(check)
{
    private readonly HashSet<object> _keys = [];
    private Func<int, object?> _value = _ => null;

    public override async Task PrepareAsync(GateContext context, CancellationToken ct)
    {
        var resolve = context.ResolveDataset
            ?? throw new ConfigurationException($"check '{check.Name}' references dataset '{check.ReferencedDataset}' but GateContext.ResolveDataset is not set");
        var files = resolve(check.ReferencedDataset);
        foreach (var file in files)
        {
            await foreach (var value in DatasetReader.ReadColumnAsync(file, check.ReferencedColumn, ct))
                if (value is not null) _keys.Add(value);
        }

        Detail = $"{check.Column} in {check.ReferencedDataset}.{check.ReferencedColumn} ({_keys.Count} keys in {files.Count} files)";
    }

    public override void Bind(RowBatch batch) => _value = batch.Accessor(check.Column);

    protected override string? Test(RowBatch batch, int row) =>
        _value(row) is { } v && !_keys.Contains(v) ? $"{check.Column}={batch.RenderValue(check.Column, row)}" : null;
}

internal sealed class CompareEvaluator : CheckEvaluator
{
    private readonly CompareCheck _check;
    private Func<int, object?> _left = _ => null;
    private Func<int, object?> _right = _ => null;

    public CompareEvaluator(CompareCheck check) : base(check)
    {
        _check = check;
        Detail = $"{check.Left} {check.Operator.ToText()} {check.Right}";
    }

    public override void Bind(RowBatch batch)
    {
        _left = batch.Accessor(_check.Left);
        _right = batch.Accessor(_check.Right);
    }

    protected override string? Test(RowBatch batch, int row)
    {
        if (_left(row) is not { } l || _right(row) is not { } r) return null;
        return _check.Operator.Holds(ContractValues.Compare(l, r))
            ? null
            : $"{_check.Left}={batch.RenderValue(_check.Left, row)}, {_check.Right}={batch.RenderValue(_check.Right, row)}";
    }
}
