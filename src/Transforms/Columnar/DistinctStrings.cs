namespace Highwater.Columnar;

/// <summary>
/// The distinct strings of a column in first-seen order, each with its id (its position in <see cref="Entries"/>).
/// Strings decoded through a pool repeat as the same instance, so a lookup by reference comes first and hashes no
/// characters; the ordinal lookup runs only on a miss. Used for the dictionaries of Parquet pages and spool blocks.
/// </summary>
internal sealed class DistinctStrings(int maxReferences)
{
    private readonly Dictionary<string, int> _byReference = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, int> _byValue = new(StringComparer.Ordinal);

    public List<string> Entries { get; } = [];

    public void Clear()
    {
        _byReference.Clear();
        _byValue.Clear();
        Entries.Clear();
    }

    /// <summary>The value's id; true when it was new.</summary>
    public bool Add(string value, out int id)
    {
        if (_byReference.TryGetValue(value, out id)) return false;
        var isNew = false;
        if (!_byValue.TryGetValue(value, out id))
        {
            id = Entries.Count;
            Entries.Add(value);
            _byValue[value] = id;
            isNew = true;
        }
        // Bounded: a column of unpooled strings must not grow a map of every row's instance.
        if (_byReference.Count < maxReferences) _byReference[value] = id;
        return isNew;
    }
}
