using System.Globalization;
using System.Text;
using System.Text.Json;
using Highwater.Benchmarks;

// highwater-bench [run] [--events=1M,10M] [--days=30] [--users=1M] [--runs=5] [--cases=full,day30,noop30,day300,noop300] [--shapes=..]
//                 [--history-events-per-day=N] [--seed=42] [--duckdb-threads=0] [--data-dir=..] [--out-dir=..]
// Internal verbs (the benchmark starts itself with them): measure <result-file> -- <command...>,
//                 duckdb-job <files-list> <users-dir> <out-dir> <threads>, generate <landing> <users-dir>,
//                 generate-events <landing> <shape> <events> [days], generate-users <folder> [users]
// Profiling verbs: profile-extract <landing> [max], profile-transform <staging> <users>,
//                 profile-gate <mart-folder> [kpi-folder] [--generate[=10M]] [--contracts=dir]
switch (args.FirstOrDefault())
{
    case "measure":
        return ChildMeasure.RunVerb(args[1], args[3..]);
    case "duckdb-job":
        return DuckDbJob.RunVerb(args[1], args[2], args[3], int.Parse(args[4], CultureInfo.InvariantCulture));
    case "profile-extract":
        return await ExtractProfile.RunVerb(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : int.MaxValue);
    case "generate-events": // <landing> <shape> <events> [days]: one shape's events, for profile-extract
        var days = args.Length > 4 ? (int)Options.Count(args[4]) : 30;
        Console.WriteLine(new DataGenerator(42, 1_000_000, ProducerShape.Named(args[2])).WriteEvents(args[1], 0, days, Options.Count(args[3]) / days));
        return 0;
    case "generate-users": // <folder> [users]: the user dimension the events join to (default 1M users)
        await new DataGenerator(42, args.Length > 2 ? Options.Count(args[2]) : 1_000_000).WriteUsersAsync(args[1]);
        return 0;
    case "profile-gate":
        return await GateProfile.RunVerb(args[1..]);
    case "--help" or "-h" or "help":
        Console.WriteLine(Options.Usage);
        return 0;
    default:
        var options = Options.Parse(args.SkipWhile(a => a == "run").ToArray());
        return await new Bench(options).RunAsync();
}

namespace Highwater.Benchmarks
{
    public sealed record Options(
        List<long> Events, int Days, long Users, int Runs, List<string> Cases, long HistoryEventsPerDay,
        int Seed, int DuckDbThreads, string DataDir, string OutDir, string RepoRoot, List<ProducerShape> Shapes)
    {
        public const string Usage = """
            highwater-bench: Highwater's whole PublishMart command against the same job in DuckDB.
              --events=1M,10M            full-load sizes (events in --days days); k/M suffixes
              --days=30                  days of the full loads and of the short history
              --users=1M                 users in the dimension
              --runs=5                   measured runs per case and engine, in alternation (median reported)
              --cases=full,day30,noop30,day300,noop300
              --history-events-per-day=N events per day in the incremental cases (default: smallest --events / --days)
              --shapes=shipped,millis,python,dotnet,go,mixed
                                         producer shapes of the full loads (see ProducerShape); the headline is the worst
              --seed=42  --duckdb-threads=0 (DuckDB's default: every core)
              --data-dir=artifacts/benchmark/data  --out-dir=artifacts/benchmark
            """;

        public static Options Parse(string[] args)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var a in args)
            {
                if (!a.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{a}'\n{Usage}");
                var eq = a.IndexOf('=');
                map[eq < 0 ? a[2..] : a[2..eq]] = eq < 0 ? "true" : a[(eq + 1)..];
            }
            var root = FindRepoRoot();
            string Get(string k, string d) => map.Remove(k, out var v) && v.Length > 0 ? v : d;
            var events = Get("events", "1M,10M").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Count).ToList();
            var days = (int)Count(Get("days", "30"));
            var o = new Options(
                events, days, Count(Get("users", "1M")), (int)Count(Get("runs", "5")),
                Get("cases", "full,day30,noop30,day300,noop300").Split(',', StringSplitOptions.RemoveEmptyEntries).ToList(),
                Count(Get("history-events-per-day", (events.Min() / days).ToString(CultureInfo.InvariantCulture))),
                (int)Count(Get("seed", "42")), (int)Count(Get("duckdb-threads", "0")),
                Path.GetFullPath(Get("data-dir", Path.Combine(root, "artifacts/benchmark/data"))),
                Path.GetFullPath(Get("out-dir", Path.Combine(root, "artifacts/benchmark"))), root,
                Get("shapes", string.Join(",", ProducerShape.All.Select(s => s.Name))).Split(',', StringSplitOptions.RemoveEmptyEntries)
                    .Select(ProducerShape.Named).ToList());
            if (map.Count > 0) throw new ArgumentException($"unknown option(s): {string.Join(", ", map.Keys)}\n{Usage}");
            return o;
        }

        public static long Count(string text)
        {
            text = text.Trim().Replace("_", "");
            var mult = char.ToUpperInvariant(text[^1]) switch { 'K' => 1_000L, 'M' => 1_000_000L, 'G' => 1_000_000_000L, _ => 1L };
            if (mult > 1) text = text[..^1];
            return (long)(double.Parse(text, CultureInfo.InvariantCulture) * mult);
        }

        private static string FindRepoRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Highwater.slnx"))) return dir.FullName;
            for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Highwater.slnx"))) return dir.FullName;
            throw new InvalidOperationException("Highwater.slnx not found above the benchmark or the current folder.");
        }
    }
}
