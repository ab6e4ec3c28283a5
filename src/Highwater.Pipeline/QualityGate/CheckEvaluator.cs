using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// The running state of one check during the single pass over the data. Each evaluator judges a whole row group
/// at a time, column by column, with typed loops for the column kinds of <see cref="TypedColumn"/> and a generic
/// path on normalised values for anything else. Row-level evaluators report failing rows; dataset-level ones
/// (unique, row_count, freshness) accumulate and judge at the end.
/// </summary>
internal abstract class CheckEvaluator(ContractCheck check)
{
    private readonly List<string> _samples = [];
    private readonly List<int> _pendingSamples = [];
    private readonly List<int> _failing = [];

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

    /// <summary>The files of the pass, in order, before it starts (unique uses it to drop a partition's keys after its last file).</summary>
    public virtual void Plan(IReadOnlyList<DatasetFile> files, IReadOnlyList<string> partitionBy)
    {
    }

    /// <summary>The pass is done with file <paramref name="fileIndex"/> of <see cref="Plan"/>.</summary>
    public virtual void EndFile(int fileIndex)
    {
    }

    /// <summary>
    /// Judges the rows of a batch where <paramref name="keep"/> is null or true (<paramref name="rows"/> of them);
    /// returns the failing rows in ascending order (valid until the next call). The first failing rows are held as
    /// samples to render with <see cref="RenderSamples"/> once the batch has every column.
    /// </summary>
    public IReadOnlyList<int> Evaluate(RowBatch batch, bool[]? keep, int rows)
    {
        RowsChecked += rows;
        _failing.Clear();
        if (batch.IsProven(this)) RowGroupsByStatistics++;
        else if (rows > 0) Scan(batch, keep, _failing);
        Failing += _failing.Count;
        for (int i = 0; i < _failing.Count && _samples.Count + _pendingSamples.Count < CheckResult.MaxSamples; i++)
            _pendingSamples.Add(_failing[i]);
        return _failing;
    }

    /// <summary>The row groups this check passed by their footer statistics alone (<see cref="IsProvenBy"/>), without a scan.</summary>
    public long RowGroupsByStatistics { get; private set; }

    /// <summary>
    /// Whether the footer statistics of a row group's chunks (<paramref name="statistics"/>: a column's, or null when it
    /// has none) prove that every row of the row group passes, so that its columns need not be decoded for this check.
    /// False unless a check knows better. Called on the read-ahead threads while the pass runs: an override reads only
    /// what the constructor set.
    /// </summary>
    public virtual bool IsProvenBy(Func<string, ChunkStatistics?> statistics) => false;

    /// <summary>Whether <see cref="Evaluate"/> left sample rows that need the whole row to render.</summary>
    public bool HasPendingSamples => _pendingSamples.Count > 0;

    public void RenderSamples(RowBatch batch)
    {
        foreach (var row in _pendingSamples) _samples.Add(batch.RenderRow(row));
        _pendingSamples.Clear();
    }

    /// <summary>Appends the failing rows among the active ones to <paramref name="failing"/>, in ascending order.</summary>
    protected abstract void Scan(RowBatch batch, bool[]? keep, List<int> failing);

    /// <summary>The offending value(s) of a failing row as <c>col=value</c>, for quarantine reasons.</summary>
    public abstract string Offending(RowBatch batch, int row);

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
            RowGroupsByStatistics = RowGroupsByStatistics,
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

    /// <summary>Whether row <paramref name="row"/> is judged: no quarantine removed it.</summary>
    protected static bool Active(bool[]? keep, int row) => keep is null || keep[row];

    /// <summary>A table of which comparison signs (-1, 0, 1 at index 0, 1, 2) pass.</summary>
    protected static bool[] SignTable(Func<int, bool> passes) => [passes(-1), passes(0), passes(1)];
}
