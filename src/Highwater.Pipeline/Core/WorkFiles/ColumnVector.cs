using Highwater.Parquet.Writing;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// One column of rows held in memory (<see cref="PartitionColumns"/>), specialised by its block encoding
/// (<see cref="BlockEncoding"/>), never by its name: what a block reads into and writes from, what a Parquet writer gathers
/// a row group from, and what moves when a row moves. Every column of a holder has one, so a column added to the schema
/// travels with its rows without code that names it.
/// </summary>
internal abstract class ColumnVector(BlockColumn column)
{
    public BlockColumn Column { get; } = column;

    public string Name => Column.Name;

    /// <summary>The vector for a column of <paramref name="column"/>'s encoding.</summary>
    public static ColumnVector For(BlockColumn column) => column.Kind switch
    {
        BlockEncoding.PlainString => new PlainStringVector(column),
        BlockEncoding.DictionaryString => new StringIdVector(column),
        BlockEncoding.Int64 => new Int64Vector(column),
        BlockEncoding.Timestamp => new TimestampVector(column),
        BlockEncoding.NullableTimestamp => new NullableTimestampVector(column),
        BlockEncoding.NullableInt32 => new NullableInt32Vector(column),
        BlockEncoding.NullableDecimal => new NullableDecimalVector(column),
        _ => throw new ArgumentException($"column {column.Name} has encoding {column.Kind}, which no vector holds"),
    };

    /// <summary>Makes room for <paramref name="capacity"/> rows, keeping the values.</summary>
    public abstract void Ensure(int capacity);

    /// <summary>Reads the block's next wanted column into rows [at, at + n) (null, or the type's default, when the file lacks it).</summary>
    public abstract void Read(ref ColumnBlockReader block, int at, int n, StringPool pool);

    /// <summary>Writes the rows at <paramref name="positions"/> as the block's next column.</summary>
    public abstract void Encode(ColumnBlockWriter block, ReadOnlySpan<int> positions);

    /// <summary>Writes the rows at <paramref name="positions"/> as the Parquet file's next column (<paramref name="spec"/>).</summary>
    public abstract void WriteParquet(ParquetFileWriter writer, ParquetColumnSpec spec, ReadOnlySpan<int> positions);

    /// <summary>Copies row <paramref name="from"/> over row <paramref name="to"/>.</summary>
    public abstract void MoveRow(int from, int to);

    /// <summary>Sets row <paramref name="to"/> (the holder's next row) to row <paramref name="from"/> of a vector of the same encoding.</summary>
    public abstract void AppendFrom(ColumnVector source, int from, int to);

    /// <summary>Whether row <paramref name="i"/> holds the same value as row <paramref name="j"/> of a vector of the same encoding.</summary>
    public abstract bool SameValue(int i, ColumnVector other, int j);

    /// <summary>Rows [at, at + n) as null (the type's default for a non-null encoding).</summary>
    public abstract void SetNull(int at, int n);

    /// <summary>Keeps the first <paramref name="count"/> rows.</summary>
    public virtual void Truncate(int count) { }

    /// <summary>Empties the rows (a vector may keep what makes the next rows cheaper, such as distinct values).</summary>
    public virtual void Clear() { }

    /// <summary>Row <paramref name="i"/>'s value (strings, numbers, timestamps; null), for messages and tests.</summary>
    public abstract object? ValueAt(int i);

    /// <summary>Sets row <paramref name="to"/> (the holder's next row) to a value of this column's type (tests and tools).</summary>
    public abstract void AppendValue(object? value, int to);

    /// <summary>
    /// Sets rows [at, at + rows.Length) to <c>values[rows[k]]</c> of a column read from a Parquet file (an array of this
    /// column's values: strings, or the nullable or plain value type), timestamps made UTC.
    /// </summary>
    public abstract void AppendArray(Array values, ReadOnlySpan<int> rows, int at);

    public override string ToString() => $"{Name} {Column.Kind}";
}

/// <summary>A column of fixed-width values in one array.</summary>
internal abstract class ArrayVector<T>(BlockColumn column) : ColumnVector(column)
{
    public T[] Values = [];
    private T[] _gathered = [];

    public override void Ensure(int capacity)
    {
        if (Values.Length < capacity) Array.Resize(ref Values, Math.Max(capacity, Math.Max(1024, Values.Length * 2)));
    }

    /// <summary>The values at <paramref name="positions"/>, in that order, in a buffer of this vector.</summary>
    protected Span<T> Gather(ReadOnlySpan<int> positions)
    {
        if (_gathered.Length < positions.Length) _gathered = new T[Math.Max(positions.Length, _gathered.Length * 2)];
        var span = _gathered.AsSpan(0, positions.Length);
        var values = Values;
        for (var i = 0; i < positions.Length; i++) span[i] = values[positions[i]];
        return span;
    }

    public override void MoveRow(int from, int to) => Values[to] = Values[from];

    public override void AppendFrom(ColumnVector source, int from, int to) => Values[to] = ((ArrayVector<T>)source).Values[from];

    public override bool SameValue(int i, ColumnVector other, int j) => EqualityComparer<T>.Default.Equals(Values[i], ((ArrayVector<T>)other).Values[j]);

    public override void SetNull(int at, int n) => Values.AsSpan(at, n).Clear();

    public override object? ValueAt(int i) => Values[i];

    public override void AppendValue(object? value, int to) => Values[to] = value is null ? default! : (T)value;

    public override void AppendArray(Array values, ReadOnlySpan<int> rows, int at)
    {
        var source = (T[])values;
        for (var k = 0; k < rows.Length; k++) Values[at + k] = Normalize(source[rows[k]]);
    }

    /// <summary>A value read from a file as this column holds it.</summary>
    protected virtual T Normalize(T value) => value;
}

internal sealed class Int64Vector(BlockColumn column) : ArrayVector<long>(column)
{
    public override void Read(ref ColumnBlockReader block, int at, int n, StringPool pool) => block.Int64s(Values.AsSpan(at, n));
    public override void Encode(ColumnBlockWriter block, ReadOnlySpan<int> positions) => block.Int64s(Gather(positions));
    public override void WriteParquet(ParquetFileWriter writer, ParquetColumnSpec spec, ReadOnlySpan<int> positions) => writer.WriteInt64s(Gather(positions));
}

internal sealed class TimestampVector(BlockColumn column) : ArrayVector<DateTime>(column)
{
    public override void Read(ref ColumnBlockReader block, int at, int n, StringPool pool) => block.DateTimes(Values.AsSpan(at, n));
    public override void Encode(ColumnBlockWriter block, ReadOnlySpan<int> positions) => block.DateTimes(Gather(positions));
    public override void WriteParquet(ParquetFileWriter writer, ParquetColumnSpec spec, ReadOnlySpan<int> positions) => writer.WriteTimestamps(Gather(positions));
    protected override DateTime Normalize(DateTime value) => UtcTimestamp.Normalize(value);
}

/// <summary>Nullable timestamps, and dates (a date is its UTC midnight).</summary>
internal sealed class NullableTimestampVector(BlockColumn column) : ArrayVector<DateTime?>(column)
{
    public override void Read(ref ColumnBlockReader block, int at, int n, StringPool pool) => block.NullableDateTimes(Values.AsSpan(at, n));
    public override void Encode(ColumnBlockWriter block, ReadOnlySpan<int> positions) => block.NullableDateTimes(Gather(positions));

    public override void WriteParquet(ParquetFileWriter writer, ParquetColumnSpec spec, ReadOnlySpan<int> positions)
    {
        if (spec.Kind != ParquetValueKind.Date)
            throw new NotSupportedException($"column {Name}: nullable timestamps are written as dates only, not as {spec.Kind}");
        writer.WriteNullableDates(Gather(positions));
    }

    protected override DateTime? Normalize(DateTime? value) => value is { } t ? UtcTimestamp.Normalize(t) : null;
}

internal sealed class NullableInt32Vector(BlockColumn column) : ArrayVector<int?>(column)
{
    public override void Read(ref ColumnBlockReader block, int at, int n, StringPool pool) => block.NullableInt32s(Values.AsSpan(at, n));
    public override void Encode(ColumnBlockWriter block, ReadOnlySpan<int> positions) => block.NullableInt32s(Gather(positions));
    public override void WriteParquet(ParquetFileWriter writer, ParquetColumnSpec spec, ReadOnlySpan<int> positions) => writer.WriteNullableInt32s(Gather(positions));
}

internal sealed class NullableDecimalVector(BlockColumn column) : ArrayVector<decimal?>(column)
{
    public override void Read(ref ColumnBlockReader block, int at, int n, StringPool pool) => block.NullableDecimals(Values.AsSpan(at, n));
    public override void Encode(ColumnBlockWriter block, ReadOnlySpan<int> positions) => block.NullableDecimals(Gather(positions));
    public override void WriteParquet(ParquetFileWriter writer, ParquetColumnSpec spec, ReadOnlySpan<int> positions) => writer.WriteNullableDecimals(Gather(positions));
}

/// <summary>Mostly unique strings (order_id): the rows' UTF-8 bytes, no string per row.</summary>
internal sealed class PlainStringVector(BlockColumn column) : ColumnVector(column)
{
    public readonly Utf8Column Values = new();

    public override void Ensure(int capacity) => Values.EnsureRows(capacity);
    public override void Read(ref ColumnBlockReader block, int at, int n, StringPool pool) => block.PlainUtf8(n, Values);
    public override void Encode(ColumnBlockWriter block, ReadOnlySpan<int> positions) => block.PlainUtf8(Values, positions);
    public override void WriteParquet(ParquetFileWriter writer, ParquetColumnSpec spec, ReadOnlySpan<int> positions) => writer.WriteUtf8(Values, positions);
    public override void MoveRow(int from, int to) => Values.MoveRow(from, to);

    public override void AppendFrom(ColumnVector source, int from, int to)
    {
        var other = ((PlainStringVector)source).Values;
        if (other.IsNull(from)) Values.AddNull();
        else Values.Add(other[from]);
    }

    public override bool SameValue(int i, ColumnVector other, int j)
    {
        var o = ((PlainStringVector)other).Values;
        return Values.IsNull(i) ? o.IsNull(j) : !o.IsNull(j) && Values[i].SequenceEqual(o[j]);
    }

    /// <summary>Appends <paramref name="n"/> nulls: this column is filled in row order, so rows [at, at + n) are its next ones.</summary>
    public override void SetNull(int at, int n)
    {
        for (var i = 0; i < n; i++) Values.AddNull();
    }

    public override void Truncate(int count) => Values.Truncate(count);
    public override void Clear() => Values.Clear();
    public override object? ValueAt(int i) => Values.StringAt(i);
    public override void AppendValue(object? value, int to) => Values.Add((string?)value);

    public override void AppendArray(Array values, ReadOnlySpan<int> rows, int at)
    {
        var source = (string?[])values;
        foreach (var r in rows) Values.Add(source[r]);
    }
}

/// <summary>
/// Low-cardinality strings: a 32-bit id per row (-1 for null) into the column's distinct values, which a block's
/// dictionary is mapped onto once per block instead of once per row.
/// </summary>
internal sealed class StringIdVector(BlockColumn column) : ArrayVector<int>(column)
{
    /// <summary>The distinct values, in first-seen order: an id is a position in <see cref="DistinctStrings.Entries"/>.</summary>
    public readonly DistinctStrings Distinct = new(maxReferences: 1 << 16);

    /// <summary>The values as UTF-8, by id, for the blocks written from this column.</summary>
    public readonly DistinctUtf8 Utf8 = new();

    private readonly Utf8ValueMap _byBytes = new();
    private int[] _blockIds = [];

    /// <summary>How many distinct values <see cref="Clear"/> keeps; a column with more starts again empty.</summary>
    internal const int RetainedValues = 1 << 17;

    /// <summary>True after a <see cref="Clear"/> that forgot the values (their ids no longer mean what they did).</summary>
    public bool Forgotten { get; private set; }

    public override void Read(ref ColumnBlockReader block, int at, int n, StringPool pool)
    {
        var into = Values.AsSpan(at, n);
        if (!block.TryDictionary(out var count))
        {
            into.Fill(-1);
            return;
        }
        if (_blockIds.Length < count) _blockIds = new int[Math.Max(count, _blockIds.Length * 2)];
        var map = _blockIds.AsSpan(0, count);
        for (var k = 0; k < count; k++) map[k] = _byBytes.IdOf(block.DictionaryValue(), Distinct, pool);
        block.DictionaryRowIds(count, map, into);
    }

    public override void Encode(ColumnBlockWriter block, ReadOnlySpan<int> positions) => block.DictionaryIds(Gather(positions), Distinct.Entries, Utf8);
    public override void WriteParquet(ParquetFileWriter writer, ParquetColumnSpec spec, ReadOnlySpan<int> positions) => writer.WriteStringIds(Gather(positions), Distinct.Entries);

    public override void AppendFrom(ColumnVector source, int from, int to) => Values[to] = IdOf(((StringIdVector)source).StringAt(from));

    public override bool SameValue(int i, ColumnVector other, int j) => string.Equals(StringAt(i), ((StringIdVector)other).StringAt(j), StringComparison.Ordinal);

    public override void SetNull(int at, int n) => Values.AsSpan(at, n).Fill(-1);

    /// <summary>
    /// Keeps the distinct values, with their ids and UTF-8 (up to <see cref="RetainedValues"/>): the next bucket or
    /// partition meets mostly the same values. Nothing depends on which values a column holds beyond its rows' (a file's
    /// or block's dictionary is the values its rows use, in first-use order), so the rows written are the same either way.
    /// </summary>
    public override void Clear()
    {
        Forgotten = false;
        if (Distinct.Entries.Count <= RetainedValues) return;
        Distinct.Clear();
        _byBytes.Clear();
        Utf8.Clear();
        Forgotten = true;
    }

    public string? StringAt(int i) => Values[i] < 0 ? null : Distinct.Entries[Values[i]];

    /// <summary>The id of <paramref name="value"/> (added when new), -1 for null.</summary>
    public int IdOf(string? value)
    {
        if (value is null) return -1;
        Distinct.Add(value, out var id);
        return id;
    }

    /// <summary>Sets the ids of rows [at, at + values.Length) from strings.</summary>
    public void SetStrings(int at, ReadOnlySpan<string?> values) => Distinct.AddRange(values, Values.AsSpan(at, values.Length));

    public override object? ValueAt(int i) => StringAt(i);
    public override void AppendValue(object? value, int to) => Values[to] = IdOf((string?)value);

    public override void AppendArray(Array values, ReadOnlySpan<int> rows, int at)
    {
        var source = (string?[])values;
        for (var k = 0; k < rows.Length; k++) Values[at + k] = IdOf(source[rows[k]]);
    }
}
