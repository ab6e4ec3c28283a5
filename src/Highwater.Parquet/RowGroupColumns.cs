using Highwater.Parquet.Reading;
using Parquet;
using Parquet.Schema;

namespace Highwater.Parquet;

/// <summary>
/// A Parquet.Net row group's flat columns as typed arrays, both directions: read into string?[], byte[]?[], T[] (a
/// required value column) or T?[] (an optional one), a filtered copy of such an array written back, and a column of
/// rows written through a selector. The value types
/// are a closed list, each with its own generic instantiation, so no code is generated at run time (Native AOT); a
/// column of any other type is not <see cref="IsSupported"/>.
/// </summary>
internal static class RowGroupColumns
{
    /// <summary>Whether Parquet.Net maps the field to strings (string, or ReadOnlyMemory&lt;char&gt;).</summary>
    public static bool IsString(DataField f) => PlainValueDecoders.IsString(f);

    /// <summary>Whether the field is a flat column of a type these methods read and write.</summary>
    public static bool IsSupported(DataField f) =>
        !f.IsArray && (IsString(f) || f.ClrType == typeof(byte[]) || IsValueType(Nullable.GetUnderlyingType(f.ClrType) ?? f.ClrType));

    private static bool IsValueType(Type t) =>
        t == typeof(int) || t == typeof(long) || t == typeof(DateTime) || t == typeof(decimal) || t == typeof(double) ||
        t == typeof(float) || t == typeof(bool) || t == typeof(short) || t == typeof(byte) || t == typeof(sbyte) ||
        t == typeof(ushort) || t == typeof(uint) || t == typeof(ulong) || t == typeof(DateOnly) || t == typeof(TimeOnly) ||
        t == typeof(TimeSpan) || t == typeof(Guid);

    /// <summary>
    /// Reads a <see cref="IsSupported"/> column; its array comes from <paramref name="pool"/> when given (the caller
    /// returns it there).
    /// </summary>
    public static async Task<Array> ReadAsync(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct,
        ColumnBufferPool? pool = null)
    {
        if (IsString(field))
        {
            var s = pool?.Rent<string?>(rows) ?? new string?[rows];
            await rg.ReadAsync(field, s.AsMemory(), null, ct);
            return s;
        }

        if (field.ClrType == typeof(byte[]))
        {
            var b = pool?.Rent<byte[]?>(rows) ?? new byte[]?[rows];
            await rg.ReadAsync(field, b.AsMemory(), null, ct);
            return b;
        }

        var nullable = field.IsNullable;
        var t = field.ClrType;
        var typed = t == typeof(int) ? Read<int>(nullable, rg, field, rows, pool, ct)
            : t == typeof(long) ? Read<long>(nullable, rg, field, rows, pool, ct)
            : t == typeof(DateTime) ? Read<DateTime>(nullable, rg, field, rows, pool, ct)
            : t == typeof(decimal) ? Read<decimal>(nullable, rg, field, rows, pool, ct)
            : t == typeof(double) ? Read<double>(nullable, rg, field, rows, pool, ct)
            : t == typeof(float) ? Read<float>(nullable, rg, field, rows, pool, ct)
            : t == typeof(bool) ? Read<bool>(nullable, rg, field, rows, pool, ct)
            : t == typeof(short) ? Read<short>(nullable, rg, field, rows, pool, ct)
            : t == typeof(byte) ? Read<byte>(nullable, rg, field, rows, pool, ct)
            : t == typeof(sbyte) ? Read<sbyte>(nullable, rg, field, rows, pool, ct)
            : t == typeof(ushort) ? Read<ushort>(nullable, rg, field, rows, pool, ct)
            : t == typeof(uint) ? Read<uint>(nullable, rg, field, rows, pool, ct)
            : t == typeof(ulong) ? Read<ulong>(nullable, rg, field, rows, pool, ct)
            : t == typeof(DateOnly) ? Read<DateOnly>(nullable, rg, field, rows, pool, ct)
            : t == typeof(TimeOnly) ? Read<TimeOnly>(nullable, rg, field, rows, pool, ct)
            : t == typeof(TimeSpan) ? Read<TimeSpan>(nullable, rg, field, rows, pool, ct)
            : t == typeof(Guid) ? Read<Guid>(nullable, rg, field, rows, pool, ct)
            : throw new ArgumentException($"column '{field.Name}': {t.Name} columns are not supported", nameof(field));
        return await typed;
    }

    /// <summary>Writes the values of an array <see cref="ReadAsync"/> gives whose <paramref name="keep"/> flag is set (<paramref name="kept"/> of them).</summary>
    public static Task WriteFilteredAsync(ParquetRowGroupWriter g, DataField field, Array values, bool[] keep, int kept) =>
        values switch
        {
            string?[] v => g.WriteAsync(field, Filter(v, keep, kept)),
            byte[]?[] v => g.WriteAsync(field, Filter(v, keep, kept)),
            int[] v => WriteRequired(g, field, v, keep, kept),
            int?[] v => WriteOptional(g, field, v, keep, kept),
            long[] v => WriteRequired(g, field, v, keep, kept),
            long?[] v => WriteOptional(g, field, v, keep, kept),
            DateTime[] v => WriteRequired(g, field, v, keep, kept),
            DateTime?[] v => WriteOptional(g, field, v, keep, kept),
            decimal[] v => WriteRequired(g, field, v, keep, kept),
            decimal?[] v => WriteOptional(g, field, v, keep, kept),
            double[] v => WriteRequired(g, field, v, keep, kept),
            double?[] v => WriteOptional(g, field, v, keep, kept),
            float[] v => WriteRequired(g, field, v, keep, kept),
            float?[] v => WriteOptional(g, field, v, keep, kept),
            bool[] v => WriteRequired(g, field, v, keep, kept),
            bool?[] v => WriteOptional(g, field, v, keep, kept),
            short[] v => WriteRequired(g, field, v, keep, kept),
            short?[] v => WriteOptional(g, field, v, keep, kept),
            byte[] v => WriteRequired(g, field, v, keep, kept),
            byte?[] v => WriteOptional(g, field, v, keep, kept),
            sbyte[] v => WriteRequired(g, field, v, keep, kept),
            sbyte?[] v => WriteOptional(g, field, v, keep, kept),
            ushort[] v => WriteRequired(g, field, v, keep, kept),
            ushort?[] v => WriteOptional(g, field, v, keep, kept),
            uint[] v => WriteRequired(g, field, v, keep, kept),
            uint?[] v => WriteOptional(g, field, v, keep, kept),
            ulong[] v => WriteRequired(g, field, v, keep, kept),
            ulong?[] v => WriteOptional(g, field, v, keep, kept),
            DateOnly[] v => WriteRequired(g, field, v, keep, kept),
            DateOnly?[] v => WriteOptional(g, field, v, keep, kept),
            TimeOnly[] v => WriteRequired(g, field, v, keep, kept),
            TimeOnly?[] v => WriteOptional(g, field, v, keep, kept),
            TimeSpan[] v => WriteRequired(g, field, v, keep, kept),
            TimeSpan?[] v => WriteOptional(g, field, v, keep, kept),
            Guid[] v => WriteRequired(g, field, v, keep, kept),
            Guid?[] v => WriteOptional(g, field, v, keep, kept),
            _ => throw new ArgumentException($"column '{field.Name}': {values.GetType().Name} arrays are not supported", nameof(values)),
        };

    /// <summary>Writes <paramref name="select"/> of rows <paramref name="from"/> to from + <paramref name="count"/> as a value column (optional when the field is).</summary>
    public static Task Write<TRow, T>(ParquetRowGroupWriter g, DataField field, IReadOnlyList<TRow> rows, int from, int count, Func<TRow, T> select)
        where T : struct
    {
        if (field.IsNullable) return WriteNullable(g, field, rows, from, count, r => (T?)select(r));
        var values = new T[count];
        for (var i = 0; i < count; i++) values[i] = select(rows[from + i]);
        return g.WriteAsync<T>(field, new ReadOnlyMemory<T>(values));
    }

    /// <summary>Writes <paramref name="select"/> of rows <paramref name="from"/> to from + <paramref name="count"/> as an optional value column.</summary>
    public static Task WriteNullable<TRow, T>(ParquetRowGroupWriter g, DataField field, IReadOnlyList<TRow> rows, int from, int count, Func<TRow, T?> select)
        where T : struct
    {
        var values = new T?[count];
        for (var i = 0; i < count; i++) values[i] = select(rows[from + i]);
        return g.WriteAsync<T>(field, new ReadOnlyMemory<T?>(values));
    }

    /// <summary>Writes <paramref name="select"/> of rows <paramref name="from"/> to from + <paramref name="count"/> as a string column.</summary>
    public static Task WriteString<TRow>(ParquetRowGroupWriter g, DataField field, IReadOnlyList<TRow> rows, int from, int count, Func<TRow, string?> select)
    {
        var values = new string?[count];
        for (var i = 0; i < count; i++) values[i] = select(rows[from + i]);
        return g.WriteAsync(field, values!);
    }

    private static Task<Array> Read<T>(bool nullable, ParquetRowGroupReader rg, DataField field, int rows, ColumnBufferPool? pool,
        CancellationToken ct)
        where T : struct =>
        nullable ? ReadOptional<T>(rg, field, rows, ct, pool) : ReadRequired<T>(rg, field, rows, ct, pool);

    private static async Task<Array> ReadRequired<T>(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct,
        ColumnBufferPool? pool)
        where T : struct
    {
        var a = pool?.Rent<T>(rows) ?? new T[rows]; // every element is read
        await rg.ReadAsync<T>(field, a.AsMemory(), null, ct);
        return a;
    }

    private static async Task<Array> ReadOptional<T>(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct,
        ColumnBufferPool? pool)
        where T : struct
    {
        var a = pool?.Rent<T?>(rows) ?? new T?[rows];
        await rg.ReadAsync<T>(field, a.AsMemory(), null, ct);
        return a;
    }

    private static Task WriteRequired<T>(ParquetRowGroupWriter g, DataField field, T[] values, bool[] keep, int kept)
        where T : struct =>
        g.WriteAsync<T>(field, new ReadOnlyMemory<T>(Filter(values, keep, kept)));

    private static Task WriteOptional<T>(ParquetRowGroupWriter g, DataField field, T?[] values, bool[] keep, int kept)
        where T : struct =>
        g.WriteAsync<T>(field, new ReadOnlyMemory<T?>(Filter(values, keep, kept)));

    private static T[] Filter<T>(T[] values, bool[] keep, int kept)
    {
        if (kept == values.Length) return values;
        var result = new T[kept];
        int j = 0;
        for (int i = 0; i < values.Length; i++)
            if (keep[i]) result[j++] = values[i];
        return result;
    }
}
