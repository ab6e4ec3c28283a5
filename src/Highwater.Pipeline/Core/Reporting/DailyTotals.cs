using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Parquet;
using Parquet.Schema;

namespace Highwater.Pipeline.Core.Reporting;

/// <summary>One day of the mart, summed over kpi_daily: orders, and revenue in total and per currency.</summary>
public sealed record DailyPoint(string Dt, long Orders, decimal Revenue, SortedDictionary<string, decimal> RevenueByCurrency);

/// <summary>Reads the most recent kpi_daily partitions the manifest lists, through the object store.</summary>
public static class DailyTotals
{
    public const int DefaultDays = 30;

    // The kpi_daily columns the report sums: the group's currency, its orders and its revenue.
    private static readonly DataField<string> Currency = new("currency", true);
    private static readonly DataField<long> Orders = new("orders", false);
    private static readonly DecimalDataField Revenue = Schemas.Money("revenue");

    public static async Task<List<DailyPoint>> ReadAsync(IObjectStore warehouse, HighWatermarkManifest manifest, int days, CancellationToken ct)
    {
        var points = new List<DailyPoint>();
        var partitions = manifest.Partitions(Schemas.KpiDaily.Dataset);
        foreach (var (dt, keys) in partitions.Skip(Math.Max(0, partitions.Count - days)))
        {
            long orders = 0;
            var byCurrency = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                await using var body = await warehouse.OpenReadAsync(key, ct);
                await using var seekable = await SeekableCopy.OfAsync(body, ct);
                await using var reader = await ParquetReader.CreateAsync(seekable, cancellationToken: ct);
                var name = $"{warehouse.Description}/{key}";
                for (var i = 0; i < reader.RowGroupCount; i++)
                {
                    using var g = reader.OpenRowGroupReader(i);
                    var currency = await ParquetColumns.ReadString(g, reader.Schema, Currency, name);
                    var count = await ParquetColumns.Read<long>(g, reader.Schema, Orders, name);
                    var revenue = await ParquetColumns.ReadNullable<decimal>(g, reader.Schema, Revenue, name);
                    for (var r = 0; r < count.Length; r++)
                    {
                        orders += count[r];
                        var c = currency[r] ?? "(none)";
                        byCurrency[c] = byCurrency.GetValueOrDefault(c) + (revenue[r] ?? 0m);
                    }
                }
            }
            points.Add(new DailyPoint(dt, orders, byCurrency.Values.Sum(), byCurrency));
        }
        return points;
    }
}
