using System.Reflection;
using Highwater.Pipeline.Core.Contracts;
using Parquet;
using Parquet.Schema;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// Reads a row group's column into a typed array (string[], T[] for required, T?[] for optional value columns)
/// and writes a filtered copy of such an array, whatever the column's CLR type.
/// </summary>
internal static class FieldColumns
{
    private static readonly MethodInfo ReadRequiredMethod = typeof(FieldColumns).GetMethod(nameof(ReadRequired), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo ReadOptionalMethod = typeof(FieldColumns).GetMethod(nameof(ReadOptional), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo WriteRequiredMethod = typeof(FieldColumns).GetMethod(nameof(WriteRequired), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo WriteOptionalMethod = typeof(FieldColumns).GetMethod(nameof(WriteOptional), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static bool IsString(DataField f) => PlainValueDecoders.IsString(f);

    public static bool IsSupported(DataField f) =>
        !f.IsArray && (IsString(f) || f.ClrType == typeof(byte[]) || f.ClrType.IsValueType);

    public static void EnsureSupported(DataField field)
    {
        if (!IsSupported(field))
            throw new DataException($"column '{field.Name}' has an unsupported Parquet type ({ColumnType.Describe(field)})");
    }

    /// <summary>Reads a column; its array comes from <paramref name="pool"/> when given (the caller returns it there).</summary>
    public static async Task<Array> ReadAsync(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct,
        ColumnBufferPool? pool = null)
    {
        EnsureSupported(field);
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
        // Closed instantiations for every value type Parquet.Net reads, so no code is generated at run time
        // (Native AOT); reflection is kept only for a type not listed.
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
            : null;
        if (typed is not null) return await typed;
        var method = (nullable ? ReadOptionalMethod : ReadRequiredMethod).MakeGenericMethod(t);
        return await (Task<Array>)method.Invoke(null, [rg, field, rows, ct, null])!;
    }

    public static Task WriteFilteredAsync(ParquetRowGroupWriter g, DataField field, Array values, bool[] keep, int kept)
    {
        switch (values)
        {
            case string?[] s:
                return g.WriteAsync(field, Filter(s, keep, kept));
            case byte[]?[] b:
                return g.WriteAsync(field, Filter(b, keep, kept));
        }

        var element = values.GetType().GetElementType()!;
        var underlying = Nullable.GetUnderlyingType(element);
        var typed = values switch
        {
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
            DateOnly[] v => WriteRequired(g, field, v, keep, kept),
            DateOnly?[] v => WriteOptional(g, field, v, keep, kept),
            _ => null,
        };
        if (typed is not null) return typed;
        var method = underlying is null ? WriteRequiredMethod.MakeGenericMethod(element) : WriteOptionalMethod.MakeGenericMethod(underlying);
        return (Task)method.Invoke(null, [g, field, values, keep, kept])!;
    }

    private static Task<Array> Read<T>(bool nullable, ParquetRowGroupReader rg, DataField field, int rows, ColumnBufferPool? pool,
        CancellationToken ct)
        where T : struct =>
        nullable ? ReadOptional<T>(rg, field, rows, ct, pool) : ReadRequired<T>(rg, field, rows, ct, pool);

    private static async Task<Array> ReadRequired<T>(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct,
        ColumnBufferPool? pool = null)
        where T : struct
    {
        var a = pool?.Rent<T>(rows) ?? new T[rows]; // every element is read
        await rg.ReadAsync<T>(field, a.AsMemory(), null, ct);
        return a;
    }

    private static async Task<Array> ReadOptional<T>(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct,
        ColumnBufferPool? pool = null)
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
