using System.Reflection;
using Parquet;
using Parquet.Schema;

namespace Highwater.Contracts;

/// <summary>
/// Reads a row group's column into a typed array (string[], T[] for required, T?[] for optional value columns)
/// and writes a filtered copy of such an array, whatever the column's CLR type.
/// </summary>
internal static class ParquetColumns
{
    private static readonly MethodInfo ReadRequiredMethod = typeof(ParquetColumns).GetMethod(nameof(ReadRequired), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo ReadOptionalMethod = typeof(ParquetColumns).GetMethod(nameof(ReadOptional), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo WriteRequiredMethod = typeof(ParquetColumns).GetMethod(nameof(WriteRequired), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo WriteOptionalMethod = typeof(ParquetColumns).GetMethod(nameof(WriteOptional), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static bool IsString(DataField f) => f.ClrType == typeof(string) || f.ClrType == typeof(ReadOnlyMemory<char>);

    public static bool IsSupported(DataField f) =>
        !f.IsArray && (IsString(f) || f.ClrType == typeof(byte[]) || f.ClrType.IsValueType);

    public static async Task<Array> ReadAsync(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct)
    {
        if (!IsSupported(field))
            throw new DataException($"column '{field.Name}' has an unsupported Parquet type ({ColumnType.Describe(field)})");
        if (IsString(field))
        {
            var s = new string?[rows];
            await rg.ReadAsync(field, s.AsMemory(), null, ct);
            return s;
        }

        if (field.ClrType == typeof(byte[]))
        {
            var b = new byte[]?[rows];
            await rg.ReadAsync(field, b.AsMemory(), null, ct);
            return b;
        }

        var method = (field.IsNullable ? ReadOptionalMethod : ReadRequiredMethod).MakeGenericMethod(field.ClrType);
        return await (Task<Array>)method.Invoke(null, [rg, field, rows, ct])!;
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
        var method = underlying is null ? WriteRequiredMethod.MakeGenericMethod(element) : WriteOptionalMethod.MakeGenericMethod(underlying);
        return (Task)method.Invoke(null, [g, field, values, keep, kept])!;
    }

    private static async Task<Array> ReadRequired<T>(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct)
        where T : struct
    {
        var a = new T[rows];
        await rg.ReadAsync<T>(field, a.AsMemory(), null, ct);
        return a;
    }

    private static async Task<Array> ReadOptional<T>(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct)
        where T : struct
    {
        var a = new T?[rows];
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
