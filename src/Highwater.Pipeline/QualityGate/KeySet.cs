namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// A set of normalised values (see <see cref="ContractValues.Normalize"/>) with the equality of
/// <c>HashSet&lt;object&gt;</c> over them, kept in typed sets so that typed columns add and look up without boxing:
/// integral decimals (every int and long value) as long, other decimals as decimal, DateTimes as ticks, strings as
/// strings (in a <see cref="StringKeyTable"/>, which keeps no string objects alive), anything else boxed. The parts
/// are disjoint, so <see cref="Count"/> is what the boxed set would count. Integer lookups, once the set is filled,
/// go to a bitmap over [min, max] when the integers are dense enough (ids of a dimension), else to the hash set.
/// </summary>
internal sealed class KeySet
{
    private readonly HashSet<long> _integers = [];
    private readonly HashSet<decimal> _decimals = [];
    private readonly HashSet<long> _ticks = [];
    private readonly StringKeyTable _strings = new();
    private readonly HashSet<object> _others = [];

    /// <summary>Bits of the integers over [<see cref="_denseMin"/>, …], built at the first lookup after an add; null when stale or too sparse.</summary>
    private ulong[]? _dense;
    private long _denseMin;
    private bool _denseChecked;

    /// <summary>At most this many bitmap bits per integer (16 bytes per key, less than the hash set's entry).</summary>
    internal const int MaxDenseBitsPerKey = 128;

    public int Count => _integers.Count + _decimals.Count + _ticks.Count + _strings.Count + _others.Count;

    /// <summary>Makes room for <paramref name="count"/> values of a column kind, so a large set is not rehashed as it grows.</summary>
    public void EnsureCapacity(CellKind kind, int count)
    {
        switch (kind)
        {
            case CellKind.Long: _integers.EnsureCapacity(count); break;
            case CellKind.Time: _ticks.EnsureCapacity(count); break;
            case CellKind.String: _strings.EnsureCapacity(count); break;
        }
    }

    public bool AddLong(long value)
    {
        if (!_integers.Add(value)) return false;
        if (_denseChecked) (_dense, _denseChecked) = (null, false);
        return true;
    }

    public bool ContainsLong(long value)
    {
        if (!_denseChecked) BuildDense();
        if (_dense is not { } bits) return _integers.Contains(value);
        ulong offset = unchecked((ulong)(value - _denseMin));
        // A value below the minimum wraps to a huge offset; the subtraction cannot wrap back into range, as the range fits the bitmap.
        return value >= _denseMin && offset < (ulong)bits.Length * 64 && (bits[offset >> 6] & (1UL << (int)(offset & 63))) != 0;
    }

    /// <summary>Whether integer lookups use the bitmap (for tests).</summary>
    internal bool UsesDenseIntegers
    {
        get
        {
            if (!_denseChecked) BuildDense();
            return _dense is not null;
        }
    }

    private void BuildDense()
    {
        _denseChecked = true;
        _dense = null;
        if (_integers.Count == 0) return;
        long min = long.MaxValue, max = long.MinValue;
        foreach (var v in _integers)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }

        // Range as unsigned: max - min can exceed long.MaxValue.
        ulong range = unchecked((ulong)(max - min));
        if (range / MaxDenseBitsPerKey >= (ulong)_integers.Count || (range >> 6) >= (ulong)Array.MaxLength) return;
        var bits = new ulong[(int)(range >> 6) + 1];
        foreach (var v in _integers)
        {
            ulong offset = unchecked((ulong)(v - min));
            bits[offset >> 6] |= 1UL << (int)(offset & 63);
        }

        (_dense, _denseMin) = (bits, min);
    }

    public bool AddDecimal(decimal value) => TryInteger(value, out long l) ? AddLong(l) : _decimals.Add(value);

    public bool ContainsDecimal(decimal value) => TryInteger(value, out long l) ? ContainsLong(l) : _decimals.Contains(value);

    public bool AddTicks(long ticks) => _ticks.Add(ticks);

    public bool ContainsTicks(long ticks) => _ticks.Contains(ticks);

    public bool AddString(string value) => _strings.Add(value);

    public bool ContainsString(string value) => _strings.Contains(value);

    /// <summary>Adds the non-null strings of the active rows; appends the rows whose value was there already, ascending.</summary>
    public void AddStrings(string?[] values, bool[]? keep, List<int> duplicates) => _strings.AddAll(values, keep, duplicates);

    /// <summary>The same for a column read as slices of characters.</summary>
    public void AddStrings(StringSlices values, bool[]? keep, List<int> duplicates) => _strings.AddAll(values, keep, duplicates);

    /// <summary>Empties the set and keeps its string table's arrays (a scope's successor reuses them).</summary>
    public void Clear()
    {
        _integers.Clear();
        _decimals.Clear();
        _ticks.Clear();
        _strings.Clear();
        _others.Clear();
        (_dense, _denseChecked) = (null, false);
    }

    /// <summary>Adds a normalised non-null value.</summary>
    public bool Add(object value) => value switch
    {
        decimal d => AddDecimal(d),
        DateTime t => AddTicks(t.Ticks),
        string s => AddString(s),
        _ => _others.Add(value),
    };

    /// <summary>Whether a normalised non-null value is in the set.</summary>
    public bool Contains(object value) => value switch
    {
        decimal d => ContainsDecimal(d),
        DateTime t => ContainsTicks(t.Ticks),
        string s => ContainsString(s),
        _ => _others.Contains(value),
    };

    /// <summary>Adds row <paramref name="row"/> of a typed column; false when it was there already. The value must not be null.</summary>
    public bool Add(TypedColumn column, int row) => column.Kind switch
    {
        CellKind.Long => AddLong(column.Longs[row]),
        CellKind.Decimal => AddDecimal(column.Decimals[row]),
        CellKind.Time => AddTicks(column.Longs[row]),
        CellKind.String when column.Slices is { } slices => _strings.Add(slices[row]),
        CellKind.String => AddString(column.Strings[row]!),
        _ => Add(column.Value(row)!),
    };

    /// <summary>Adds every non-null value of a typed column.</summary>
    public void AddAll(TypedColumn column)
    {
        var nulls = column.Nulls;
        if (Count == 0) EnsureCapacity(column.Kind, column.Length);
        switch (column.Kind)
        {
            case CellKind.Long:
                for (int r = 0; r < column.Length; r++)
                    if (nulls is null || !nulls[r]) AddLong(column.Longs[r]);
                break;
            case CellKind.Decimal:
                for (int r = 0; r < column.Length; r++)
                    if (nulls is null || !nulls[r]) AddDecimal(column.Decimals[r]);
                break;
            case CellKind.Time:
                for (int r = 0; r < column.Length; r++)
                    if (nulls is null || !nulls[r]) _ticks.Add(column.Longs[r]);
                break;
            case CellKind.String when column.Slices is { } slices:
                for (int r = 0; r < slices.Rows; r++)
                    if (!slices.IsNull(r)) _strings.Add(slices[r]);
                break;
            case CellKind.String:
                foreach (var s in column.Strings)
                    if (s is not null) _strings.Add(s);
                break;
            default:
                for (int r = 0; r < column.Length; r++)
                    if (column.Value(r) is { } v) Add(v);
                break;
        }
    }

    private static bool TryInteger(decimal value, out long result)
    {
        if (value >= long.MinValue && value <= long.MaxValue && decimal.Truncate(value) == value)
        {
            result = (long)value;
            return true;
        }

        result = 0;
        return false;
    }
}
