using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.EndToEnd;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BuildScriptCollection
{
    public const string Name = "build.sh";
}

/// <summary>
/// Drives ./build.sh as a process, as CI does, over a landing zone, warehouse and work area of its own,
/// and reads the published mart back with DuckDB.
/// </summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "build.sh")]
[Collection(BuildScriptCollection.Name)]
public sealed class BuildScriptTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private readonly TempFolder _temp = new("e2e");
    private readonly string _landing;
    private readonly string _warehouse;
    private readonly string _users = RepoRoot.Combine("samples", "users");

    public BuildScriptTests()
    {
        _landing = _temp.Combine("landing");
        _warehouse = _temp.Combine("warehouse");
    }

    private BuildScript.Result Run(string target, params string[] extra) => BuildScript.Run(
        [$"--target={target}", $"--landing={_landing}", $"--users={_users}", $"--warehouse={_warehouse}", $"--work={_temp.Combine("work")}", .. extra]);

    private string Gold => Path.Combine(_warehouse, "gold");
    private string ManifestFile => Path.Combine(_warehouse, "_highwater", "manifest.json");

    [Fact]
    public void Sample_run_publishes_both_days_loses_no_line_and_a_rerun_changes_nothing()
    {
        TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _landing);

        var first = Run("PublishMart");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(Directory.Exists(Path.Combine(Gold, "sales_mart", "dt=2026-01-25")), first.ToString());
        Assert.True(Directory.Exists(Path.Combine(Gold, "sales_mart", "dt=2026-01-26")), first.ToString());

        using var db = new DuckDb();
        // Every non-blank input line is either in the mart or in quarantine with a reason.
        var inputLines = Directory.EnumerateFiles(Path.Combine(_landing, "events"), "*.json", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines).Count(l => l.Trim().Length > 0);
        var martRows = db.Scalar<long>($"SELECT count(*) FROM {DuckDb.Mart(_warehouse)}");
        var quarantined = Directory.EnumerateFiles(Path.Combine(_warehouse, "quarantine"), "*.ndjson", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines).ToList();
        Assert.Equal(inputLines, martRows + quarantined.Count);
        Assert.All(quarantined, q => Assert.Contains("\"reason\":", q));
        Assert.Contains(quarantined, q => q.Contains("unknown user_id", StringComparison.Ordinal));

        // Types as Spark, Athena and DuckDB expect them, with no hints.
        var types = db.Rows($"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {DuckDb.Mart(_warehouse)})");
        Assert.Contains("event_ts|TIMESTAMP WITH TIME ZONE", types);
        Assert.Contains("total_price|DECIMAL(18,2)", types);
        Assert.Contains("unit_price|DECIMAL(18,2)", types);
        Assert.Contains("order_id|VARCHAR", types);
        Assert.Contains("signup_date|DATE", types);

        // KPIs agree with the mart they summarise.
        Assert.Equal(
            db.Rows($"SELECT dt, sum(total_price), count(*) FROM {DuckDb.Mart(_warehouse)} GROUP BY dt ORDER BY dt"),
            db.Rows($"SELECT dt, sum(revenue), sum(orders) FROM {DuckDb.Kpi(_warehouse)} GROUP BY dt ORDER BY dt"));

        var goldBefore = BuildScript.Fingerprint(_warehouse);
        var second = Run("PublishMart");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(goldBefore, BuildScript.Fingerprint(_warehouse));
        Assert.Contains("Discover: nothing new", second.Output);
        foreach (var stage in new[] { "Extract", "Transform", "QualityGate" })
            Assert.Matches($@"{stage}\s+-\s+Skipped", second.Output);
    }

    [Fact]
    public void A_reset_warehouse_with_a_cached_work_area_is_published_again()
    {
        TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _landing);
        var first = Run("PublishMart");
        Assert.True(first.ExitCode == 0, first.ToString());
        using var db = new DuckDb();
        var rows = db.Rows($"SELECT * FROM {DuckDb.Mart(_warehouse)} ORDER BY ALL");

        // A CI runner restores its cached work area while the bucket was reset: the stamps say done, the warehouse is empty.
        Directory.Delete(_warehouse, recursive: true);
        var second = Run("PublishMart");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.True(File.Exists(ManifestFile), second.ToString());
        Assert.Contains("the warehouse's manifest does not record it", second.Output);
        foreach (var stage in new[] { "Extract", "Transform", "QualityGate" })
            Assert.Matches($@"{stage}\s+-\s+Skipped", second.Output); // their outputs are still in the work area
        Assert.Equal(rows, db.Rows($"SELECT * FROM {DuckDb.Mart(_warehouse)} ORDER BY ALL"));
    }

    [Fact]
    public void A_new_file_for_a_day_already_published_merges_into_that_day_only()
    {
        EventFixtures.LandDay(_landing, Day1, "file_a.json", 300, seed: 1, orderPrefix: "A");
        EventFixtures.LandDay(_landing, Day2, "file_b.json", 300, seed: 2, orderPrefix: "B");
        var first = Run("PublishMart");
        Assert.True(first.ExitCode == 0, first.ToString());
        var day2Before = BuildScript.Fingerprint(Path.Combine(Gold, "sales_mart", "dt=2026-01-26"));

        // A new file for day 1: new orders, and a later version of one order published before.
        var lines = File.ReadLines(EventFixtures.LandDay(_landing, Day1, "file_c.json", 50, seed: 3, orderPrefix: "C")).ToList();
        lines.Add(EventFixtures.Event("A-00007", 1001, Day1.ToDateTime(new TimeOnly(12, 0), DateTimeKind.Utc),
            Day1.ToDateTime(new TimeOnly(23, 59), DateTimeKind.Utc), qty: 9, unitPrice: 10.00m));
        EventFixtures.Land(_landing, Day1, "file_c.json", lines);

        var second = Run("PublishMart");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(day2Before, BuildScript.Fingerprint(Path.Combine(Gold, "sales_mart", "dt=2026-01-26")));

        using var db = new DuckDb();
        var recomputed = DuckDb.RecomputedMart(_landing, _users);
        Assert.Equal(
            db.Rows($"SELECT dt, count(*), sum(total_price), sum(qty) FROM {recomputed} GROUP BY dt ORDER BY dt"),
            db.Rows($"SELECT dt, count(*), sum(total_price), sum(qty) FROM {DuckDb.Mart(_warehouse)} GROUP BY dt ORDER BY dt"));
        Assert.Equal(["9|90.00"], db.Rows($"SELECT qty, total_price FROM {DuckDb.Mart(_warehouse)} WHERE order_id = 'A-00007'"));
        Assert.Single(Directory.GetFiles(Path.Combine(Gold, "sales_mart", "dt=2026-01-25")));
    }

    [Fact]
    public void A_failing_quality_gate_stops_the_run_and_leaves_gold_and_the_manifest_as_they_were()
    {
        EventFixtures.LandDay(_landing, Day1, "file_a.json", 100, seed: 4, orderPrefix: "A");
        var first = Run("PublishMart");
        Assert.True(first.ExitCode == 0, first.ToString());
        var before = BuildScript.Fingerprint(_warehouse);

        var at = Day2.ToDateTime(new TimeOnly(10, 0), DateTimeKind.Utc);
        var good = EventFixtures.Event("B-1", 1002, at, at.AddMinutes(5), 1, 2.50m);
        var nullOrder = EventFixtures.Event("B-2", 1003, at, at.AddMinutes(5), 1, 2.50m).Replace("\"B-2\"", "null");
        EventFixtures.Land(_landing, Day2, "file_b.json", [good, nullOrder]);

        var failed = Run("PublishMart");
        Assert.Equal(3, failed.ExitCode);
        Assert.Contains("order_id", failed.Output);
        Assert.Contains("not_null", failed.Output);
        Assert.Equal(before, BuildScript.Fingerprint(_warehouse));
        Assert.DoesNotContain("dt=2026-01-26", string.Join("\n", Directory.EnumerateDirectories(Gold, "*", SearchOption.AllDirectories)));
    }

    [Fact]
    public void QualityGate_target_runs_the_stages_it_needs_and_stops_before_publishing()
    {
        EventFixtures.LandDay(_landing, Day1, "file_a.json", 50, seed: 5, orderPrefix: "A");
        var gate = Run("QualityGate");
        Assert.True(gate.ExitCode == 0, gate.ToString());
        foreach (var stage in new[] { "Discover", "Extract", "Transform", "QualityGate" })
            Assert.Matches($@"{stage}\s+[\d:.]+\s+Succeeded", gate.Output);
        Assert.DoesNotContain("PublishMart", gate.Output);
        Assert.False(Directory.Exists(Gold));
        Assert.False(File.Exists(ManifestFile));

        var publish = Run("PublishMart");
        Assert.True(publish.ExitCode == 0, publish.ToString());
        foreach (var stage in new[] { "Extract", "Transform", "QualityGate" })
            Assert.Matches($@"{stage}\s+-\s+Skipped", publish.Output);
        Assert.True(File.Exists(ManifestFile));
    }

    [Fact]
    public void S3_locations_are_parsed_and_a_bad_option_is_a_configuration_error()
    {
        var result = Run("Discover", "--landing=ftp://nowhere/x");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--landing=ftp://nowhere/x", result.Output);
    }

    [Fact]
    public void Dryrun_and_the_Plan_target_show_files_and_partitions_and_write_nothing()
    {
        TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _landing);

        var dry = Run("PublishMart", "--dryrun");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("events/2026-01-25/file_a.json", dry.Output);
        Assert.Contains("partitions that would be rewritten (estimate): dt=2026-01-25, dt=2026-01-26", dry.Output);
        Assert.Contains("No tasks were actually executed", dry.Output);
        Assert.False(Directory.Exists(_warehouse));

        var plan = Run("Plan");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("events/2026-01-26/file_b.json", plan.Output);
        Assert.Matches(@"Plan\s+[\d:.]+\s+Succeeded", plan.Output);
        Assert.False(Directory.Exists(_warehouse));
    }

    [Fact]
    public void A_no_op_run_succeeds_and_exits_with_the_idle_code_only_when_asked()
    {
        EventFixtures.LandDay(_landing, Day1, "file_a.json", 20, seed: 8, orderPrefix: "A");
        var first = Run("PublishMart", "--exit-code-when-idle=10");
        Assert.True(first.ExitCode == 0, first.ToString());

        var noop = Run("PublishMart");
        Assert.True(noop.ExitCode == 0, noop.ToString());

        var idle = Run("PublishMart", "--exit-code-when-idle=10");
        Assert.True(idle.ExitCode == 10, idle.ToString());
        Assert.Contains("nothing to do", idle.Output);
    }

    [Fact]
    public void Cake_starts_from_a_copy_of_the_tool_compiled_ahead_of_time()
    {
        var result = Run("ValidateContracts");
        Assert.True(result.ExitCode == 0, result.ToString());

        // build.sh remembers the assembly it starts: the ReadyToRun copy it made, not the IL tool package.
        var cake = File.ReadAllLines(RepoRoot.Combine("artifacts", "cake-launcher"))[1];
        Assert.StartsWith(RepoRoot.Combine("artifacts", "cake") + Path.DirectorySeparatorChar, cake);
        foreach (var name in new[] { "Cake.dll", "Cake.Core.dll", "Cake.Common.dll", "Cake.Cli.dll", "Spectre.Console.dll" })
        {
            using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(Path.GetDirectoryName(cake)!, name)));
            Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{name} next to {cake} has no ReadyToRun code");
        }
    }

    public void Dispose() => _temp.Dispose();
}
