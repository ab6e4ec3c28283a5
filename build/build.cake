// Highwater's build graph: a thin layer of Cake targets over the `highwater` CLI.
// Every stage's logic lives in compiled, unit-tested code (src/); each target runs one CLI command as a
// process and fails when it exits non-zero. Discover writes the batch id (keyed on the manifest version and the new
// file versions) to .highwater/batch-id; whether a stage still has work for it is asked of the CLI (`highwater
// pending`), which checks the stage's stamp, its outputs and, for PublishMart, the warehouse's manifest.

var target = Argument("target", "PublishMart");
var root = MakeAbsolute(Directory(".."));   // Cake's working directory is the script's folder
var work = DirectoryPath.FromString(Argument("work", EnvironmentVariable("HIGHWATER_WORK") ?? ".highwater")).MakeAbsolute(root);
var cli = root.CombineWithFilePath(IsRunningOnWindows() ? "artifacts/highwater/highwater.exe" : "artifacts/highwater/highwater");

// Pipeline arguments, passed through to every stage when given (else the CLI's defaults or HIGHWATER_* apply).
var passThrough = new[] { "landing", "users", "warehouse", "contracts", "lookback-days", "mart-integers", "lease-minutes", "exit-code-when-idle",
        "s3-endpoint", "s3-region", "s3-profile", "s3-path-style", "s3-checksums", "s3-chunked-upload" }
    .Where(name => HasArgument(name))
    .Select(name => $"--{name}={Quote(Argument<string>(name))}")
    .ToList();
passThrough.Add($"--work={Quote(work.FullPath)}");

string Quote(string value) => value.Contains(' ') ? $"\"{value}\"" : value;

// A URL's userinfo never reaches the log: from after "://" (else the option value's start) to the last '@' is masked,
// the rule of src/Highwater.Pipeline/Core/Storage/UserInfoMask.cs. Cake logs a process's arguments through RenderSafe.
string MaskUserInfo(string argument)
{
    var at = argument.LastIndexOf('@');
    if (at < 0) return argument;
    var scheme = argument.IndexOf("://", StringComparison.Ordinal);
    var equals = argument.StartsWith("--") ? argument.IndexOf('=') : -1;
    var start = scheme >= 0 && scheme < at ? scheme + 3 : equals >= 0 && equals < at ? equals + 1 : 0;
    return argument[..start] + "***" + argument[at..];
}

sealed class LoggedArguments(string text, string masked) : IProcessArgument
{
    public string Render() => text;
    public string RenderSafe() => masked;
    public override string ToString() => masked;
}

string BatchId()
{
    var file = work.CombineWithFilePath("batch-id");
    return FileExists(file) ? System.IO.File.ReadAllText(file.FullPath).Trim() : "none";
}

// True when Discover found something new and the stage has not completed this batch yet. The CLI decides
// (`highwater pending`): a stamp alone is not enough, what the stage produced must still be there, and PublishMart
// is done only when the warehouse's manifest records the batch.
// Asked once per run, for every stage, when the first stage target after Discover asks: a stage after a pending one
// is pending too (the CLI's rule), so nothing a stage does can turn a later answer from done to pending.
Dictionary<string, bool> pendingAnswers = null;
bool Pending(string stage)
{
    if (pendingAnswers is null)
    {
        if (BatchId() == "none") return false;
        var args = string.Join(" ", new[] { "pending" }.Concat(passThrough));
        var exit = StartProcess(cli, new ProcessSettings { Arguments = args, WorkingDirectory = root, RedirectStandardOutput = true }, out var lines);
        var answers = lines.Select(line => line.Trim().Split(' ')).Where(parts => parts.Length == 2 && parts[1] is "pending" or "done")
            .ToDictionary(parts => parts[0], parts => parts[1] == "pending");
        if (exit != 0 || answers.Count != 4)
            throw new CakeException(exit != 0 ? exit : 1, $"highwater pending failed with exit code {exit} (see the message above).");
        pendingAnswers = answers;
    }
    return pendingAnswers[stage];
}

void Highwater(string command, params string[] extra)
{
    var verbosity = Context.Log.Verbosity >= Verbosity.Verbose ? "diagnostic" : "normal";
    var parts = new[] { command }.Concat(passThrough).Concat(extra).Append($"--verbosity={verbosity}").ToList();
    var args = new LoggedArguments(string.Join(" ", parts), string.Join(" ", parts.Select(MaskUserInfo)));
    Verbose($"{cli} {args.RenderSafe()}");
    var arguments = new ProcessArgumentBuilder();
    arguments.Append(args);
    var exit = StartProcess(cli, new ProcessSettings { Arguments = arguments, WorkingDirectory = root });
    // Cake exits with a CakeException's code (see the end of this script), so CI can tell a failed gate from a storage error.
    if (exit != 0 && HasArgument("exit-code-when-idle") && exit.ToString() == Argument<string>("exit-code-when-idle"))
        throw new CakeException(exit, $"highwater {command}: nothing to do (exit code {exit}, as --exit-code-when-idle asked).");
    if (exit != 0)
        throw new CakeException(exit, $"highwater {command} failed with exit code {exit} (see the message above).");
}

// A stage target: skipped (and shown as skipped) when it is up to date, unless it is the target asked
// for — Cake fails a run whose own target is skipped, so then it runs and reports that it has nothing to do.
CakeTaskBuilder Stage(string name, string command) =>
    Task(name)
        .WithCriteria(() => target == name || Pending(command), $"{name} is up to date: nothing new, or this batch is done")
        .Does(() =>
        {
            if (!Pending(command)) { Information($"{name}: up to date, nothing to do (batch {BatchId()})."); return; }
            Highwater(command);
        });

Setup(_ =>
{
    EnsureDirectoryExists(work);
    if (!FileExists(cli)) throw new Exception($"{cli} is missing: run ./build.sh (or ./build.ps1), which publishes it.");
});

// Backfill: Discover plans a rebuild scope instead of the new files; every later stage works unchanged.
var backfillArgs = new List<string>();
if (target == "Backfill")
{
    if (HasArgument("full-refresh")) backfillArgs.Add("--full-refresh=true");
    foreach (var name in new[] { "from", "to" })
        if (HasArgument(name)) backfillArgs.Add($"--{name}={Argument<string>(name)}");
    if (backfillArgs.Count == 0)
    {
        throw new CakeException(2, "Backfill needs --from=YYYY-MM-DD --to=YYYY-MM-DD, or --full-refresh."); // a configuration error
    }
}

Task("Discover")
    .Description("List the landing zone and plan every file version not yet processed (a backfill's scope with --target=Backfill).")
    .Does(() => Highwater("discover", backfillArgs.ToArray()));

Stage("Extract", "extract")
    .Description("Stream the new files into the columnar staging batch; quarantine malformed lines.")
    .IsDependentOn("Discover");

Stage("Transform", "transform")
    .Description("Join to users, compute total_price and dt, rebuild touched partitions and daily KPIs.")
    .IsDependentOn("Extract");

Stage("QualityGate", "gate")
    .Description("Check the rebuilt partitions against data-contracts/; an error-level failure stops the run.")
    .IsDependentOn("Transform");

Stage("PublishMart", "publish")
    .Description("Commit the partitions to gold/ atomically, then advance the manifest.")
    .IsDependentOn("QualityGate");

Task("Backfill")
    .Description("Reprocess every landed file of --from..--to (or everything with --full-refresh) and rewrite those partitions through the gate and commit path.")
    .IsDependentOn("PublishMart")
    .Does(() => Information(backfillArgs.Any(a => a.StartsWith("--full-refresh"))
        ? "Backfill: full refresh done."
        : $"Backfill: {string.Join(" ", backfillArgs)} done."));

Task("ValidateContracts")
    .Description("Validate every YAML contract in data-contracts/ (file, line and column on error).")
    .Does(() => Highwater("validate-contracts"));

Task("Status")
    .Description("Watermark, last run, pending files, partitions, last gate verdict (--format=json for scripts).")
    .Does(() => Highwater("status", HasArgument("format") ? $"--format={Argument<string>("format")}" : "--format=text"));

Task("Plan")
    .Description("Show what a run would do: the files it would take and the partitions it would rewrite; writes nothing.")
    .Does(() => Highwater("plan", HasArgument("format") ? $"--format={Argument<string>("format")}" : "--format=text"));

Task("Clean")
    .Description("Remove the local work area and build artifacts (the warehouse is left alone).")
    .Does(() =>
    {
        if (DirectoryExists(work)) DeleteDirectory(work, new DeleteDirectorySettings { Recursive = true, Force = true });
        Information($"Removed {work}");
    });

Task("Benchmark")
    .Description("Generate a seeded data set and time the whole PublishMart command against the same job in DuckDB (see benchmarks/README.md).")
    .Does(() =>
    {
        // Thin: every --bench-<option>=value is passed to the benchmark as --<option>=value.
        var options = new[] { "events", "days", "users", "runs", "cases", "history-events-per-day", "seed", "duckdb-threads", "data-dir", "out-dir", "shapes" }
            .Where(name => HasArgument($"bench-{name}"))
            .Select(name => $"--{name}={Quote(Argument<string>($"bench-{name}"))}");
        var exit = StartProcess("dotnet", new ProcessSettings
        {
            Arguments = $"run --project {root.CombineWithFilePath("benchmarks/Highwater.Benchmarks/Highwater.Benchmarks.csproj")} -c Release -- " + string.Join(" ", options),
            WorkingDirectory = root,
        });
        if (exit != 0) throw new Exception($"the benchmark failed with exit code {exit}.");
    });

Task("Test")
    .Description("Install the test tools (s3rver, awscli), then run every test: unit, contract, snapshot, end-to-end and S3.")
    .Does(() =>
    {
        var install = StartProcess("bash", new ProcessSettings { Arguments = "scripts/install-test-tools.sh", WorkingDirectory = root });
        if (install != 0) throw new Exception($"scripts/install-test-tools.sh failed with exit code {install}.");
        var results = root.Combine("artifacts/test-results");
        if (DirectoryExists(results)) DeleteDirectory(results, new DeleteDirectorySettings { Recursive = true, Force = true });
        var exit = StartProcess("dotnet", new ProcessSettings
        {
            // One TRX per test project, each under its own default (unique) name: a fixed LogFileName would be
            // overwritten by the next project's.
            Arguments = $"test {root.CombineWithFilePath("Highwater.slnx")} -c Release --logger \"console;verbosity=normal\" " +
                        $"--logger trx --results-directory {results}",
            WorkingDirectory = root,
        });
        // One plain closing line for CI: the TRX counters summed over every test project.
        int passed = 0, failed = 0, skipped = 0;
        foreach (var trx in GetFiles($"{results}/**/*.trx"))
        {
            var counters = System.Xml.Linq.XDocument.Load(trx.FullPath).Descendants().First(e => e.Name.LocalName == "Counters");
            int Count(string name) => int.Parse(counters.Attribute(name)?.Value ?? "0");
            (passed, failed, skipped) = (passed + Count("passed"), failed + Count("failed"), skipped + Count("notExecuted"));
        }
        System.Console.WriteLine($"Tests: {passed} passed, {failed} failed, {skipped} skipped");
        if (exit != 0) throw new Exception($"dotnet test failed with exit code {exit}.");
    });

// Cake's --dryrun (also --noop, --whatif) lists the tasks without running them; show what the run would do
// with the data as well, by asking the CLI for the plan (which writes nothing).
// Cake keeps its own options out of Arguments, so read them from the command line.
var dryRun = System.Environment.GetCommandLineArgs().Any(a => a is "--dryrun" or "--noop" or "--whatif" || a.StartsWith("--dryrun=") || a.StartsWith("--noop=") || a.StartsWith("--whatif="));
if (dryRun)
{
    if (!FileExists(cli)) throw new Exception($"{cli} is missing: run ./build.sh (or ./build.ps1), which publishes it.");
    Information($"Dry run of target {target}: what the pipeline would do now (nothing is written):");
    Highwater("plan", HasArgument("format") ? $"--format={Argument<string>("format")}" : "--format=text");
}

// A task's exception reaches here wrapped (CakeReportException); Cake exits with the code of a CakeException thrown
// from the script itself, so the CLI's exit code found inside becomes build.sh's and build.ps1's.
try
{
    RunTarget(target);
}
catch (Exception failure)
{
    for (var inner = failure; inner is not null; inner = inner.InnerException)
        if (inner is CakeException { ExitCode: not 1 } coded) throw new CakeException(coded.ExitCode, coded.Message);
    throw;
}
