using System.Runtime.CompilerServices;

namespace Highwater.Parquet.Writing;

/// <summary>
/// The distinct strings of a column in first-seen order, each with its id (its position in <see cref="Entries"/>).
/// Strings decoded through a pool repeat as the same instance, so a lookup by reference comes first and hashes no
/// characters; the ordinal lookup runs only on a miss. Used for the dictionaries of Parquet pages and spool blocks.
/// <para>
/// The reference lookup is where a dictionary column spends its time (every row of currency, sku, channel, country,
/// segment and source key, twice per Transform), so it has two fast paths of its own: the previous value (rows of one
/// source file or one user come in runs), and while there are at most <see cref="FewEntries"/> entries (currency,
/// channel, segment, country) a scan of the entries by reference; then an open-addressing table keyed by the object's identity
/// hash. <see cref="Dictionary{TKey,TValue}"/> with <see cref="ReferenceEqualityComparer"/> paid an interface call per
/// probe, on the hot path of every string row written.
/// </para>
/// </summary>
internal sealed class DistinctStrings(int maxReferences)
{
    private const int FewEntries = 16;

    private readonly Dictionary<string, int> _byValue = new(StringComparer.Ordinal);
    // Open addressing, linear probing; a power-of-two length kept at most half full. Grown on demand, so a writer
    // whose columns have few values never holds a large table.
    private string?[] _references = new string?[16];
    private int[] _referenceIds = new int[16];
    private int _referenceCount;
    private string? _last;
    private int _lastId;

    public List<string> Entries { get; } = [];

    public void Clear()
    {
        if (_referenceCount > 0) Array.Clear(_references);
        _referenceCount = 0;
        _byValue.Clear();
        Entries.Clear();
        _last = null;
    }

    /// <summary>
    /// The ids of a run of values (-1 for null) into <paramref name="ids"/>: as <see cref="Add"/> value by value, in one
    /// call per column, with the previous value and the fast lookups inlined in the loop (a call per value, with its
    /// prologue and epilogue, was a fifth of the time spent here).
    /// </summary>
    public void AddRange(ReadOnlySpan<string?> values, Span<int> ids)
    {
        if (ids.Length < values.Length) throw new ArgumentException($"{ids.Length} ids for {values.Length} values", nameof(ids));
        var (last, lastId) = (_last, _lastId);
        for (var i = 0; i < values.Length; i++)
        {
            var value = values[i];
            if (value is null)
            {
                ids[i] = -1;
                continue;
            }
            if (!ReferenceEquals(value, last))
            {
                if (!TryFind(value, out lastId)) lastId = AddMiss(value);
                last = value;
            }
            ids[i] = lastId;
        }
        (_last, _lastId) = (last, lastId);
    }

    /// <summary>The value's id; true when it was new.</summary>
    public bool Add(string value, out int id)
    {
        var before = Entries.Count;
        Span<int> one = stackalloc int[1];
        AddRange(new ReadOnlySpan<string?>(ref value!), one);
        id = one[0];
        return Entries.Count > before;
    }

    /// <summary>The id of an instance seen before: among the first entries by a scan, then in the reference table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryFind(string value, out int id)
    {
        var count = Entries.Count;
        if (count <= FewEntries)
        {
            var few = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Entries);
            for (var i = 0; i < few.Length; i++)
                if (ReferenceEquals(few[i], value))
                {
                    id = i;
                    return true;
                }
            id = -1;
            return false;
        }
        return FindReference(value, out id);
    }

    /// <summary>A value whose instance was not found: found by value, or added; its instance is remembered either way.</summary>
    private int AddMiss(string value)
    {
        if (!_byValue.TryGetValue(value, out var id))
        {
            id = Entries.Count;
            Entries.Add(value);
            _byValue[value] = id;
        }
        // Bounded: a column of unpooled strings must not grow a map of every row's instance.
        if (_referenceCount < maxReferences) AddReference(value, id);
        return id;
    }

    private bool FindReference(string value, out int id)
    {
        var mask = _references.Length - 1;
        for (var slot = RuntimeHelpers.GetHashCode(value) & mask; ; slot = (slot + 1) & mask)
        {
            var r = _references[slot];
            if (r is null) break;
            if (ReferenceEquals(r, value))
            {
                id = _referenceIds[slot];
                return true;
            }
        }
        id = -1;
        return false;
    }

    private void AddReference(string value, int id)
    {
        if ((_referenceCount + 1) * 2 > _references.Length) Grow();
        var mask = _references.Length - 1;
        var slot = RuntimeHelpers.GetHashCode(value) & mask;
        while (_references[slot] is { } r)
        {
            if (ReferenceEquals(r, value)) return;
            slot = (slot + 1) & mask;
        }
        _references[slot] = value;
        _referenceIds[slot] = id;
        _referenceCount++;
    }

    private void Grow()
    {
        var (references, ids) = (_references, _referenceIds);
        _references = new string?[references.Length * 2];
        _referenceIds = new int[references.Length * 2];
        var mask = _references.Length - 1;
        for (var i = 0; i < references.Length; i++)
        {
            if (references[i] is not { } r) continue;
            var slot = RuntimeHelpers.GetHashCode(r) & mask;
            while (_references[slot] is not null) slot = (slot + 1) & mask;
            _references[slot] = r;
            _referenceIds[slot] = ids[i];
        }
    }
}
