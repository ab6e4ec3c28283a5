using Parquet.Schema;
using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Tests.Contracts;

/// <summary>
/// Parquet fields for a contract's columns, as another tool would declare them from the contract alone (the types of
/// docs/contracts.md: timestamps in microseconds, UTC; decimals at the declared precision and scale), so fixtures follow
/// the contract rather than restating its schema.
/// </summary>
public static class ContractFields
{
    public static DataField Of(ContractColumn column) => column.Type.Kind switch
    {
        ColumnKind.String => new DataField<string>(column.Name, column.Nullable),
        ColumnKind.Int32 => column.Nullable ? new DataField<int?>(column.Name, true) : new DataField<int>(column.Name, false),
        ColumnKind.Int64 => column.Nullable ? new DataField<long?>(column.Name, true) : new DataField<long>(column.Name, false),
        ColumnKind.Decimal => new DecimalDataField(column.Name, column.Type.Precision, column.Type.Scale, forceByteArrayEncoding: false,
            isNullable: column.Nullable),
        ColumnKind.Timestamp => new DateTimeDataField(column.Name, DateTimeFormat.Timestamp, isAdjustedToUTC: true,
            unit: DateTimeTimeUnit.Micros, isNullable: column.Nullable),
        ColumnKind.Date => new DateTimeDataField(column.Name, DateTimeFormat.Date, isNullable: column.Nullable),
        _ => throw new NotSupportedException($"column '{column.Name}': no Parquet field for {column.Type}"),
    };

    /// <summary>The values as the typed array a column of <paramref name="column"/> is written from.</summary>
    public static Array Values(ContractColumn column, IEnumerable<object?> values)
    {
        var list = values.ToList();
        var clr = column.Type.Kind switch
        {
            ColumnKind.String => typeof(string),
            ColumnKind.Int32 => typeof(int),
            ColumnKind.Int64 => typeof(long),
            ColumnKind.Decimal => typeof(decimal),
            ColumnKind.Timestamp or ColumnKind.Date => typeof(DateTime),
            _ => throw new NotSupportedException($"column '{column.Name}': no values for {column.Type}"),
        };
        var array = Array.CreateInstance(column.Nullable && clr.IsValueType ? typeof(Nullable<>).MakeGenericType(clr) : clr, list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is null && !column.Nullable)
                throw new ArgumentException($"column '{column.Name}' is not nullable, but row {i} has no value for it");
            array.SetValue(list[i], i);
        }
        return array;
    }
}
