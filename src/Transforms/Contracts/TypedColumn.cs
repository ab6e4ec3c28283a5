namespace Highwater.Contracts;

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

    public string?[] Strings { get; private init; } = [];

    /// <summary>True where the value is null; null when no value is (Long, Decimal, Time).</summary>
    public bool[]? Nulls { get; private init; }

    /// <summary>The raw array of an <see cref="CellKind.Other"/> column.</summary>
    public Array? Raw { get; private init; }

    /// <summary>Whether row <paramref name="row"/> is null.</summary>
    public bool IsNull(int row) => Kind switch
    {
        CellKind.String => Strings[row] is null,
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

    /// <summary>A partition column: the same date on every row.</summary>
    public static TypedColumn Constant(DateTime value, int rows)
    {
        var ticks = new long[rows];
        Array.Fill(ticks, value.Ticks);
        return new TypedColumn(CellKind.Time, rows) { Longs = ticks };
    }

    public static TypedColumn From(Array array)
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
                var (values, nulls) = Split(l);
                return new TypedColumn(CellKind.Long, n) { Longs = values, Nulls = nulls };
            }
            case int[] i:
            {
                var values = new long[n];
                for (int r = 0; r < n; r++) values[r] = i[r];
                return new TypedColumn(CellKind.Long, n) { Longs = values };
            }
            case int?[] i:
            {
                var values = new long[n];
                bool[]? nulls = null;
                for (int r = 0; r < n; r++)
                {
                    if (i[r] is { } v) values[r] = v;
                    else (nulls ??= new bool[n])[r] = true;
                }

                return new TypedColumn(CellKind.Long, n) { Longs = values, Nulls = nulls };
            }
            case decimal[] d:
                return new TypedColumn(CellKind.Decimal, n) { Decimals = d };
            case decimal?[] d:
            {
                var (values, nulls) = Split(d);
                return new TypedColumn(CellKind.Decimal, n) { Decimals = values, Nulls = nulls };
            }
            case DateTime[] t:
            {
                var ticks = new long[n];
                for (int r = 0; r < n; r++) ticks[r] = t[r].Ticks;
                return new TypedColumn(CellKind.Time, n) { Longs = ticks };
            }
            case DateTime?[] t:
            {
                var ticks = new long[n];
                bool[]? nulls = null;
                for (int r = 0; r < n; r++)
                {
                    if (t[r] is { } v) ticks[r] = v.Ticks;
                    else (nulls ??= new bool[n])[r] = true;
                }

                return new TypedColumn(CellKind.Time, n) { Longs = ticks, Nulls = nulls };
            }
            case DateOnly[] d:
            {
                var ticks = new long[n];
                for (int r = 0; r < n; r++) ticks[r] = d[r].DayNumber * TimeSpan.TicksPerDay;
                return new TypedColumn(CellKind.Time, n) { Longs = ticks };
            }
            case DateOnly?[] d:
            {
                var ticks = new long[n];
                bool[]? nulls = null;
                for (int r = 0; r < n; r++)
                {
                    if (d[r] is { } v) ticks[r] = v.DayNumber * TimeSpan.TicksPerDay;
                    else (nulls ??= new bool[n])[r] = true;
                }

                return new TypedColumn(CellKind.Time, n) { Longs = ticks, Nulls = nulls };
            }
            default:
                return new TypedColumn(CellKind.Other, n) { Raw = array };
        }
    }

    private static (T[] Values, bool[]? Nulls) Split<T>(T?[] source) where T : struct
    {
        var values = new T[source.Length];
        bool[]? nulls = null;
        for (int r = 0; r < source.Length; r++)
        {
            if (source[r] is { } v) values[r] = v;
            else (nulls ??= new bool[source.Length])[r] = true;
        }

        return (values, nulls);
    }
}
