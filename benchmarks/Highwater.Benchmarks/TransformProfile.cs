using System.Diagnostics;
using Highwater.Columnar;
using Highwater.Model;
using Highwater.Stages;
using Highwater.Storage;

namespace Highwater.Benchmarks;

/// <summary>
/// The <c>profile-transform</c> verb: Transform's phases timed one by one (wall and process CPU), replayed with
/// the stage's own building blocks on a staging batch Extract left in a work area, for a full load (no held rows).
/// It does not change the stage; it shows where its time goes.
/// </summary>
public static class TransformProfile
{
    public static async Task<int> RunVerb(string staging, string users)
    {
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var lap = (Wall: 0.0, Cpu: 0.0);
        void Phase(string name)
        {
            var wall = sw.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            Console.WriteLine($"  {name,-48} wall {wall - lap.Wall,6:F2} s  cpu {cpu - lap.Cpu,6:F2} s  heap {GC.GetTotalMemory(false) / 1e6,7:F0} MB  " +
                              $"gen2 {GC.CollectionCount(2)}");
            lap = (wall, cpu);
        }

        var dim = await UserDimension.LoadAsync(new LocalFolderStore(users));
        Phase($"load user dimension ({dim.Count:N0})");

        var groups = new List<EventRecord[]>();
        await foreach (var g in EventStagingReader.ReadRowGroupsAsync(staging)) groups.Add(g);
        Phase($"read staging ({groups.Sum(g => g.Length):N0} rows, {groups.Count} groups)");

        var byDt = new SortedDictionary<DateOnly, List<MartRecord>>();
        foreach (var g in groups)
            foreach (var e in g)
            {
                if (!dim.TryGet(e.UserId, out var u)) continue;
                var row = new MartRecord(e.OrderId, e.UserId, e.EventTs, e.ArrivalTs, e.Qty, e.UnitPrice,
                    e.Qty is { } q && e.UnitPrice is { } p ? q * p : null, e.Currency, e.Sku, e.Channel, u.Country, u.Segment, u.SignupDate, e.SourceKey);
                if (!byDt.TryGetValue(row.Dt, out var rows)) byDt[row.Dt] = rows = [];
                rows.Add(row);
            }
        groups.Clear();
        Phase($"join + group by dt ({byDt.Count} partitions)");

        var merged = new List<List<MartRecord>>();
        foreach (var rows in byDt.Values) merged.Add(PartitionRewrite.Apply([], new HashSet<string>(), rows, new HashSet<string>()));
        Phase("partition rewrite + sort (order index not replayed)");

        var kpis = merged.Select(DailyKpi.Compute).ToList();
        Phase("daily KPIs");

        var dir = Path.Combine(Path.GetTempPath(), "profile-transform");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        long bytes = 0;
        for (var i = 0; i < merged.Count; i++)
        {
            var path = Path.Combine(dir, $"mart-{i}.parquet");
            await using (var s = File.Create(path)) await MartPartitionFile.WriteAsync(s, merged[i]);
            bytes += new FileInfo(path).Length;
        }
        Phase($"write mart parquet ({bytes / 1e6:F0} MB)");
        for (var i = 0; i < kpis.Count; i++)
        {
            await using var s = File.Create(Path.Combine(dir, $"kpi-{i}.parquet"));
            await KpiPartitionFile.WriteAsync(s, kpis[i]);
        }
        Phase("write kpi parquet");

        var back = new List<MartRecord>();
        for (var i = 0; i < merged.Count; i++)
        {
            await using var s = File.OpenRead(Path.Combine(dir, $"mart-{i}.parquet"));
            await MartPartitionFile.ReadAsync(s, "mart", back);
        }
        Phase($"read mart parquet back ({back.Count:N0} rows; what an incremental run does per touched partition)");
        Directory.Delete(dir, true);
        Console.WriteLine($"  total wall {sw.Elapsed.TotalSeconds:F2} s, cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds:F2} s, " +
                          $"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB");
        return 0;
    }
}
