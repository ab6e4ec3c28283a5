using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

/// <summary>How a <see cref="TypedColumn"/> holds its values (see <see cref="ContractValues.Normalize"/>).</summary>
internal enum CellKind
{
    /// <summary>int and long columns (normalised to decimal, so compared and matched by value): <see cref="TypedColumn.Longs"/>.</summary>
    Long,

    /// <summary>decimal columns: <see cref="TypedColumn.Decimals"/>.</summary>
    Decimal,

    /// <summary>Timestamps and dates (DateTime, DateOnly) as ticks: <see cref="TypedColumn.Longs"/>; compared and matched by ticks like DateTime.</summary>
    Time,

    /// <summary>string columns: <see cref="TypedColumn.Strings"/> (null is null).</summary>
    String,

    /// <summary>Anything else: checks use the generic path on <see cref="TypedColumn.Value"/>, exactly as before.</summary>
    Other,
}

/// <summary>
/// One column of a row group in a form checks can scan without boxing: values in a primitive array plus a null mask
/// (null when the column has no nulls). Required long and decimal columns are used as read, without a copy.
/// </summary>
internal sealed class TypedColumn
{
    private TypedColumn(CellKind kind, int length)
    {
        Kind = kind;
        Length = length;
    }

    public CellKind Kind { get; }

    public int Length { get; }

    /// <summary>Values of <see cref="CellKind.Long"/> columns, ticks of <see cref="CellKind.Time"/> columns.</summary>
    public long[] Longs { get; private init; } = [];

    public decimal[] Decimals { get; private init; } = [];

    /// <summary>A String column's values; for a column read as <see cref="Slices"/>, made from them on first use.</summary>
    public string?[] Strings
    {
        get => _strings ?? Slices?.Strings ?? [];
        private init => _strings = value;
    }

    private readonly string?[]? _strings;

    /// <summary>A String column read as slices of characters (null otherwise): not_null and unique read these, not <see cref="Strings"/>.</summary>
    public StringSlices? Slices { get; private init; }

    /// <summary>True where the value is null; null when no value is (Long, Decimal, Time).</summary>
    public bool[]? Nulls { get; private init; }

    /// <summary>The raw array of an <see cref="CellKind.Other"/> column.</summary>
    public Array? Raw { get; private init; }

    /// <summary>Whether row <paramref name="row"/> is null.</summary>
    public bool IsNull(int row) => Kind switch
    {
        CellKind.String => Slices is { } slices ? slices.IsNull(row) : Strings[row] is null,
        CellKind.Other => Raw!.GetValue(row) is null,
        _ => Nulls is { } n && n[row],
    };

    /// <summary>The normalised value of a row, boxed: the generic path, for Other columns and unusual bounds.</summary>
    public object? Value(int row)
    {
        switch (Kind)
        {
            case CellKind.String: return Strings[row];
            case CellKind.Other: return ContractValues.Normalize(Raw!.GetValue(row));
        }

        if (Nulls is { } n && n[row]) return null;
        return Kind switch
        {
            CellKind.Long => (decimal)Longs[row],
            CellKind.Decimal => Decimals[row],
            _ => new DateTime(Longs[row], DateTimeKind.Utc),
        };
    }

    /// <summary>The arrays this column made (copies and null masks, not the array it was made from).</summary>
    private bool OwnsLongs { get; init; }

    private bool OwnsDecimals { get; init; }

    /// <summary>Gives the arrays this column made back to the pool; the column must not be used afterwards.</summary>
    public void ReturnTo(ColumnBufferPool pool)
    {
        if (OwnsLongs) pool.Return(Longs);
        if (OwnsDecimals) pool.Return(Decimals);
        pool.Return(Nulls);
    }

    /// <summary>A partition column: the same date on every row.</summary>
    public static TypedColumn Constant(DateTime value, int rows, ColumnBufferPool? pool = null)
    {
        var ticks = pool?.Rent<long>(rows) ?? new long[rows];
        Array.Fill(ticks, value.Ticks);
        return new TypedColumn(CellKind.Time, rows) { Longs = ticks, OwnsLongs = true };
    }

    /// <summary>A string column read as slices (the batch releases them).</summary>
    public static TypedColumn From(StringSlices slices) => new(CellKind.String, slices.Rows) { Slices = slices };

    /// <summary>The typed form of a column array; copies and null masks come from <paramref name="pool"/> when given.</summary>
    public static TypedColumn From(Array array, ColumnBufferPool? pool = null)
    {
        int n = array.Length;
        switch (array)
        {
            case string?[] s:
                return new TypedColumn(CellKind.String, n) { Strings = s };
            case long[] l:
                return new TypedColumn(CellKind.Long, n) { Longs = l };
            case long?[] l:
            {
                var (values, nulls) = Split(l, pool);
                return new TypedColumn(CellKind.Long, n) { Longs = values, Nulls = nulls, OwnsLongs = true };
            }
            case int[] i:
            {
                var values = RentLongs(n, pool);
                for (int r = 0; r < n; r++) values[r] = i[r];
                return new TypedColumn(CellKind.Long, n) { Longs = values, OwnsLongs = true };
            }
            case int?[] i:
            {
                var values = RentLongs(n, pool);
                bool[]? nulls = null;
                for (int r = 0; r < n; r++)
                {
                    if (i[r] is { } v) values[r] = v;
                    else
                    {
                        values[r] = 0;
                        (nulls ??= Mask(n, pool))[r] = true;
                    }
                }

                return new TypedColumn(CellKind.Long, n) { Longs = values, Nulls = nulls, OwnsLongs = true };
            }
            case decimal[] d:
                return new TypedColumn(CellKind.Decimal, n) { Decimals = d };
            case decimal?[] d:
            {
                var (values, nulls) = Split(d, pool);
                return new TypedColumn(CellKind.Decimal, n) { Decimals = values, Nulls = nulls, OwnsDecimals = true };
            }
            case DateTime[] t:
            {
                var ticks = RentLongs(n, pool);
                for (int r = 0; r < n; r++) ticks[r] = t[r].Ticks;
                return new TypedColumn(CellKind.Time, n) { Longs = ticks, OwnsLongs = true };
            }
            case DateTime?[] t:
            {
                var ticks = RentLongs(n, pool);
                bool[]? nulls = null;
                for (int r = 0; r < n; r++)
                {
                    if (t[r] is { } v) ticks[r] = v.Ticks;
                    else
                    {
                        ticks[r] = 0;
                        (nulls ??= Mask(n, pool))[r] = true;
                    }
                }

                return new TypedColumn(CellKind.Time, n) { Longs = ticks, Nulls = nulls, OwnsLongs = true };
            }
            case DateOnly[] d:
            {
                var ticks = RentLongs(n, pool);
                for (int r = 0; r < n; r++) ticks[r] = d[r].DayNumber * TimeSpan.TicksPerDay;
                return new TypedColumn(CellKind.Time, n) { Longs = ticks, OwnsLongs = true };
            }
            case DateOnly?[] d:
            {
                var ticks = RentLongs(n, pool);
                bool[]? nulls = null;
                for (int r = 0; r < n; r++)
                {
                    if (d[r] is { } v) ticks[r] = v.DayNumber * TimeSpan.TicksPerDay;
                    else
                    {
                        ticks[r] = 0;
                        (nulls ??= Mask(n, pool))[r] = true;
                    }
                }

                return new TypedColumn(CellKind.Time, n) { Longs = ticks, Nulls = nulls, OwnsLongs = true };
            }
            default:
                return new TypedColumn(CellKind.Other, n) { Raw = array };
        }
    }

    private static long[] RentLongs(int n, ColumnBufferPool? pool) => pool?.Rent<long>(n) ?? new long[n];

    private static bool[] Mask(int n, ColumnBufferPool? pool) => pool?.RentCleared<bool>(n) ?? new bool[n];

    private static (T[] Values, bool[]? Nulls) Split<T>(T?[] source, ColumnBufferPool? pool) where T : struct
    {
        var values = pool?.Rent<T>(source.Length) ?? new T[source.Length];
        bool[]? nulls = null;
        for (int r = 0; r < source.Length; r++)
        {
            if (source[r] is { } v) values[r] = v;
            else
            {
                values[r] = default;
                (nulls ??= Mask(source.Length, pool))[r] = true;
            }
        }

        return (values, nulls);
    }
}
