using System.Globalization;
using Highwater.Pipeline.Core.Schema;
using K = Highwater.Pipeline.Core.Schema.Schemas.KpiDaily;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// One Parquet file of a kpi_daily partition, written by <see cref="ParquetFileWriter"/> (one row group, PLAIN integers
/// with Snappy as every reader reads, min/max statistics with their column_orders). Money columns are DECIMAL(18,2) as
/// published warehouses hold them: a sum beyond that type is refused (<see cref="DataException"/>, exit 5) rather than
/// written, since a reader would read it as another number or fail on it.
/// </summary>
public static class KpiPartitionFile
{
    /// <summary>kpi_daily's schema (<see cref="Schemas.KpiDaily"/>) as the columns <see cref="ParquetFileWriter"/> writes.</summary>
    internal static readonly ParquetColumnSpec[] Columns = K.Schema.DataFields.Select(MartPartitionFile.ColumnSpec).ToArray();

    /// <summary>Writes the KPI rows of partition <paramref name="dt"/> (named in the error when a sum does not fit).</summary>
    public static Task WriteAsync(Stream stream, IReadOnlyList<KpiRecord> rows, string dt)
    {
        var n = rows.Count;
        var (country, segment, currency) = (new string?[n], new string?[n], new string?[n]);
        var (orders, units, buyers) = (new long[n], new long[n], new long[n]);
        var (revenue, average) = (new decimal?[n], new decimal?[n]);
        for (var i = 0; i < n; i++)
        {
            var r = rows[i];
            (country[i], segment[i], currency[i]) = (r.Country, r.Segment, r.Currency);
            (orders[i], units[i], buyers[i]) = (r.Orders, r.Units, r.Buyers);
            revenue[i] = Fitting(r, r.Revenue, K.Revenue.Name, dt);
            average[i] = Fitting(r, r.AvgOrderValue, K.AvgOrderValue.Name, dt);
        }
        using var writer = new ParquetFileWriter(stream, Columns, integers: ParquetIntegerEncoding.Plain);
        writer.BeginRowGroup(n);
        writer.WriteStrings(country);
        writer.WriteStrings(segment);
        writer.WriteStrings(currency);
        writer.WriteInt64s(orders);
        writer.WriteInt64s(units);
        writer.WriteNullableDecimals(revenue);
        writer.WriteInt64s(buyers);
        writer.WriteNullableDecimals(average);
        writer.EndRowGroup();
        writer.Complete();
        return Task.CompletedTask;
    }

    private static decimal Fitting(KpiRecord r, decimal value, string column, string dt) =>
        Math.Abs(value) <= Schemas.MoneyMax ? value : throw new DataException(string.Create(CultureInfo.InvariantCulture,
            $"kpi_daily dt={dt}, country={r.Country ?? "null"}, segment={r.Segment ?? "null"}, currency={r.Currency ?? "null"}: {column} {value} " +
            $"does not fit its DECIMAL({Schemas.MoneyPrecision},{Schemas.MoneyScale}) (at most {Schemas.MoneyMax}); each row's total_price fits, " +
            $"their sum over {r.Orders:N0} orders does not: correct or remove the landed files of that day and rerun"));
}
