using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using Highwater.Pipeline.QualityGate;
using Highwater.Pipeline.Transform;

namespace Highwater.Benchmarks;

/// <summary>
/// The <c>profile-gate</c> verb: the QualityGate engine over every <c>dt=*/*.parquet</c> partition of a sales_mart
/// folder (and optionally a kpi_daily folder) with the repository's data contracts, timed (wall, process CPU, peak
/// working set). The references check resolves <c>users</c> to <c>&lt;mart-folder&gt;/_users/*.parquet</c>.
/// With <c>--generate[=ROWS]</c> it first writes a synthetic mart (30 partitions, default 10M rows), its daily KPIs
/// and 1M users there. It prints a hash of each report's JSON so two builds can be compared for identical results.
/// </summary>
public static class GateProfile
{
    private static readonly DateTimeOffset RunTime = new(2024, 2, 1, 6, 0, 0, TimeSpan.Zero);

    public static async Task<int> RunVerb(string[] args)
    {
        var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (positional.Count < 1)
        {
            Console.Error.WriteLine("usage: profile-gate <mart-folder> [kpi-folder] [--generate[=10M]] [--contracts=data-contracts] [--read-floor]");
            return 2;
        }

        var mart = Path.GetFullPath(positional[0]);
        var kpi = positional.Count > 1 ? Path.GetFullPath(positional[1]) : null;
        var generate = args.FirstOrDefault(a => a.StartsWith("--generate", StringComparison.Ordinal));
        var contractsDir = args.FirstOrDefault(a => a.StartsWith("--contracts=", StringComparison.Ordinal))?["--contracts=".Length..]
            ?? Path.Combine(FindRepoRoot(), "data-contracts");
        if (generate is not null)
        {
            var rows = generate.Contains('=') ? Options.Count(generate[(generate.IndexOf('=') + 1)..]) : 10_000_000;
            await GenerateAsync(mart, kpi, rows, DailyKpi.From(ContractLoader.LoadAll(contractsDir)));
        }

        var contracts = ContractLoader.LoadAll(contractsDir);
        var users = Discover(Path.Combine(mart, "_users"), partitioned: false);
        var work = Path.Combine(Path.GetTempPath(), "profile-gate-" + Environment.ProcessId);
        try
        {
            var context = new GateContext(RunTime, "profile")
            {
                ResolveDataset = name => name == "users" ? users : throw new InvalidOperationException($"unknown dataset {name}"),
                OutputFolder = Path.Combine(work, "filtered"),
                QuarantineFolder = Path.Combine(work, "quarantine"),
            };
            if (args.Contains("--read-floor")) await ReadFloorAsync(contracts["sales_mart"], Discover(mart, partitioned: true));
            await ProfileAsync(contracts["sales_mart"], Discover(mart, partitioned: true), context);
            if (kpi is not null)
                await ProfileAsync(contracts["kpi_daily"], Discover(kpi, partitioned: true), context with { OutputFolder = Path.Combine(work, "filtered-kpi") });
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }

        Console.WriteLine($"  peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB");
        return 0;
    }

    private static async Task ProfileAsync(DataContract contract, List<DatasetFile> files, GateContext context)
    {
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var report = await new ContractGate().EvaluateAsync(contract, files, context);
        var wall = sw.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(report.ToJson() + "\n" + report.ToMarkdown())))[..16];
        Console.WriteLine($"{contract.Dataset}: {files.Count} files, {report.RowsChecked:N0} rows, {report.RowsQuarantined:N0} quarantined, " +
                          $"passed={report.Passed}: wall {wall:F2} s, cpu {cpu:F2} s, heap {GC.GetTotalMemory(false) / 1e6:F0} MB, report {hash}");
        if (report.QuarantineFile is { } q)
            Console.WriteLine($"    quarantine file {new FileInfo(q).Length:N0} bytes, hash {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(q)))[..16]}");
        foreach (var f in report.FilesToPublish.Where(f => f.Path.StartsWith(context.OutputFolder!, StringComparison.Ordinal)))
            Console.WriteLine($"    filtered {Path.GetFileName(Path.GetDirectoryName(f.Path))}/{Path.GetFileName(f.Path)} {new FileInfo(f.Path).Length:N0} bytes, hash {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f.Path)))[..16]}");
        foreach (var c in report.Checks)
            Console.WriteLine($"    {c.Name,-28} {c.Status,-8} failing {c.FailingCount,8:N0}  checked {c.RowsChecked,12:N0}");
    }

    /// <summary>Only reading the columns the contract's checks use, file by file: the floor under the gate's time.</summary>
    private static async Task ReadFloorAsync(DataContract contract, List<DatasetFile> files)
    {
        var columns = contract.Checks.SelectMany(c => c.Columns).Where(c => !contract.PartitionBy.Contains(c)).ToHashSet(StringComparer.Ordinal);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        long cells = 0;
        var perColumn = new Dictionary<string, double>();
        foreach (var file in files)
        {
            await using var reader = await global::Parquet.ParquetReader.CreateAsync(file.Path);
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var rg = reader.OpenRowGroupReader(g);
                int n = checked((int)rg.RowCount);
                foreach (var field in reader.Schema.DataFields.Where(f => columns.Contains(f.Name)))
                {
                    var t = field.ClrType;
                    var t0 = Stopwatch.GetTimestamp();
                    if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>)) await rg.ReadAsync(field, new string?[n].AsMemory());
                    else if (t == typeof(long) && !field.IsNullable) await rg.ReadAsync<long>(field, new long[n].AsMemory());
                    else if (t == typeof(DateTime) && !field.IsNullable) await rg.ReadAsync<DateTime>(field, new DateTime[n].AsMemory());
                    else if (t == typeof(int)) await rg.ReadAsync<int>(field, new int?[n].AsMemory());
                    else if (t == typeof(decimal)) await rg.ReadAsync<decimal>(field, new decimal?[n].AsMemory());
                    else if (t == typeof(DateTime)) await rg.ReadAsync<DateTime>(field, new DateTime?[n].AsMemory());
                    else continue;
                    perColumn[field.Name] = perColumn.GetValueOrDefault(field.Name) + Stopwatch.GetElapsedTime(t0).TotalSeconds;
                    cells += n;
                }
            }
        }

        foreach (var (name, secs) in perColumn) Console.WriteLine($"    read {name,-20} {secs:F2} s");
        Console.WriteLine($"read floor ({columns.Count} columns, {cells:N0} cells): wall {sw.Elapsed.TotalSeconds:F2} s, " +
                          $"cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds:F2} s");
    }

    private static List<DatasetFile> Discover(string root, bool partitioned)
    {
        if (!Directory.Exists(root)) return [];
        var folders = partitioned ? Directory.GetDirectories(root, "dt=*").OrderBy(d => d, StringComparer.Ordinal).ToArray() : [root];
        return folders
            .SelectMany(d => Directory.GetFiles(d, "*.parquet").OrderBy(f => f, StringComparer.Ordinal))
            .Select(f => DatasetFile.FromPath(root, f))
            .ToList();
    }

    /// <summary>A synthetic mart: <paramref name="rows"/> rows over 30 days, realistic values, a few warn-level failures.</summary>
    private static async Task GenerateAsync(string mart, string? kpi, long rows, DailyKpi kpis)
    {
        var sw = Stopwatch.StartNew();
        if (Directory.Exists(mart)) Directory.Delete(mart, true);
        if (kpi is not null && Directory.Exists(kpi)) Directory.Delete(kpi, true);
        const int days = 30, userCount = 1_000_000;
        var rnd = new Random(42);
        string[] countries = ["DE", "FR", "GB", "US", "NL", "ES", "IT", "PL", "SE", "AT"];
        string[] segments = ["retail", "business", "vip", "student"];
        string[] currencies = ["EUR", "USD", "GBP"];
        string[] channels = ["web", "app", "store", "marketplace"];

        var users = new List<UserRecord>(userCount);
        for (int u = 1; u <= userCount; u++)
            users.Add(new UserRecord(u, countries[u % countries.Length], segments[u % segments.Length],
                new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(u % 1400)));
        Directory.CreateDirectory(Path.Combine(mart, "_users"));
        await using (var s = File.Create(Path.Combine(mart, "_users", "users.parquet"))) await UserDimension.WriteAsync(s, users);

        var skus = Enumerable.Range(0, 5000).Select(i => $"SKU-{1000 + i}").ToArray();
        long perDay = rows / days;
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (int d = 0; d < days; d++)
        {
            var day = start.AddDays(d);
            var n = (int)(d == days - 1 ? rows - perDay * (days - 1) : perDay);
            var part = new PartitionColumns();
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            var source = $"landing/{day:yyyy-MM-dd}/part-0.jsonl";
            for (int i = 0; i < n; i++)
            {
                long user = rnd.Next(1, userCount + 1);
                var u = users[(int)user - 1];
                var ts = day.AddTicks((long)(rnd.NextDouble() * TimeSpan.TicksPerDay) / 10 * 10);
                var arrival = i % 50_000 == 7 ? ts.AddMinutes(-1) : ts.AddSeconds(rnd.Next(1, 3600));
                int? qty = i % 1000 == 3 ? null : rnd.Next(1, 6);
                decimal? price = i % 997 == 5 ? null : Math.Round((decimal)rnd.Next(100, 50000) / 100m, 2);
                var channel = i % 100_000 == 11 ? "kiosk" : channels[rnd.Next(channels.Length)];
                row["order_id"] = $"O-3-{d}-{i:D6}";
                row["user_id"] = user;
                row["event_ts"] = ts;
                row["arrival_ts"] = arrival;
                row["qty"] = qty;
                row["unit_price"] = price;
                row["total_price"] = qty is { } q && price is { } p ? q * p : null;
                row["currency"] = currencies[rnd.Next(currencies.Length)];
                row["sku"] = skus[rnd.Next(skus.Length)];
                row["channel"] = channel;
                row["country"] = u.Country;
                row["segment"] = u.Segment;
                row["signup_date"] = u.SignupDate;
                row["source_key"] = source;
                part.AppendValues(row);
            }

            var folder = Path.Combine(mart, $"dt={day:yyyy-MM-dd}");
            Directory.CreateDirectory(folder);
            await using (var s = File.Create(Path.Combine(folder, "part.parquet"))) await MartPartitionFile.WriteAsync(s, part);
            if (kpi is not null)
            {
                var kf = Path.Combine(kpi, $"dt={day:yyyy-MM-dd}");
                Directory.CreateDirectory(kf);
                await using var s = File.Create(Path.Combine(kf, "part.parquet"));
                await KpiPartitionFile.WriteAsync(s, kpis.Compute(part), day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"generated {rows:N0} rows in {days} partitions, {userCount:N0} users in {sw.Elapsed.TotalSeconds:F1} s"));
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Highwater.slnx"))) return dir.FullName;
        return Environment.CurrentDirectory;
    }
}
