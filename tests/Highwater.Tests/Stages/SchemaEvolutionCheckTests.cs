using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Highwater.Cli;
using Highwater.Tests.Support;
using Xunit;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Discover;
using Highwater.Pipeline.Publish;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Tests.Stages;

/// <summary>
/// A contract change the published mart cannot take stops the run at its start (exit 2, naming the column, the published
/// and declared types, a file and the way out) with the warehouse byte for byte as it was; the changes the evolution
/// table allows pass. Contracts are copies of data-contracts/ with one line edited.
/// </summary>
public sealed class SchemaEvolutionCheckTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private readonly PipelineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private string Contracts => _h.WorkRoot + "-contracts";

    /// <summary>Publishes one day with the shipped contracts, lands a second, and points the harness at a copy of the contracts.</summary>
    private async Task PublishThenLandAsync()
    {
        EventFixtures.LandDay(_h.Landing, Day1, "a.json", 20, seed: 1, "A");
        var first = await _h.CliAsync("run");
        Assert.True(first.Code == 0, first.Out + first.Err);
        EventFixtures.LandDay(_h.Landing, Day2, "b.json", 20, seed: 2, "B");
        TempFolder.CopyDirectory(RepoRoot.Combine("data-contracts"), Contracts);
        _h.ContractsOverride = Contracts;
    }

    /// <summary>Replaces the one line declaring <paramref name="column"/> in the copied contract by <paramref name="edit"/>'s result (null: removes it).</summary>
    private void EditColumn(string dataset, string column, Func<string, string?> edit)
    {
        var path = Path.Combine(Contracts, dataset + ".yaml");
        var lines = File.ReadAllLines(path).ToList();
        var at = lines.FindIndex(l => l.Contains($"{{name: {column},", StringComparison.Ordinal));
        Assert.True(at >= 0, $"{column} is not declared in {path}");
        var edited = edit(lines[at]);
        Assert.NotEqual(lines[at], edited);
        if (edited is null) lines.RemoveAt(at);
        else lines[at] = edited;
        File.WriteAllLines(path, lines);
    }

    private void Retype(string dataset, string column, string from, string to) =>
        EditColumn(dataset, column, l => l.Replace($"type: {from},", $"type: {to},", StringComparison.Ordinal));

    /// <summary>Declares a new column after <paramref name="after"/>, as a copy of its line with name and type changed.</summary>
    private void AddColumn(string dataset, string after, string name, string type, bool nullable)
    {
        var path = Path.Combine(Contracts, dataset + ".yaml");
        var lines = File.ReadAllLines(path).ToList();
        var at = lines.FindIndex(l => l.Contains($"{{name: {after},", StringComparison.Ordinal));
        Assert.True(at >= 0);
        var line = Regex.Replace(lines[at], @"\{name: [a-z_]+, type: [^,]+(\([^)]*\))?[^,]*, nullable: (true|false),",
            $"{{name: {name}, type: \"{type}\", nullable: {(nullable ? "true" : "false")},");
        Assert.Contains($"name: {name},", line);
        lines.Insert(at + 1, line);
        File.WriteAllLines(path, lines);
    }

    /// <summary>Every file under the warehouse (gold/, _highwater/manifest.json and the rest) with a hash of its bytes.</summary>
    private Dictionary<string, string> WarehouseBytes() =>
        Directory.EnumerateFiles(_h.WarehouseRoot, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(_h.WarehouseRoot, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    /// <summary>Runs the whole pipeline and asserts it is refused at the start: exit 2, nothing in the warehouse changed.</summary>
    private async Task<string> RefusedAsync()
    {
        var before = WarehouseBytes();
        Assert.Contains(Path.Combine("_highwater", "manifest.json"), before.Keys);
        Assert.Contains(before.Keys, k => k.StartsWith(Path.Combine("gold", "sales_mart"), StringComparison.Ordinal));
        var run = await _h.CliAsync("run");
        Assert.True(run.Code == ExitCodes.Configuration, run.Out + run.Err);
        Assert.Equal(before, WarehouseBytes());
        Assert.DoesNotContain("Extract:", run.Out);
        Assert.Contains("Way out: revert the change to " + Path.Combine(Contracts, "sales_mart.yaml"), run.Err);
        Assert.Contains("./build.sh --target=Backfill --full-refresh", run.Err);
        return run.Err;
    }

    private static void AssertRefusal(string err, string column, string published, string declared, string reason)
    {
        var m = Regex.Match(err, $@"^  sales_mart\.{column}: published {Regex.Escape(published)} \(e\.g\. (gold/sales_mart/dt=\d{{4}}-\d\d-\d\d/part-[^ ]+\.parquet)\), declared {Regex.Escape(declared)}: (.*)$", RegexOptions.Multiline);
        Assert.True(m.Success, err);
        Assert.Contains(reason, m.Groups[2].Value);
    }

    /// <summary>Discover alone (the start of every run): passes when the contract fits what is published.</summary>
    private async Task PassesAsync()
    {
        var discover = await _h.CliAsync("discover", "--verbosity=diagnostic");
        Assert.True(discover.Code == 0, discover.Out + discover.Err);
        Assert.Contains("schema evolution: sales_mart: ", discover.Out);
        Assert.Contains("the contract fits", discover.Out);
        Assert.True(File.Exists(Path.Combine(_h.WorkRoot, "plan.json")));
    }

    [Fact]
    public async Task A_new_nullable_column_passes()
    {
        await PublishThenLandAsync();
        AddColumn("sales_mart", "channel", "coupon_code", "string", nullable: true);
        AddColumn("kpi_daily", "revenue", "discount_total", "decimal(18,2)", nullable: true);
        var kpi = Path.Combine(Contracts, "kpi_daily.yaml");
        File.WriteAllText(kpi, File.ReadAllText(kpi).Replace("    revenue: sum(coalesce(total_price, 0))\n",
            "    revenue: sum(coalesce(total_price, 0))\n    discount_total: sum(coalesce(total_price, 0))\n", StringComparison.Ordinal));
        await PassesAsync();
    }

    [Theory]
    [InlineData("qty", "int32", "int64")]
    [InlineData("unit_price", "\"decimal(18,2)\"", "\"decimal(20,2)\"")]
    [InlineData("unit_price", "\"decimal(18,2)\"", "\"decimal(19,3)\"")]
    [InlineData("total_price", "\"decimal(18,2)\"", "\"decimal(38,10)\"")]
    public async Task A_widening_from_the_table_passes(string column, string from, string to)
    {
        await PublishThenLandAsync();
        Retype("sales_mart", column, from, to);
        await PassesAsync();
    }

    [Fact]
    public async Task Relaxing_nullability_passes()
    {
        await PublishThenLandAsync();
        EditColumn("sales_mart", "user_id", l => l.Replace("nullable: false", "nullable: true", StringComparison.Ordinal));
        await PassesAsync();
    }

    [Fact]
    public async Task A_new_required_column_is_refused()
    {
        await PublishThenLandAsync();
        AddColumn("sales_mart", "channel", "coupon_code", "string", nullable: false);
        var err = await RefusedAsync();
        AssertRefusal(err, "coupon_code", "without it", "string nullable: false", "a new column must be nullable");
    }

    [Fact]
    public async Task Dropping_a_column_is_refused()
    {
        await PublishThenLandAsync();
        EditColumn("sales_mart", "sku", _ => null);
        var err = await RefusedAsync();
        AssertRefusal(err, "sku", "string nullable: true", "nothing (not in the contract)", "dropping a published column");
    }

    [Theory]
    [InlineData("user_id", "int64", "int32", "int64 nullable: false", "int32 nullable: false")]
    [InlineData("unit_price", "\"decimal(18,2)\"", "\"decimal(18,3)\"", "decimal(18,2) nullable: true", "decimal(18,3) nullable: true")]
    [InlineData("unit_price", "\"decimal(18,2)\"", "\"decimal(20,1)\"", "decimal(18,2) nullable: true", "decimal(20,1) nullable: true")]
    public async Task Narrowing_a_type_is_refused(string column, string from, string to, string published, string declared)
    {
        await PublishThenLandAsync();
        Retype("sales_mart", column, from, to);
        var err = await RefusedAsync();
        AssertRefusal(err, column, published, declared, "a narrower type cannot hold every value already published");
    }

    [Theory]
    [InlineData("signup_date", "date", "timestamp", "date nullable: true", "timestamp nullable: true")]
    [InlineData("sku", "string", "int64", "string nullable: true", "int64 nullable: true")]
    public async Task An_incompatible_type_change_is_refused(string column, string from, string to, string published, string declared)
    {
        await PublishThenLandAsync();
        Retype("sales_mart", column, from, to);
        var err = await RefusedAsync();
        AssertRefusal(err, column, published, declared, "not a widening the evolution table allows (int32 -> int64; decimal(p,s) -> decimal(p2,s2)");
    }

    [Fact]
    public async Task Retyping_a_column_a_derivation_reads_is_refused_when_the_contract_loads()
    {
        // qty feeds total_price's derivation: the contract itself no longer holds, before any published file is compared.
        await PublishThenLandAsync();
        var before = WarehouseBytes();
        Retype("sales_mart", "qty", "int32", "string");
        var run = await _h.CliAsync("run");
        Assert.True(run.Code == ExitCodes.Configuration, run.Out + run.Err);
        Assert.Contains(Path.Combine(Contracts, "sales_mart.yaml") + ":", run.Err);
        Assert.Contains("derived column 'total_price'", run.Err);
        Assert.Contains("qty", run.Err);
        Assert.DoesNotContain("Extract:", run.Out);
        Assert.Equal(before, WarehouseBytes());
    }

    [Fact]
    public async Task Tightening_nullability_is_refused()
    {
        await PublishThenLandAsync();
        EditColumn("sales_mart", "qty", l => l.Replace("nullable: true", "nullable: false", StringComparison.Ordinal));
        var err = await RefusedAsync();
        AssertRefusal(err, "qty", "int32 nullable: true", "int32 nullable: false", "nullability may relax");
    }

    [Fact]
    public async Task Every_refused_change_is_listed_once()
    {
        await PublishThenLandAsync();
        EditColumn("sales_mart", "sku", _ => null);
        Retype("sales_mart", "signup_date", "date", "timestamp");
        var err = await RefusedAsync();
        Assert.Contains("change 2 published column(s)", err);
        Assert.Single(Regex.Matches(err, @"^  sales_mart\.sku:", RegexOptions.Multiline));
        Assert.Single(Regex.Matches(err, @"^  sales_mart\.signup_date:", RegexOptions.Multiline));
    }

    [Fact]
    public async Task A_full_refresh_is_the_way_out_of_a_refused_change()
    {
        await PublishThenLandAsync();
        EditColumn("sales_mart", "sku", _ => null);
        Assert.Equal(ExitCodes.Configuration, (await _h.CliAsync("discover")).Code);

        var refresh = await _h.CliAsync("discover", "--full-refresh", "--verbosity=diagnostic");
        Assert.True(refresh.Code == 0, refresh.Out + refresh.Err);
        Assert.Contains("schema evolution: sales_mart: 0 footer(s) read of 1 published file(s) (0 not written by a run): a full refresh rewrites them", refresh.Out);
    }

    [Fact]
    public async Task An_empty_warehouse_passes_whatever_the_contract_declares()
    {
        EventFixtures.LandDay(_h.Landing, Day1, "a.json", 5, seed: 1, "A");
        TempFolder.CopyDirectory(RepoRoot.Combine("data-contracts"), Contracts);
        _h.ContractsOverride = Contracts;
        AddColumn("sales_mart", "channel", "coupon_code", "string", nullable: false);

        var discover = await _h.CliAsync("discover", "--verbosity=diagnostic");

        Assert.True(discover.Code == 0, discover.Out + discover.Err);
        Assert.Contains("Discover: ", discover.Out);
        Assert.DoesNotContain("schema evolution", discover.Out);
    }

    [Fact]
    public async Task A_partition_written_by_DuckDB_with_an_extra_column_is_seen()
    {
        await PublishThenLandAsync();
        var published = Directory.EnumerateFiles(Path.Combine(_h.WarehouseRoot, "gold", "sales_mart"), "*.parquet", SearchOption.AllDirectories).First();
        var foreign = Path.Combine(_h.WarehouseRoot, "gold", "sales_mart", "dt=2026-01-24", "from-duckdb.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(foreign)!);
        using (var db = new DuckDb())
            db.Execute($"COPY (SELECT *, 'SPRING' AS coupon_code FROM read_parquet('{published}') LIMIT 3) TO '{foreign}' (FORMAT parquet)");

        var err = await RefusedAsync();

        var line = err.Split('\n').Single(l => l.StartsWith("  sales_mart.coupon_code:", StringComparison.Ordinal));
        Assert.Contains("published string nullable: true (e.g. gold/sales_mart/dt=2026-01-24/from-duckdb.parquet), declared nothing (not in the contract)", line);
        Assert.Contains("[a file no Highwater run wrote: a full refresh keeps it; remove it or rewrite it with the contract's schema]", line);

        File.Delete(foreign);
        Directory.Delete(Path.GetDirectoryName(foreign)!);
        await PassesAsync();
    }

    [Fact]
    public async Task A_DuckDB_partition_written_with_the_evolved_schema_passes_and_reads_with_the_old_ones()
    {
        await PublishThenLandAsync();
        Retype("sales_mart", "qty", "int32", "int64");
        Retype("sales_mart", "unit_price", "\"decimal(18,2)\"", "\"decimal(20,2)\"");
        AddColumn("sales_mart", "channel", "coupon_code", "string", nullable: true);
        foreach (var column in new[] { "user_id", "event_ts", "arrival_ts", "source_key" }) // DuckDB writes every column nullable
            EditColumn("sales_mart", column, l => l.Replace("nullable: false", "nullable: true", StringComparison.Ordinal));
        var mart = Path.Combine(_h.WarehouseRoot, "gold", "sales_mart");
        var published = Directory.EnumerateFiles(mart, "*.parquet", SearchOption.AllDirectories).Single();
        var foreign = Path.Combine(mart, "dt=2026-01-24", "from-duckdb.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(foreign)!);
        using var db = new DuckDb();
        db.Execute($"COPY (SELECT * REPLACE (qty::BIGINT AS qty, unit_price::DECIMAL(20,2) AS unit_price), 'SPRING' AS coupon_code " +
                   $"FROM read_parquet('{published}') LIMIT 3) TO '{foreign}' (FORMAT parquet)");

        await PassesAsync();

        var glob = $"read_parquet('{mart}/*/*.parquet', hive_partitioning = true, union_by_name = true)";
        Assert.Equal(["BIGINT|DECIMAL(20,2)"], db.Rows($"SELECT DISTINCT typeof(qty), typeof(unit_price) FROM {glob}"));
        Assert.Equal(["2026-01-24|3", "2026-01-25|0"], db.Rows($"SELECT dt, count(coupon_code) FROM {glob} GROUP BY dt ORDER BY dt"));
    }

    [Fact]
    public async Task The_sample_is_the_oldest_run_the_newest_runs_and_every_file_no_run_wrote()
    {
        using var temp = new TempFolder("evolution-sample");
        var store = new LocalFolderStore(temp.Path);
        var manifest = new HighWatermarkManifest { Version = 8, LastRunId = "20260108T000000Z-00000008" };
        var partitions = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        manifest.Datasets["sales_mart"] = partitions;
        for (var day = 1; day <= 8; day++)
        {
            var run = $"202601{day:D2}T000000Z-{day:D8}";
            var key = $"gold/sales_mart/dt=2026-01-{day:D2}/part-{run}-00000.parquet";
            partitions[$"2026-01-{day:D2}"] = [key];
            manifest.Files[$"events/2026-01-{day:D2}/a.json"] = new ProcessedFile { RunId = run };
            await store.PutAsync(key, new MemoryStream([1]));
        }
        for (var day = 25; day <= 29; day++) // live files of an earlier naming, without a run id
        {
            var key = $"gold/sales_mart/dt=2025-12-{day}/part-0.parquet";
            partitions[$"2025-12-{day}"] = [key];
            await store.PutAsync(key, new MemoryStream([1]));
        }
        await store.PutAsync("gold/sales_mart/dt=2026-01-09/by-spark.parquet", new MemoryStream([1]));
        await store.PutAsync("gold/sales_mart/dt=2026-01-08/part-20260108T000000Z-00000008-00000.parquet.tmp", new MemoryStream([1]));
        await store.PutAsync("gold/sales_mart/dt=2026-01-07/part-20260107T000000Z-00000007-00001.parquet", new MemoryStream([1])); // a leftover of a recorded run

        var sample = await SchemaEvolutionCheck.SampleAsync(store, manifest, "sales_mart", fullRefresh: false, default);

        Assert.Equal(15, sample.Published);
        Assert.Equal(["01", "06", "07", "08"], sample.RunFiles.Take(4).Select(k => WarehouseLayout.RunOf(k)![6..8]));
        Assert.Equal(["25", "27", "28", "29"], sample.RunFiles.Skip(4).Select(k => k[27..29]));
        Assert.Equal(["gold/sales_mart/dt=2026-01-09/by-spark.parquet"], sample.ForeignFiles);

        var refresh = await SchemaEvolutionCheck.SampleAsync(store, manifest, "sales_mart", fullRefresh: true, default);
        Assert.Empty(refresh.RunFiles);
        Assert.Equal(sample.ForeignFiles, refresh.ForeignFiles);
    }
}
