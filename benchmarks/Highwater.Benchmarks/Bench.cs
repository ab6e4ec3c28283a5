using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Highwater.Benchmarks;

/// <summary>
/// Runs every case: Highwater's whole <c>./build.sh --target=PublishMart</c> and the same job in DuckDB, each as a
/// measured process tree, in alternation, <see cref="Options.Runs"/> times; reports medians as a table and as
/// results.json / results.md.
/// </summary>
public sealed partial class Bench(Options o)
{
    private readonly List<CaseResult> _results = [];
    private string _logDir = "";

    public sealed record RunResult(double WallSeconds, double CpuSeconds, double UserSeconds, double SysSeconds, double PeakRssMb,
        Dictionary<string, double>? StageSeconds);

    public sealed record EngineResult(string Engine, List<RunResult> Runs)
    {
        public double Wall => Median(Runs.Select(r => r.WallSeconds));
        public double Cpu => Median(Runs.Select(r => r.CpuSeconds));
        public double Rss => Median(Runs.Select(r => r.PeakRssMb));
    }

    public sealed record CaseResult(string Case, string Description, int Files, long InputBytes, long InputLines,
        string LoadBefore, string LoadAfter, List<EngineResult> Engines);

    public async Task<int> RunAsync()
    {
        Directory.CreateDirectory(o.OutDir);
        Directory.CreateDirectory(o.DataDir);
        _logDir = Path.Combine(o.OutDir, "logs");
        if (Directory.Exists(_logDir)) Directory.Delete(_logDir, true);
        Directory.CreateDirectory(_logDir);
        Console.WriteLine($"highwater-bench: events {string.Join(",", o.Events)}, {o.Days} days, {o.Users:N0} users, {o.Runs} runs, cases {string.Join(",", o.Cases)}");
        Console.WriteLine($"  machine: {Machine()}; load average {LoadAverage()}");

        // Untimed warm-up: build.sh publishes the CLI when its sources changed and Cake compiles its script cache.
        Step("warm-up: ./build.sh --target=ValidateContracts (publishes the CLI if needed)", () =>
            Shell(Path.Combine(_logDir, "warmup.log"), "bash", Path.Combine(o.RepoRoot, "build.sh"), "--target=ValidateContracts"));

        var users = Path.Combine(o.DataDir, $"users-{o.Users}-s{o.Seed}");
        if (!File.Exists(Path.Combine(users, "users.parquet")))
            await StepAsync($"generating {o.Users:N0} users", () => new DataGenerator(o.Seed, o.Users).WriteUsersAsync(users));

        foreach (var c in o.Cases)
        {
            switch (c)
            {
                case "full":
                    foreach (var n in o.Events)
                        foreach (var shape in o.Shapes)
                            FullLoad(n, users, shape);
                    break;
                case var _ when DayCase().Match(c) is { Success: true } m:
                    foreach (var shape in o.Shapes)
                        Incremental(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), users, shape, noop: m.Groups[1].Value == "noop");
                    break;
                default:
                    throw new ArgumentException($"unknown case '{c}' (full, dayN, noopN)");
            }
            Write();
        }
        Console.WriteLine();
        Console.WriteLine(Table());
        Console.WriteLine($"results: {Path.Combine(o.OutDir, "results.json")}, {Path.Combine(o.OutDir, "results.md")}");
        return 0;
    }

    [GeneratedRegex("^(day|noop)([0-9]+)$")]
    private static partial Regex DayCase();

    // ---- cases ----

    private void FullLoad(long events, string users, ProducerShape shape)
    {
        var name = $"full-{Human(events)}{ShapeSuffix(shape)}";
        var data = Path.Combine(o.DataDir, $"full-{events}-d{o.Days}-s{o.Seed}{ShapeSuffix(shape)}");
        var landing = Path.Combine(data, "landing");
        var written = Generated(data, () => new DataGenerator(o.Seed, o.Users, shape).WriteEvents(landing, 0, o.Days, events / o.Days));
        var run = Path.Combine(o.OutDir, "cases", name);
        var (warehouse, work, duck) = (Path.Combine(run, "warehouse"), Path.Combine(run, "work"), Path.Combine(run, "duckdb-out"));
        var files = Path.Combine(run, "files.txt");
        Directory.CreateDirectory(run);
        File.WriteAllLines(files, written.Paths);

        // Untimed, before every run of either engine: the input read, so no run reads it from disk while the others read
        // it from the page cache. This VM reclaims page cache that has gone cold, within a run of the other engine too:
        // read only once before the runs, a 10M run of each engine still read its input from disk now and then, and
        // its time then measured the disk.
        var input = written.Paths.Append(users).ToList();
        Step($"{name}: reading the input (untimed)", () => ReadOnce(input));
        var load = LoadAverage();
        var hw = new List<RunResult>();
        var dk = new List<RunResult>();
        for (var i = 0; i < o.Runs; i++)
        {
            // Untimed: each run starts with the disk settled (the previous run's output written back), as the
            // incremental cases do: a run must not pay for the write-back of the gigabytes the one before it wrote.
            void Hw() { Reset(warehouse); Reset(work); Settle(); ReadOnce(input); hw.Add(Highwater(name, i, landing, users, warehouse, work)); }
            void Dk() { Reset(duck); Reset(duck + ".tmp"); Settle(); ReadOnce(input); dk.Add(Duck(name, i, files, users, duck)); }
            if (i % 2 == 0) { Hw(); Dk(); } else { Dk(); Hw(); }
        }
        void Settle() => Shell(Path.Combine(_logDir, "restore.log"), "sync");
        Add(new CaseResult(name, $"full load: {events:N0} events in {o.Days} days, {written.Files} files, shape {shape.Name}", written.Files, written.Bytes,
            written.Lines, load, LoadAverage(), [new("highwater", hw), new("duckdb", dk)]));
    }

    /// <summary>
    /// What a case's name and data folder end with for <paramref name="shape"/>: nothing for the shipped shape (the names of
    /// the rounds before there were shapes), else "-" and the shape's name.
    /// </summary>
    private static string ShapeSuffix(ProducerShape shape) => shape == ProducerShape.Shipped ? "" : $"-{shape.Name}";

    /// <summary>
    /// One new day (or nothing new) on <paramref name="historyDays"/> days of history, all written in one producer
    /// <paramref name="shape"/>: case <c>day30</c> for the shipped shape, <c>day30-millis</c> and so on for the others.
    /// </summary>
    private void Incremental(int historyDays, string users, ProducerShape shape, bool noop)
    {
        var perDay = o.HistoryEventsPerDay;
        var suffix = ShapeSuffix(shape);
        var data = Path.Combine(o.DataDir, $"hist-{historyDays}d-{perDay}-s{o.Seed}{suffix}");
        var history = Path.Combine(data, "history");
        var newDay = Path.Combine(data, "newday");
        Generated(history, () => new DataGenerator(o.Seed, o.Users, shape).WriteEvents(history, 0, historyDays, perDay));
        var fresh = Generated(newDay, () => new DataGenerator(o.Seed, o.Users, shape).WriteEvents(newDay, historyDays, 1, perDay));

        var run = Path.Combine(data, "run");
        var (landing, warehouse, work) = (Path.Combine(run, "landing"), Path.Combine(run, "warehouse"), Path.Combine(run, "work"));
        var snap = Path.Combine(data, "snapshot");
        var cliHash = File.ReadAllText(Path.Combine(o.RepoRoot, "artifacts/highwater/.source-hash")).Trim();
        var snapStamp = Path.Combine(snap, "stamp");
        if (!File.Exists(snapStamp) || File.ReadAllText(snapStamp) != cliHash)
        {
            // Untimed: the history processed by Highwater itself (one `run` process), then snapshotted.
            Reset(run); Reset(snap);
            Directory.CreateDirectory(landing);
            Shell(Path.Combine(_logDir, $"setup-{historyDays}d.log"), "cp", "-al", Path.Combine(history, "events"), Path.Combine(landing, "events"));
            Step($"history: processing {historyDays} days x {perDay:N0} events with highwater run (untimed)", () =>
                Shell(Path.Combine(_logDir, $"setup-{historyDays}d.log"), Path.Combine(o.RepoRoot, "artifacts/highwater/highwater"), "run",
                    $"--landing={landing}", $"--users={users}", $"--warehouse={warehouse}", $"--work={work}"));
            // One cp for both, so the work area's files stay hard links of the warehouse's, as PublishMart leaves them:
            // copied apart, each timed run had to free the gigabytes of a separate copy when Transform cleared them.
            Shell(Path.Combine(_logDir, $"setup-{historyDays}d.log"), "cp", "-a", warehouse, work, snap);
            File.WriteAllText(snapStamp, cliHash);
        }
        var newDayFolder = Path.Combine(landing, "events", DataGenerator.FirstDay.AddDays(historyDays).ToString("yyyy-MM-dd"));
        if (!Directory.Exists(newDayFolder))
            Shell(Path.Combine(_logDir, $"setup-{historyDays}d.log"), "cp", "-al", Path.Combine(newDay, "events", Path.GetFileName(newDayFolder)), newDayFolder);

        void Restore()
        {
            Reset(warehouse); Reset(work);
            Directory.Delete(warehouse); Directory.Delete(work);
            Shell(Path.Combine(_logDir, "restore.log"), "cp", "-a", Path.Combine(snap, "warehouse"), Path.Combine(snap, "work"), run);
            Settle();
        }

        // Untimed: flush the restore's (and the prepare run's) written pages, so a timed run does not pay for the
        // write-back of gigabytes copied just before it (that made noop300 look slower than noop30).
        void Settle() => Shell(Path.Combine(_logDir, "restore.log"), "sync");

        var load = LoadAverage();
        var hw = new List<RunResult>();
        if (noop)
        {
            // Everything landed is processed: bring the state there once (untimed), then time the whole command.
            Restore();
            Highwater($"noop{historyDays}{suffix}-prepare", 0, landing, users, warehouse, work);
            Settle();
            for (var i = 0; i < o.Runs; i++) hw.Add(Highwater($"noop{historyDays}{suffix}", i, landing, users, warehouse, work));
            Add(new CaseResult($"noop{historyDays}{suffix}", $"nothing new, {historyDays + 1} days of history ({perDay:N0} events/day, shape {shape.Name})", 0, 0, 0,
                load, LoadAverage(), [new("highwater", hw)]));
            return;
        }
        var files = Path.Combine(data, "newday-files.txt");
        File.WriteAllLines(files, fresh.Paths);
        var duck = Path.Combine(data, "duckdb-out");
        var dk = new List<RunResult>();
        for (var i = 0; i < o.Runs; i++)
        {
            void Hw() { Restore(); hw.Add(Highwater($"day{historyDays}{suffix}", i, landing, users, warehouse, work)); }
            void Dk() { Reset(duck); Reset(duck + ".tmp"); dk.Add(Duck($"day{historyDays}{suffix}", i, files, users, duck)); }
            if (i % 2 == 0) { Hw(); Dk(); } else { Dk(); Hw(); }
        }
        Add(new CaseResult($"day{historyDays}{suffix}", $"one new day ({perDay:N0} events, {fresh.Files} files, shape {shape.Name}) on {historyDays} days of history",
            fresh.Files, fresh.Bytes, fresh.Lines, load, LoadAverage(), [new("highwater", hw), new("duckdb", dk)]));
    }

    // ---- engines ----

    private RunResult Highwater(string name, int i, string landing, string users, string warehouse, string work)
    {
        var log = Path.Combine(_logDir, $"{name}-highwater-{i}.log");
        var m = ChildMeasure.Measure(log, o.RepoRoot,
            ["bash", Path.Combine(o.RepoRoot, "build.sh"), "--target=PublishMart", $"--landing={landing}", $"--users={users}",
             $"--warehouse={warehouse}", $"--work={work}"],
            new Dictionary<string, string> { ["NO_COLOR"] = "1" });
        var r = new RunResult(m.WallSeconds, m.CpuSeconds, m.UserSeconds, m.SysSeconds, m.MaxRssKb / 1024.0, StageTimes(log));
        Console.WriteLine($"  {name,-12} highwater run {i + 1}: {r.WallSeconds,7:F2} s wall, {r.CpuSeconds,7:F2} s CPU, {r.PeakRssMb,7:F0} MB peak" +
                          (r.StageSeconds is { Count: > 0 } s ? "  [" + string.Join(" ", s.Select(kv => $"{kv.Key} {kv.Value:F2}")) + "]" : ""));
        return r;
    }

    private RunResult Duck(string name, int i, string files, string users, string outDir)
    {
        var log = Path.Combine(_logDir, $"{name}-duckdb-{i}.log");
        var self = ChildMeasure.SelfStartInfo(["duckdb-job", files, users, outDir, o.DuckDbThreads.ToString(CultureInfo.InvariantCulture)]);
        var m = ChildMeasure.Measure(log, o.RepoRoot, [self.FileName, .. self.ArgumentList]);
        var r = new RunResult(m.WallSeconds, m.CpuSeconds, m.UserSeconds, m.SysSeconds, m.MaxRssKb / 1024.0, null);
        Console.WriteLine($"  {name,-12} duckdb    run {i + 1}: {r.WallSeconds,7:F2} s wall, {r.CpuSeconds,7:F2} s CPU, {r.PeakRssMb,7:F0} MB peak");
        return r;
    }

    /// <summary>The per-stage times the CLI prints ("Extract: … in 1.23 s").</summary>
    private static Dictionary<string, double> StageTimes(string log)
    {
        var result = new Dictionary<string, double>();
        foreach (var line in File.ReadLines(log))
        {
            var m = StageLine().Match(line);
            if (m.Success) result[m.Groups[1].Value] = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        return result;
    }

    [GeneratedRegex(@"^\s*(Discover|Extract|Transform|QualityGate|PublishMart)\b.*\bin ([0-9]+\.[0-9]+) s\b")]
    private static partial Regex StageLine();

    // ---- reporting ----

    private void Add(CaseResult c)
    {
        _results.Add(c);
        Console.WriteLine($"  {c.Case}: load average before {c.LoadBefore}, after {c.LoadAfter}");
    }

    private void Write()
    {
        var doc = new
        {
            machine = Machine(),
            date = DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture),
            options = new { o.Events, o.Days, o.Users, o.Runs, o.Cases, o.HistoryEventsPerDay, o.Seed, o.DuckDbThreads, Shapes = o.Shapes.Select(s => s.Name) },
            worstShape = Worst().Select(w => new { w.Events, w.Case, w.Ratio }),
            slowestNewDay = SlowestIncremental("day") is { } day ? new { day.Case, day.Wall } : null,
            slowestNothingNew = SlowestIncremental("noop") is { } noop ? new { noop.Case, noop.Wall } : null,
            cases = _results.Select(c => new
            {
                c.Case, c.Description, c.Files, inputMB = c.InputBytes / 1e6, c.InputLines, c.LoadBefore, c.LoadAfter,
                engines = c.Engines.Select(e => new
                {
                    e.Engine, medianWallSeconds = e.Wall, medianCpuSeconds = e.Cpu, medianPeakRssMb = e.Rss,
                    inputMBPerSecond = c.InputBytes > 0 ? c.InputBytes / 1e6 / e.Wall : (double?)null,
                    rowsPerSecond = c.InputLines > 0 ? c.InputLines / e.Wall : (double?)null,
                    e.Runs,
                }),
                ratioHighwaterToDuckDb = Ratio(c),
                fullLoadEvents = FullLoadSize(c),
            }),
        };
        File.WriteAllText(Path.Combine(o.OutDir, "results.json"), JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(o.OutDir, "results.md"), Table());
    }

    /// <summary>The full-load case of each size whose wall-time ratio to DuckDB is the highest: the headline figure.</summary>
    private IEnumerable<(string Events, string Case, double Ratio)> Worst() =>
        _results.Where(c => FullLoadSize(c) is not null && WallRatio(c) is not null)
            .GroupBy(c => FullLoadSize(c)!)
            .Select(g => g.OrderByDescending(c => WallRatio(c)).First())
            .Select(c => (FullLoadSize(c)!, c.Case, WallRatio(c)!.Value));

    /// <summary>The incremental case of a kind (<c>day</c> or <c>noop</c>) whose Highwater wall time is the longest, over every shape run.</summary>
    private (string Case, double Wall)? SlowestIncremental(string kind) =>
        _results.Where(c => IncrementalCase().IsMatch(c.Case) && c.Case.StartsWith(kind, StringComparison.Ordinal))
            .Select(c => (c.Case, Wall: c.Engines.First(e => e.Engine == "highwater").Wall))
            .OrderByDescending(c => c.Wall).Cast<(string, double)?>().FirstOrDefault();

    [GeneratedRegex("^(day|noop)[0-9]+(-[a-z]+)?$")]
    private static partial Regex IncrementalCase();

    private static string? FullLoadSize(CaseResult c) => c.Case.StartsWith("full-", StringComparison.Ordinal) ? c.Case.Split('-')[1] : null;

    private static double? WallRatio(CaseResult c)
    {
        var h = c.Engines.FirstOrDefault(e => e.Engine == "highwater");
        var d = c.Engines.FirstOrDefault(e => e.Engine == "duckdb");
        return h is null || d is null ? null : h.Wall / d.Wall;
    }

    private static object? Ratio(CaseResult c)
    {
        var h = c.Engines.FirstOrDefault(e => e.Engine == "highwater");
        var d = c.Engines.FirstOrDefault(e => e.Engine == "duckdb");
        return h is null || d is null ? null : new { wall = h.Wall / d.Wall, cpu = h.Cpu / d.Cpu, peakRss = h.Rss / d.Rss };
    }

    public string Table()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Machine: {Machine()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; median of {o.Runs} runs; load average (1, 5, 15 min) shown per case.");
        sb.AppendLine();
        sb.AppendLine("| case | engine | wall s | CPU s | peak RSS MB | input MB/s | rows/s | Highwater/DuckDB wall | CPU | RSS | load before → after |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var c in _results)
        {
            var ratio = Ratio(c) is { } r ? JsonSerializer.SerializeToElement(r) : (JsonElement?)null;
            foreach (var e in c.Engines)
            {
                var first = e == c.Engines[0];
                sb.Append($"| {(first ? $"{c.Case} ({c.InputBytes / 1e6:F0} MB)" : "")} | {e.Engine} | {e.Wall:F2} | {e.Cpu:F2} | {e.Rss:F0} | ");
                sb.Append(c.InputBytes > 0 ? $"{c.InputBytes / 1e6 / e.Wall:F1} | {c.InputLines / e.Wall:N0} | " : "– | – | ");
                sb.Append(first && ratio is { } x
                    ? $"{x.GetProperty("wall").GetDouble():F2} | {x.GetProperty("cpu").GetDouble():F2} | {x.GetProperty("peakRss").GetDouble():F2} | "
                    : " |  |  | ");
                sb.AppendLine(first ? $"{c.LoadBefore} → {c.LoadAfter} |" : " |");
            }
        }
        sb.AppendLine();
        foreach (var (events, worstCase, ratio) in Worst())
            sb.AppendLine($"Headline, full load of {events} (worst producer shape): {worstCase}, {ratio:F2} x DuckDB's wall time.");
        foreach (var (kind, what) in new[] { ("day", "one new day"), ("noop", "nothing new") })
            if (SlowestIncremental(kind) is { } slowest)
                sb.AppendLine($"Slowest {what} (worst producer shape): {slowest.Case}, {slowest.Wall:F2} s for the whole command.");
        sb.AppendLine();
        sb.AppendLine("Highwater per stage (median seconds, as each stage process reports it):");
        sb.AppendLine();
        string[] stages = ["Discover", "Extract", "Transform", "QualityGate", "PublishMart"];
        sb.AppendLine($"| case | {string.Join(" | ", stages)} |");
        sb.AppendLine($"|---|{string.Concat(stages.Select(_ => "---:|"))}");
        foreach (var c in _results)
        {
            var h = c.Engines.FirstOrDefault(e => e.Engine == "highwater");
            if (h is null) continue;
            sb.Append($"| {c.Case} |");
            foreach (var st in stages)
            {
                var v = h.Runs.Where(r => r.StageSeconds?.ContainsKey(st) == true).Select(r => r.StageSeconds![st]).ToList();
                sb.Append(v.Count > 0 ? $" {Median(v):F2} |" : " – |");
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }

    // ---- helpers ----

    private DataGenerator.Written Generated(string folder, Func<DataGenerator.Written> generate)
    {
        var stamp = Path.Combine(folder, ".complete.json");
        if (File.Exists(stamp)) return JsonSerializer.Deserialize<DataGenerator.Written>(File.ReadAllText(stamp))!;
        Reset(folder);
        DataGenerator.Written written = null!;
        Step($"generating {folder}", () => written = generate());
        Console.WriteLine($"    {written.Files} files, {written.Lines:N0} lines, {written.Bytes / 1e6:F1} MB");
        File.WriteAllText(stamp, JsonSerializer.Serialize(written));
        return written;
    }

    private static void Step(string what, Action action)
    {
        Console.Write($"  {what} ... ");
        var sw = Stopwatch.StartNew();
        action();
        Console.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task StepAsync(string what, Func<Task> action)
    {
        Console.Write($"  {what} ... ");
        var sw = Stopwatch.StartNew();
        await action();
        Console.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Reads every file (a folder: every file under it) once, to bring it into the page cache.</summary>
    private static void ReadOnce(IEnumerable<string> paths)
    {
        foreach (var path in paths)
            foreach (var file in Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories) : [path])
            {
                using var s = File.OpenRead(file);
                s.CopyTo(Stream.Null);
            }
    }

    private static void Reset(string folder)
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, true);
        Directory.CreateDirectory(folder);
    }

    private void Shell(string log, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = o.RepoRoot };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        File.AppendAllText(log, $"$ {file} {string.Join(" ", args)}\n{output}{err.Result}");
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(" ", args)} exited with {p.ExitCode}; see {log}");
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string Human(long n) => n % 1_000_000 == 0 ? $"{n / 1_000_000}M" : n % 1000 == 0 ? $"{n / 1000}k" : n.ToString(CultureInfo.InvariantCulture);

    public static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
    }

    public static string Machine()
    {
        var cpu = "";
        try { cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? ""; }
        catch (IOException) { }
        var mem = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30);
        return $"{Environment.ProcessorCount} cores {cpu}, {mem} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    }
}
