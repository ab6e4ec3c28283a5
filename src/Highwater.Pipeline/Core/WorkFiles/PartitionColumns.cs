using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// sales_mart rows held as columns while Transform works on them: a bucket's candidates, a partition being rebuilt, the
/// rows a held file gives back. One <see cref="ColumnVector"/> per column of its <see cref="Columns"/>, specialised by
/// encoding, so blocks decode straight into them and Parquet and block files are written from them, and a row never
/// becomes an object on the way. The columns a rule reads (the order winner rule, the partition order, the user join)
/// are found by name once, here; every other column only travels with its row (derivations and aggregates find theirs
/// by name in <see cref="Vector"/>).
/// Reusable: <see cref="Clear"/> empties it and keeps the arrays and the string columns' distinct values.
/// </summary>
internal sealed class PartitionColumns
{
    private readonly ColumnVector[] _vectors;
    private readonly PlainStringVector _orderId;
    private readonly Int64Vector _userId;
    private readonly TimestampVector _eventTs, _arrivalTs;
    private readonly NullableTimestampVector _signupDate;
    private readonly StringIdVector _country, _segment, _sourceKey;
    private readonly int[] _stagedVectors; // the vectors a staging block fills, in Staged's order (source_line aside)
    private readonly int[] _joinedVectors; // the others: the user join's and the derived columns, left null for them
    private long[] _lines = [];
    private BlockPlan? _ownBlocks;

    public PartitionColumns() : this(DatasetColumns.ShippedMart) { }

    /// <param name="dataset">The mart's columns, as its contract declares them.</param>
    /// <param name="staged">
    /// The columns of <see cref="AppendStagingBlock"/>'s blocks (from <see cref="StagedOf"/>; this build's staging columns when null).
    /// </param>
    /// <exception cref="ArgumentException">The mart lacks a column a rule reads, or holds it with another encoding (naming it).</exception>
    public PartitionColumns(DatasetColumns dataset, BlockColumns? staged = null)
    {
        Dataset = dataset;
        var columns = Columns = dataset.Blocks;
        _vectors = [.. columns.Columns.Select(ColumnVector.For)];
        _orderId = Rule<PlainStringVector>(Schemas.SalesMart.OrderId.Name);
        _userId = Rule<Int64Vector>(Schemas.SalesMart.UserId.Name);
        _eventTs = Rule<TimestampVector>(Schemas.SalesMart.EventTs.Name);
        _arrivalTs = Rule<TimestampVector>(Schemas.SalesMart.ArrivalTs.Name);
        _country = Rule<StringIdVector>(Schemas.SalesMart.Country.Name);
        _segment = Rule<StringIdVector>(Schemas.SalesMart.Segment.Name);
        _signupDate = Rule<NullableTimestampVector>(Schemas.SalesMart.SignupDate.Name);
        _sourceKey = Rule<StringIdVector>(Schemas.SalesMart.SourceKey.Name);
        Staged = staged ?? StagedOf(columns, BlockColumns.Events);
        _stagedVectors = [.. Staged.Columns.Where(c => c.Name != SourceLine).Select(c => columns.IndexOf(c.Name))];
        _joinedVectors = [.. Enumerable.Range(0, _vectors.Length).Except(_stagedVectors)];
    }

    /// <summary>
    /// The columns a staging spool of <paramref name="spool"/>'s columns gives rows of <paramref name="mart"/>'s columns:
    /// the mart's columns the spool holds, in the mart's order, then source_line. Make it once per spool and share it.
    /// </summary>
    public static BlockColumns StagedOf(BlockColumns mart, BlockColumns spool) =>
        new([.. mart.Columns.Where(c => spool.IndexOf(c.Name) >= 0), new BlockColumn(SourceLine, BlockEncoding.Int64)]);

    /// <summary>The staging column of each row's input line (<see cref="AppendStagingBlock"/> gives it back; the mart does not hold it).</summary>
    public const string SourceLine = "source_line";

    private T Rule<T>(string name) where T : ColumnVector =>
        Columns.IndexOf(name) is var i and >= 0 && _vectors[i] is T vector ? vector
            : throw new ArgumentException($"the mart's columns have no {name} of the encoding a rule reads ({typeof(T).Name}): {Columns}");

    /// <summary>The mart's columns, as its contract declares them.</summary>
    public DatasetColumns Dataset { get; }

    /// <summary>The columns' encodings, in their order.</summary>
    public BlockColumns Columns { get; }

    /// <summary>The columns read from a staging block: the mart's columns the staging spool holds, then source_line.</summary>
    public BlockColumns Staged { get; }

    public IReadOnlyList<ColumnVector> Vectors => _vectors;

    public int Count { get; private set; }

    public Utf8Column OrderId => _orderId.Values;

    /// <summary>The order_id column's name and encoding (what the order index is keyed on).</summary>
    public BlockColumn OrderIdColumn => Columns.Columns[Columns.IndexOf(Schemas.SalesMart.OrderId.Name)];
    public long[] UserId => _userId.Values;
    public DateTime[] EventTs => _eventTs.Values;
    public DateTime[] ArrivalTs => _arrivalTs.Values;
    public DateTime?[] SignupDate => _signupDate.Values;
    public int[] SourceKey => _sourceKey.Values;
    public DistinctStrings SourceKeyValues => _sourceKey.Distinct;

    /// <summary>The source key (input file) of row <paramref name="i"/>.</summary>
    public string SourceKeyAt(int i) => _sourceKey.StringAt(i)!;

    /// <summary>The column named <paramref name="name"/>, or null.</summary>
    public ColumnVector? Vector(string name) => Columns.IndexOf(name) is var i and >= 0 ? _vectors[i] : null;

    /// <summary>Empties the rows; the string columns keep their distinct values (see <see cref="StringIdVector.Clear"/>).</summary>
    public void Clear()
    {
        Count = 0;
        foreach (var v in _vectors) v.Clear();
        // The user codes' ids are ids of the country and segment values: valid while those are kept.
        if (_country.Forgotten || _segment.Forgotten) _codeIdsValid = false;
    }

    /// <summary>Appends the rows of a block of the mart's columns, read as <paramref name="plan"/> says (this build's own blocks when null).</summary>
    /// <exception cref="InvalidDataException">The block is cut short or an id points outside its dictionary.</exception>
    public void AppendBlock(ReadOnlySpan<byte> bytes, StringPool pool, BlockPlan? plan = null)
    {
        plan ??= _ownBlocks ??= BlockPlan.Same(Columns);
        if (!plan.Wanted.Equals(Columns)) throw new ArgumentException($"the plan reads [{plan.Wanted}] into columns [{Columns}]", nameof(plan));
        var block = new ColumnBlockReader(bytes, pool, plan);
        var n = block.Rows;
        Ensure(Count + n);
        foreach (var v in _vectors) v.Read(ref block, Count, n, pool);
        Count += n;
    }

    /// <summary>
    /// Appends the rows of a staging block read as <paramref name="plan"/> says (its wanted columns <see cref="Staged"/>):
    /// the mart's columns that come from users or are derived are left null for the join. Returns the rows' source
    /// lines, valid until the next call.
    /// </summary>
    /// <exception cref="InvalidDataException">The block is cut short or an id points outside its dictionary.</exception>
    public ReadOnlySpan<long> AppendStagingBlock(ReadOnlySpan<byte> bytes, StringPool pool, BlockPlan plan)
    {
        if (!plan.Wanted.Equals(Staged)) throw new ArgumentException($"the plan reads [{plan.Wanted}] as staged columns [{Staged}]", nameof(plan));
        var block = new ColumnBlockReader(bytes, pool, plan);
        var n = block.Rows;
        Ensure(Count + n);
        foreach (var v in _stagedVectors) _vectors[v].Read(ref block, Count, n, pool);
        if (_lines.Length < n) _lines = new long[n];
        block.Int64s(_lines.AsSpan(0, n));
        foreach (var v in _joinedVectors) _vectors[v].SetNull(Count, n);
        Count += n;
        return _lines.AsSpan(0, n);
    }

    /// <summary>Writes the rows at <paramref name="positions"/> as one block of <see cref="Columns"/>.</summary>
    public void Encode(ColumnBlockWriter block, ReadOnlySpan<int> positions)
    {
        block.Begin(positions.Length);
        foreach (var v in _vectors) v.Encode(block, positions);
    }

    /// <summary>
    /// Sets the country and segment of rows [from, from + n) from codes into <paramref name="codes"/> (a packed user
    /// dimension's strings, 0 for null): each code is mapped to its column id once, then by an array read per row.
    /// The same ids as <see cref="SetUserStrings"/> with the codes' strings.
    /// </summary>
    public void SetUserCodes(int from, ReadOnlySpan<int> country, ReadOnlySpan<int> segment, string?[] codes)
    {
        if (!ReferenceEquals(codes, _codes) || _countryIdOfCode.Length < codes.Length)
        {
            _codes = codes;
            _countryIdOfCode = new int[codes.Length];
            _segmentIdOfCode = new int[codes.Length];
            _codeIdsValid = false;
        }
        if (!_codeIdsValid)
        {
            Array.Fill(_countryIdOfCode, Unmapped);
            Array.Fill(_segmentIdOfCode, Unmapped);
            _codeIdsValid = true;
        }
        MapCodes(country, _country.Values.AsSpan(from, country.Length), _countryIdOfCode, _country, codes);
        MapCodes(segment, _segment.Values.AsSpan(from, segment.Length), _segmentIdOfCode, _segment, codes);
    }

    private const int Unmapped = -2;
    private string?[]? _codes;
    private int[] _countryIdOfCode = [], _segmentIdOfCode = [];
    private bool _codeIdsValid;

    private static void MapCodes(ReadOnlySpan<int> codes, Span<int> ids, int[] idOfCode, StringIdVector column, string?[] strings)
    {
        for (var i = 0; i < codes.Length; i++)
        {
            var id = idOfCode[codes[i]];
            if (id == Unmapped)
            {
                id = column.IdOf(strings[codes[i]]);
                idOfCode[codes[i]] = id;
            }
            ids[i] = id;
        }
    }

    /// <summary>Sets the country and segment of rows [from, from + n) to the given strings (the join's user columns).</summary>
    public void SetUserStrings(int from, ReadOnlySpan<string?> country, ReadOnlySpan<string?> segment)
    {
        _country.SetStrings(from, country);
        _segment.SetStrings(from, segment);
    }

    /// <summary>Copies row <paramref name="from"/> over row <paramref name="to"/> (every column; order_id's bytes are not moved).</summary>
    public void MoveRow(int from, int to)
    {
        foreach (var v in _vectors) v.MoveRow(from, to);
    }

    /// <summary>Keeps the first <paramref name="count"/> rows.</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)Count, nameof(count));
        Count = count;
        foreach (var v in _vectors) v.Truncate(count);
    }

    /// <summary>Keeps the rows <paramref name="keep"/> accepts, in their order.</summary>
    public void KeepWhere(Func<int, bool> keep, int from = 0)
    {
        var kept = from;
        for (var i = from; i < Count; i++)
        {
            if (!keep(i)) continue;
            if (kept != i) MoveRow(i, kept);
            kept++;
        }
        Truncate(kept);
    }

    /// <summary>Appends row <paramref name="i"/> of <paramref name="other"/>, which holds the same columns.</summary>
    public void AppendRow(PartitionColumns other, int i)
    {
        if (!ReferenceEquals(other.Columns, Columns) && !other.Columns.Equals(Columns))
            throw new ArgumentException($"rows of columns [{other.Columns}] appended to columns [{Columns}]", nameof(other));
        Ensure(Count + 1);
        for (var v = 0; v < _vectors.Length; v++) _vectors[v].AppendFrom(other._vectors[v], i, Count);
        Count++;
    }

    /// <summary>Whether row <paramref name="i"/> holds the same values as row <paramref name="j"/> of <paramref name="other"/> (same columns).</summary>
    public bool RowEquals(int i, PartitionColumns other, int j)
    {
        for (var v = 0; v < _vectors.Length; v++)
            if (!_vectors[v].SameValue(i, other._vectors[v], j)) return false;
        return true;
    }

    /// <summary>Appends one row given as values by column name (tests and tools); a column not given is null.</summary>
    public void AppendValues(IReadOnlyDictionary<string, object?> values)
    {
        Ensure(Count + 1);
        foreach (var v in _vectors) v.AppendValue(values.GetValueOrDefault(v.Name), Count);
        Count++;
    }

    /// <summary>Row <paramref name="i"/>'s values by column name (tests and messages; the write path never builds one).</summary>
    public Dictionary<string, object?> ValuesAt(int i)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)i, (uint)Count, nameof(i));
        return _vectors.ToDictionary(v => v.Name, v => v.ValueAt(i), StringComparer.Ordinal);
    }

    /// <summary>Makes room for <paramref name="n"/> rows (a plain string column's bytes grow as they are appended).</summary>
    public void Ensure(int n)
    {
        foreach (var v in _vectors) v.Ensure(n);
    }

    /// <summary>Appends <paramref name="n"/> rows whose values the caller sets in every column (see <see cref="ColumnVector"/>).</summary>
    internal int Grow(int n)
    {
        Ensure(Count + n);
        var at = Count;
        Count += n;
        return at;
    }
}
