using System.Globalization;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// One Parquet file of a kpi_daily partition, written by <see cref="ParquetFileWriter"/> (one row group, PLAIN integers
/// with Snappy as every reader reads, min/max statistics with their column_orders): the columns of a
/// <see cref="KpiTable"/>, as kpi_daily's contract declares them. A group's value beyond its DECIMAL(p,s) column is
/// refused (<see cref="DataException"/>, exit 5) before anything is written, since a reader would read it as another
/// number or fail on it.
/// </summary>
public static class KpiPartitionFile
{
    /// <summary>Writes the KPI rows of partition <paramref name="dt"/> (named in the error when a value does not fit).</summary>
    public static Task WriteAsync(Stream stream, KpiTable table, string dt)
    {
        foreach (var column in table.Columns)
            if (column.Spec.Kind == ParquetValueKind.Decimal) EnsureFits(table, column, table.Decimals(column.Name), dt);
        using var writer = new ParquetFileWriter(stream, table.Columns.Select(c => c.Spec).ToArray(), integers: ParquetIntegerEncoding.Plain);
        writer.BeginRowGroup(table.Count);
        foreach (var column in table.Columns)
        {
            switch (column.Values)
            {
                case string?[] strings: writer.WriteStrings(strings); break;
                case long[] longs: writer.WriteInt64s(longs); break;
                case long?[] longs: writer.WriteNullableInt64s(longs); break;
                case decimal?[] decimals: writer.WriteNullableDecimals(decimals); break;
                case decimal[] decimals: writer.WriteDecimals(decimals); break;
                default: throw new InvalidOperationException($"kpi_daily column '{column.Name}' holds {column.Values.GetType().Name}");
            }
        }
        writer.EndRowGroup();
        writer.Complete();
        return Task.CompletedTask;
    }

    private static void EnsureFits(KpiTable table, KpiColumn column, decimal?[] values, string dt)
    {
        var (precision, scale) = (column.Spec.Precision, column.Spec.Scale);
        var limit = new DecimalColumnFit.Limit(precision, scale);
        for (var g = 0; g < values.Length; g++)
        {
            if (values[g] is not { } v || limit.Fits(v)) continue;
            var keys = string.Concat(table.Columns.Where(c => c.IsKey).Select(c => $", {c.Name}={((string?[])c.Values)[g] ?? "null"}"));
            var wider = precision < 18 ? $", or declare {column.Name} wider in kpi_daily's contract (up to decimal(18,{scale}))" : "";
            throw new DataException(string.Create(CultureInfo.InvariantCulture,
                $"kpi_daily dt={dt}{keys}: {column.Name} {v} does not fit its DECIMAL({precision},{scale}) (at most {limit.Max}); the group's rows " +
                $"fit their columns, its {column.Name} does not: correct or remove the landed files of that day and rerun{wider}"));
        }
    }
}
