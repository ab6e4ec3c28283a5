using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;

namespace Highwater.Pipeline.QualityGate;

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
