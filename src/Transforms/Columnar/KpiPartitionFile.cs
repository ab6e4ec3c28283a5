using Highwater.Model;
using Parquet;
using static Highwater.Columnar.ParquetColumns;
using K = Highwater.Model.Schemas.KpiDaily;

namespace Highwater.Columnar;

/// <summary>One Parquet file of a kpi_daily partition.</summary>
public static class KpiPartitionFile
{
    public static async Task WriteAsync(Stream stream, IReadOnlyList<KpiRecord> rows)
    {
        await using var writer = await ParquetWriter.CreateAsync(K.Schema, stream, WriteOptions);
        using var g = writer.CreateRowGroup();
        var n = rows.Count;
        await WriteString(g, K.Country, rows, 0, n, r => r.Country);
        await WriteString(g, K.Segment, rows, 0, n, r => r.Segment);
        await WriteString(g, K.Currency, rows, 0, n, r => r.Currency);
        await Write(g, K.Orders, rows, 0, n, r => r.Orders);
        await Write(g, K.Units, rows, 0, n, r => r.Units);
        await WriteNullable(g, K.Revenue, rows, 0, n, r => (decimal?)r.Revenue);
        await Write(g, K.Buyers, rows, 0, n, r => r.Buyers);
        await WriteNullable(g, K.AvgOrderValue, rows, 0, n, r => (decimal?)r.AvgOrderValue);
    }
}
