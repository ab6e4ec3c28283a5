using System.Text.RegularExpressions;

namespace Highwater.Contracts;

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

internal sealed class UniqueEvaluator : CheckEvaluator
{
    private static readonly object NullKey = new();
    private readonly UniqueCheck _check;

    // One key scope for the whole pass (no `within`, or `within` a file column) ...
    private readonly HashSet<CompositeKey> _seen = [];
    private readonly KeySet _single = new();

    // ... or, when `within` names only partition columns, one scope per partition, dropped after its last file.
    private bool _byPartition;
    private readonly Dictionary<string, Scope> _scopes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _filesLeft = new(StringComparer.Ordinal);
    private string?[] _fileScopes = [];
    private Scope? _spare; // a finished partition's scope, emptied: the next one reuses its key table's arrays

    public UniqueEvaluator(UniqueCheck check) : base(check)
    {
        _check = check;
        Detail = check.Within.Count == 0
            ? $"key ({string.Join(", ", check.KeyColumns)})"
            : $"key ({string.Join(", ", check.KeyColumns)}) within ({string.Join(", ", check.Within)})";
    }

    public override void Plan(IReadOnlyList<DatasetFile> files, IReadOnlyList<string> partitionBy)
    {
        _byPartition = _check.Within.Count > 0 && _check.Within.All(partitionBy.Contains);
        if (!_byPartition) return;
        _fileScopes = new string?[files.Count];
        for (int f = 0; f < files.Count; f++)
        {
            var dates = new List<DateTime>();
            foreach (var w in _check.Within)
            {
                if (!files[f].PartitionValues.TryGetValue(w, out var text) || !SchemaComparison.TryParsePartitionDate(text, out var d)) break;
                dates.Add(d);
            }

            if (dates.Count != _check.Within.Count) continue; // the pass fails on this file before reading it
            var key = ScopeKey(dates);
            _fileScopes[f] = key;
            _filesLeft[key] = _filesLeft.GetValueOrDefault(key) + 1;
        }
    }

    public override void EndFile(int fileIndex)
    {
        if (!_byPartition || fileIndex >= _fileScopes.Length || _fileScopes[fileIndex] is not { } key) return;
        if (--_filesLeft[key] == 0)
        {
            _filesLeft.Remove(key);
            if (_scopes.Remove(key, out var done))
            {
                done.Reset();
                _spare = done;
            }
        }
    }

    protected override void Scan(RowBatch batch, bool[]? keep, List<int> failing)
    {
        if (_byPartition) ScanScope(batch, keep, failing);
        else if (_check.Columns.Count == 1) ScanSingle(batch.Column(_check.Columns[0]), keep, failing);
        else ScanComposite(batch, _check.Columns, _seen, ignoreAllNull: true, keep, failing);
    }

    /// <summary>One key column, no scope: a null key is ignored.</summary>
    private void ScanSingle(TypedColumn c, bool[]? keep, List<int> failing) => ScanKeys(c, _single, firstNull: null, keep, failing);

    /// <summary>
    /// Adds one key column's values to <paramref name="set"/>; a value already there fails its row. A null is ignored
    /// when <paramref name="firstNull"/> is null, else it is a value of its own (the first one passes).
    /// </summary>
    private static void ScanKeys(TypedColumn c, KeySet set, Func<bool>? firstNull, bool[]? keep, List<int> failing)
    {
        switch (c.Kind)
        {
            case CellKind.String when c.Slices is { } slices:
            {
                int first = failing.Count;
                set.AddStrings(slices, keep, failing);
                if (firstNull is null || slices.Nulls is not { } nulls) break;
                int duplicates = failing.Count;
                for (int r = 0; r < nulls.Length; r++)
                    if (nulls[r] && Active(keep, r) && !firstNull()) failing.Add(r);
                if (failing.Count > duplicates && duplicates > first) failing.Sort(first, failing.Count - first, null);
                break;
            }
            case CellKind.String:
            {
                var s = c.Strings;
                int first = failing.Count;
                set.AddStrings(s, keep, failing);
                if (firstNull is null) break;
                int duplicates = failing.Count;
                for (int r = 0; r < s.Length; r++)
                    if (s[r] is null && Active(keep, r) && !firstNull()) failing.Add(r);
                if (failing.Count > duplicates && duplicates > first) failing.Sort(first, failing.Count - first, null);
                break;
            }
            case CellKind.Long when c.Nulls is null:
            {
                var l = c.Longs;
                for (int r = 0; r < l.Length; r++)
                    if (Active(keep, r) && !set.AddLong(l[r])) failing.Add(r);
                break;
            }
            default:
                for (int r = 0; r < c.Length; r++)
                {
                    if (!Active(keep, r)) continue;
                    if (c.IsNull(r) ? firstNull is not null && !firstNull() : !set.Add(c, r)) failing.Add(r);
                }

                break;
        }
    }

    /// <summary>
    /// Within partition columns: the partition values are part of every key, so the key is never all null and a
    /// null key column counts as a value (two null order_ids on one day are duplicates).
    /// </summary>
    private void ScanScope(RowBatch batch, bool[]? keep, List<int> failing)
    {
        var dates = _check.Within.Select(w => batch.Partitions.First(p => p.Name == w).Value).ToList();
        var key = ScopeKey(dates);
        if (!_scopes.TryGetValue(key, out var scope))
        {
            _scopes[key] = scope = _spare ?? new Scope();
            _spare = null;
        }

        if (_check.KeyColumns.Count != 1)
        {
            ScanComposite(batch, _check.KeyColumns, scope.Composite, ignoreAllNull: false, keep, failing);
            return;
        }

        var c = batch.Column(_check.KeyColumns[0]);
        var set = scope.Keys;
        if (set.Count == 0) set.EnsureCapacity(c.Kind, batch.RowCount); // once: growing it for every batch would rehash each time
        ScanKeys(c, set, scope.FirstNull, keep, failing);
    }

    /// <summary>Several columns: GROUP BY semantics, a null is a value of its own; an all-null key is ignored when asked.</summary>
    private static void ScanComposite(RowBatch batch, IReadOnlyList<string> columns, HashSet<CompositeKey> seen, bool ignoreAllNull,
        bool[]? keep, List<int> failing)
    {
        var typed = columns.Select(batch.Column).ToArray();
        for (int r = 0; r < batch.RowCount; r++)
        {
            if (!Active(keep, r)) continue;
            var values = new object[typed.Length];
            bool allNull = true;
            for (int i = 0; i < typed.Length; i++)
            {
                var v = typed[i].Value(r);
                allNull &= v is null;
                values[i] = v ?? NullKey;
            }

            if (allNull && ignoreAllNull) continue;
            if (!seen.Add(new CompositeKey(values))) failing.Add(r);
        }
    }

    public override string Offending(RowBatch batch, int row) =>
        "duplicate " + string.Join(", ", _check.Columns.Select(c => $"{c}={batch.RenderValue(c, row)}"));

    private static string ScopeKey(IEnumerable<DateTime> dates) => string.Join("|", dates.Select(d => d.Ticks));

    private sealed class Scope
    {
        private bool _nullSeen;

        public KeySet Keys { get; } = new();

        public HashSet<CompositeKey> Composite { get; } = [];

        public void Reset()
        {
            _nullSeen = false;
            Keys.Clear();
            Composite.Clear();
        }

        /// <summary>True for the first null key of the scope, false for a repeated one.</summary>
        public bool FirstNull()
        {
            if (_nullSeen) return false;
            _nullSeen = true;
            return true;
        }
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

internal sealed class AcceptedValuesEvaluator : MembershipEvaluator
{
    public AcceptedValuesEvaluator(AcceptedValuesCheck check) : base(check, check.Column)
    {
        foreach (var v in check.Values) Keys.Add(v);
        Detail = "accepted: " + string.Join(", ", check.Values.Select(v => ContractValues.Render(v)));
    }

    /// <summary>
    /// A chunk whose every data page is dictionary-encoded, with every dictionary value accepted, passes: each row's value
    /// is one of them. (The accepted values are set in the constructor, so reading them from the read-ahead threads is
    /// safe; references load theirs later and get no such proof.)
    /// </summary>
    public override bool IsProvenBy(Func<string, ChunkStatistics?> statistics)
    {
        if (statistics(Column)?.DictionaryStrings() is not { } values) return false;
        foreach (var v in values)
            if (v is not null && !Keys.ContainsString(v)) return false;
        return true;
    }
}

internal sealed class ReferencesEvaluator(ReferencesCheck check) : MembershipEvaluator(check, check.Column)
{
    public override async Task PrepareAsync(GateContext context, CancellationToken ct)
    {
        var resolve = context.ResolveDataset
            ?? throw new ConfigurationException($"check '{check.Name}' references dataset '{check.ReferencedDataset}' but GateContext.ResolveDataset is not set");
        var files = resolve(check.ReferencedDataset);
        foreach (var file in files)
            await DatasetReader.AddColumnKeysAsync(file, check.ReferencedColumn, Keys, ct);

        Detail = $"{check.Column} in {check.ReferencedDataset}.{check.ReferencedColumn} ({Keys.Count} keys in {files.Count} files)";
    }
}

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

internal sealed class PatternEvaluator : CheckEvaluator
{
    /// <summary>Distinct values whose verdict is remembered; beyond it the regex runs for each new value.</summary>
    public const int DefaultMemoCapacity = 4096;

    private readonly PatternCheck _check;
    private readonly Dictionary<string, bool> _memo = new(StringComparer.Ordinal);
    private readonly StringVerdictCache _verdicts = new();
    private readonly int _memoCapacity;

    public PatternEvaluator(PatternCheck check, int memoCapacity = DefaultMemoCapacity) : base(check)
    {
        _check = check;
        _memoCapacity = memoCapacity;
        Detail = $"{check.Column} matches {check.Regex}";
    }

    /// <summary>How many verdicts are remembered (at most the capacity).</summary>
    internal int MemoCount => _memo.Count;

    /// <summary>
    /// A chunk whose every data page is dictionary-encoded, with every dictionary value matching, passes: each row's value
    /// is one of them. Matched here without the memo (this runs on the read-ahead threads; a Regex matches from any
    /// thread); a value whose match times out proves nothing.
    /// </summary>
    public override bool IsProvenBy(Func<string, ChunkStatistics?> statistics)
    {
        if (statistics(_check.Column)?.DictionaryStrings() is not { } values) return false;
        try
        {
            foreach (var v in values)
                if (v is not null && !_check.Regex.IsMatch(v)) return false;
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }

        return true;
    }

    protected override void Scan(RowBatch batch, bool[]? keep, List<int> failing)
    {
        var c = batch.Column(_check.Column);
        if (c.Kind != CellKind.String)
        {
            // Only strings are matched; other values pass.
            if (c.Kind == CellKind.Other)
                for (int r = 0; r < c.Length; r++)
                    if (Active(keep, r) && c.Value(r) is string o && !Matches(o)) failing.Add(r);
            return;
        }

        var s = c.Strings;
        string? last = null;
        bool lastOk = true;
        for (int r = 0; r < s.Length; r++)
        {
            if (s[r] is not { } v || !Active(keep, r)) continue;
            if (!ReferenceEquals(v, last))
            {
                last = v;
                if (!_verdicts.TryGet(v, out lastOk))
                {
                    lastOk = Matches(v);
                    _verdicts.Set(v, lastOk);
                }
            }

            if (!lastOk) failing.Add(r);
        }
    }

    private bool Matches(string value)
    {
        if (_memo.TryGetValue(value, out bool ok)) return ok;
        try
        {
            ok = _check.Regex.IsMatch(value);
        }
        catch (RegexMatchTimeoutException e)
        {
            // A timeout says nothing about the value: it is neither a pass nor a failing row.
            throw new DataException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"check '{_check.Name}': pattern '{_check.Regex}' timed out after {e.MatchTimeout.TotalSeconds:0.###} s on a {_check.Column} value of {value.Length:N0} characters; the gate cannot decide it"), e);
        }

        if (_memo.Count < _memoCapacity) _memo[value] = ok;
        return ok;
    }

    public override string Offending(RowBatch batch, int row) => $"{_check.Column}={batch.RenderValue(_check.Column, row)}";
}

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
