using Highwater.Tests.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.EndToEnd;

/// <summary>
/// Drives ./build.sh as a process, as CI does, with the landing zone (<c>s3://raw-logs</c>), the user
/// dimension (<c>s3://warehouse/silver/users</c>) and the warehouse (<c>s3://warehouse</c>) all on a private
/// s3rver per test, credentials from the standard AWS environment variables. The published mart is
/// downloaded with the AWS CLI and read back with DuckDB.
/// </summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "build.sh")]
[Trait("Needs", "s3rver")]
[Trait("Needs", "awscli")]
[Collection(BuildScriptCollection.Name)]
public sealed class S3BuildScriptTests : IAsyncLifetime
{
    private const string LandingBucket = "raw-logs";
    private const string WarehouseBucket = "warehouse";
    private const string UsersPrefix = "silver/users";
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private static readonly string SampleUsers = RepoRoot.Combine("samples", "users");

    /// <summary>Every column of the mart but source_key, in the order the recompute has them too.</summary>
    private const string MartColumns =
        "order_id, user_id, event_ts, arrival_ts, qty, unit_price, total_price, currency, sku, channel, country, segment, dt";

    /// <summary>s3rver checks only the access key, so the secret can be one no output may ever show.</summary>
    private readonly string _secret = "hw-e2e-secret-" + Guid.NewGuid().ToString("N");
    private readonly TempFolder _temp = new("s3e2e");
    private S3rverFixture _server = null!;

    /// <summary>The landed files, mirrored locally for DuckDB's independent recompute.</summary>
    private string LocalLanding => _temp.Combine("landing");

    public async Task InitializeAsync() => _server = await S3rverFixture.StartNewAsync(LandingBucket, WarehouseBucket);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _temp.Dispose();
    }

    // ---- running build.sh --------------------------------------------------------------------

    private enum Endpoint { Option, Environment }

    private BuildScript.Result Run(Endpoint endpoint, string target, params string[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["AWS_ACCESS_KEY_ID"] = S3rverFixture.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = _secret,
            ["AWS_REGION"] = "us-east-1",
        };
        var args = new List<string>
        {
            $"--target={target}", $"--landing=s3://{LandingBucket}", $"--users=s3://{WarehouseBucket}/{UsersPrefix}",
            $"--warehouse=s3://{WarehouseBucket}", $"--work={_temp.Combine("work")}",
        };
        if (endpoint == Endpoint.Option) args.Add($"--s3-endpoint={EndpointUrl}");
        else environment["AWS_ENDPOINT_URL"] = EndpointUrl;
        var result = BuildScript.Run(environment, [.. args, .. extra]);
        Assert.False(result.Output.Contains(_secret, StringComparison.Ordinal), $"build.sh printed the secret access key:\n{result}");
        return result;
    }

    private string EndpointUrl => _server.Endpoint.ToString().TrimEnd('/');

    // ---- staging input -----------------------------------------------------------------------

    /// <summary>Uploads the local landing folder and the sample users with the AWS CLI, as a producer would.</summary>
    private async Task StageWithAwsCliAsync()
    {
        await AwsCli.RunAsync(_server.Endpoint, "s3", "sync", LocalLanding, $"s3://{LandingBucket}/");
        await AwsCli.RunAsync(_server.Endpoint, "s3", "cp", Path.Combine(SampleUsers, "users.parquet"), $"s3://{WarehouseBucket}/{UsersPrefix}/users.parquet");
    }

    /// <summary>Uploads one landed file (a path under <see cref="LocalLanding"/>) with the AWS CLI.</summary>
    private Task LandWithAwsCliAsync(string localFile) =>
        AwsCli.RunAsync(_server.Endpoint, "s3", "cp", localFile, $"s3://{LandingBucket}/{KeyOf(localFile)}");

    /// <summary>Uploads the users and every landed file not yet in the bucket with our own S3 store.</summary>
    private async Task StageWithStoreAsync()
    {
        using var users = _server.CreateStore(UsersPrefix, bucket: WarehouseBucket);
        if (await users.HeadAsync("users.parquet") is null)
            await using (var s = File.OpenRead(Path.Combine(SampleUsers, "users.parquet")))
                await users.PutAsync("users.parquet", s);
        using var landing = _server.CreateStore("", bucket: LandingBucket);
        foreach (var file in Directory.EnumerateFiles(LocalLanding, "*", SearchOption.AllDirectories))
        {
            if (await landing.HeadAsync(KeyOf(file)) is not null) continue;
            await using var s = File.OpenRead(file);
            await landing.PutAsync(KeyOf(file), s);
        }
    }

    private string KeyOf(string localFile) => Path.GetRelativePath(LocalLanding, localFile).Replace('\\', '/');

    // ---- reading the bucket back -------------------------------------------------------------

    /// <summary>Every object under a prefix of the warehouse bucket: key → ETag and size.</summary>
    private async Task<SortedDictionary<string, string>> WarehouseObjectsAsync(string prefix = "")
    {
        using var store = _server.CreateStore("", bucket: WarehouseBucket);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var o in store.ListAsync(prefix)) result[o.Key] = $"{o.ETag} {o.Size}";
        return result;
    }

    /// <summary>Downloads gold/ with the AWS CLI into a fresh local folder and returns that warehouse copy.</summary>
    private async Task<string> DownloadGoldAsync()
    {
        var copy = _temp.Combine("download-" + Guid.NewGuid().ToString("N")[..8]);
        await AwsCli.RunAsync(_server.Endpoint, "s3", "sync", $"s3://{WarehouseBucket}/gold", Path.Combine(copy, "gold"));
        return copy;
    }

    private static void AssertSucceeded(BuildScript.Result result) => Assert.True(result.ExitCode == 0, result.ToString());

    private static void AssertMartMatchesRecompute(string warehouseCopy, string landing)
    {
        using var db = new DuckDb();
        var expected = db.Rows($"SELECT {MartColumns} FROM {DuckDb.RecomputedMart(landing, SampleUsers)} ORDER BY order_id");
        Assert.NotEmpty(expected);
        Assert.Equal(expected, db.Rows($"SELECT {MartColumns} FROM {DuckDb.Mart(warehouseCopy)} ORDER BY order_id"));
    }

    // ---- scenarios ---------------------------------------------------------------------------

    [Fact]
    public async Task Endpoint_by_option_publishes_a_rerun_changes_no_object_and_a_new_file_merges_into_its_day()
    {
        EventFixtures.LandDay(LocalLanding, Day1, "file_a.json", 300, seed: 1, orderPrefix: "A");
        EventFixtures.LandDay(LocalLanding, Day2, "file_b.json", 300, seed: 2, orderPrefix: "B");
        await StageWithAwsCliAsync();

        // First run: both days published.
        var first = Run(Endpoint.Option, "PublishMart");
        AssertSucceeded(first);
        Assert.Matches(@"PublishMart\s+[\d:.]+\s+Succeeded", first.Output);
        var published = await WarehouseObjectsAsync();
        Assert.Contains("_highwater/manifest.json", published.Keys);
        Assert.Single(published.Keys, k => k.StartsWith("gold/sales_mart/dt=2026-01-25/part-", StringComparison.Ordinal));
        Assert.Single(published.Keys, k => k.StartsWith("gold/sales_mart/dt=2026-01-26/part-", StringComparison.Ordinal));
        AssertMartMatchesRecompute(await DownloadGoldAsync(), LocalLanding);

        // Rerun: nothing new, every stage after Discover skipped, not one object in the bucket touched.
        var second = Run(Endpoint.Option, "PublishMart");
        AssertSucceeded(second);
        Assert.Contains("Discover: nothing new", second.Output);
        foreach (var stage in new[] { "Extract", "Transform", "QualityGate" })
            Assert.Matches($@"{stage}\s+-\s+Skipped", second.Output);
        Assert.Equal(published, await WarehouseObjectsAsync());

        // A new file for day 1, landed by the AWS CLI: new orders and a later version of a published one.
        var day2Before = await WarehouseObjectsAsync("gold/sales_mart/dt=2026-01-26/");
        var newFile = EventFixtures.LandDay(LocalLanding, Day1, "file_c.json", 50, seed: 3, orderPrefix: "C");
        var lines = File.ReadLines(newFile).ToList();
        lines.Add(EventFixtures.Event("A-00007", 1001, Day1.ToDateTime(new TimeOnly(12, 0), DateTimeKind.Utc),
            Day1.ToDateTime(new TimeOnly(23, 59), DateTimeKind.Utc), qty: 9, unitPrice: 10.00m));
        EventFixtures.Land(LocalLanding, Day1, "file_c.json", lines);
        await LandWithAwsCliAsync(newFile);

        var third = Run(Endpoint.Option, "PublishMart");
        AssertSucceeded(third);
        Assert.Equal(day2Before, await WarehouseObjectsAsync("gold/sales_mart/dt=2026-01-26/"));
        var merged = await WarehouseObjectsAsync("gold/sales_mart/dt=2026-01-25/");
        var part = Assert.Single(merged.Keys); // the replaced part file is gone
        Assert.DoesNotContain(part, published.Keys);
        var copy = await DownloadGoldAsync();
        AssertMartMatchesRecompute(copy, LocalLanding);
        using var db = new DuckDb();
        Assert.Equal(["9|90.00"], db.Rows($"SELECT qty, total_price FROM {DuckDb.Mart(copy)} WHERE order_id = 'A-00007'"));
        Assert.Equal(650L, db.Scalar<long>($"SELECT count(*) FROM {DuckDb.Mart(copy)}"));
    }

    [Fact]
    public async Task Endpoint_from_AWS_ENDPOINT_URL_publishes_and_a_failing_quality_gate_changes_no_object()
    {
        EventFixtures.LandDay(LocalLanding, Day1, "file_a.json", 100, seed: 4, orderPrefix: "A");
        await StageWithStoreAsync();

        var first = Run(Endpoint.Environment, "PublishMart", "--verbosity=diagnostic");
        AssertSucceeded(first);
        Assert.Contains("new events/2026-01-25/file_a.json", first.Output); // diagnostic lines are shown, the secret is not
        var before = await WarehouseObjectsAsync();
        Assert.Contains("_highwater/manifest.json", before.Keys);
        AssertMartMatchesRecompute(await DownloadGoldAsync(), LocalLanding);

        var at = Day2.ToDateTime(new TimeOnly(10, 0), DateTimeKind.Utc);
        var good = EventFixtures.Event("B-1", 1002, at, at.AddMinutes(5), 1, 2.50m);
        var nullOrder = EventFixtures.Event("B-2", 1003, at, at.AddMinutes(5), 1, 2.50m).Replace("\"B-2\"", "null");
        EventFixtures.Land(LocalLanding, Day2, "file_b.json", [good, nullOrder]);
        await StageWithStoreAsync();

        var failed = Run(Endpoint.Environment, "PublishMart", "--verbosity=diagnostic");
        Assert.True(failed.ExitCode == 3, failed.ToString());
        Assert.Contains("order_id", failed.Output);
        Assert.Contains("not_null", failed.Output);
        Assert.Contains("listing from events/2026-01-18/", failed.Output); // the lookback window, 7 days before 2026-01-25
        Assert.Equal(before, await WarehouseObjectsAsync());
        Assert.DoesNotContain(before.Keys, k => k.Contains("dt=2026-01-26", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_mart_published_to_S3_has_the_same_content_as_the_local_run_on_the_same_input()
    {
        // The shipped sample (malformed lines, unknown users, offsets) plus generated days.
        TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), LocalLanding);
        EventFixtures.LandDay(LocalLanding, Day1, "file_x.json", 400, seed: 5, orderPrefix: "X");
        EventFixtures.LandDay(LocalLanding, new DateOnly(2026, 1, 27), "file_y.json", 400, seed: 6, orderPrefix: "Y");

        var localWarehouse = _temp.Combine("local-warehouse");
        var local = BuildScript.Run("--target=PublishMart", $"--landing={LocalLanding}", $"--users={SampleUsers}",
            $"--warehouse={localWarehouse}", $"--work={_temp.Combine("work-local")}");
        AssertSucceeded(local);

        await StageWithAwsCliAsync();
        var s3 = Run(Endpoint.Option, "PublishMart");
        AssertSucceeded(s3);
        var copy = await DownloadGoldAsync();

        using var db = new DuckDb();
        var localRows = db.Rows($"SELECT * FROM {DuckDb.Mart(localWarehouse)} ORDER BY ALL");
        Assert.True(localRows.Count > 800, $"{localRows.Count} rows");
        Assert.Equal(
            db.Rows($"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {DuckDb.Mart(localWarehouse)})"),
            db.Rows($"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {DuckDb.Mart(copy)})"));
        Assert.Equal(localRows, db.Rows($"SELECT * FROM {DuckDb.Mart(copy)} ORDER BY ALL"));
        Assert.Equal(
            db.Rows($"SELECT * FROM {DuckDb.Kpi(localWarehouse)} ORDER BY ALL"),
            db.Rows($"SELECT * FROM {DuckDb.Kpi(copy)} ORDER BY ALL"));
        Assert.Equal(
            Directory.EnumerateDirectories(Path.Combine(localWarehouse, "gold", "sales_mart")).Select(Path.GetFileName).Order(),
            Directory.EnumerateDirectories(Path.Combine(copy, "gold", "sales_mart")).Select(Path.GetFileName).Order());

        // The same lines were quarantined, for the same reasons.
        var s3Quarantine = _temp.Combine("s3-quarantine");
        await AwsCli.RunAsync(_server.Endpoint, "s3", "sync", $"s3://{WarehouseBucket}/quarantine", s3Quarantine);
        static List<string> Lines(string folder) =>
            Directory.EnumerateFiles(folder, "*.ndjson", SearchOption.AllDirectories).SelectMany(File.ReadLines).Order(StringComparer.Ordinal).ToList();
        var localQuarantine = Lines(Path.Combine(localWarehouse, "quarantine"));
        Assert.NotEmpty(localQuarantine);
        Assert.Equal(localQuarantine, Lines(s3Quarantine));
    }

    [Fact]
    public async Task A_server_stopped_mid_run_fails_with_a_storage_error_keeps_the_mart_and_the_next_run_completes()
    {
        EventFixtures.LandDay(LocalLanding, Day1, "file_a.json", 100, seed: 7, orderPrefix: "A");
        await StageWithStoreAsync();
        AssertSucceeded(Run(Endpoint.Option, "PublishMart"));
        var published = await WarehouseObjectsAsync();

        // A new file; the stages up to the quality gate run while the server is up (they write nothing to the bucket).
        EventFixtures.LandDay(LocalLanding, Day1, "file_b.json", 40, seed: 8, orderPrefix: "B");
        EventFixtures.LandDay(LocalLanding, Day2, "file_c.json", 40, seed: 9, orderPrefix: "C");
        await StageWithStoreAsync();
        AssertSucceeded(Run(Endpoint.Option, "QualityGate"));
        Assert.Equal(published, await WarehouseObjectsAsync());

        // The server goes away before PublishMart.
        _server.Stop();
        var publish = Run(Endpoint.Option, "PublishMart", "--exclusive");
        var full = Run(Endpoint.Option, "PublishMart");
        foreach (var failed in new[] { publish, full })
        {
            Assert.True(failed.ExitCode == 4, failed.ToString());
            Assert.Contains("storage error", failed.Output);
            Assert.Contains($"s3://{WarehouseBucket}", failed.Output);
            Assert.Contains(_server.Endpoint.Authority, failed.Output);
        }

        // Back on the same port and data: the previous mart is intact, and the next run publishes the new files.
        await _server.StartAsync();
        Assert.Equal(published, await WarehouseObjectsAsync());
        AssertMartMatchesRecompute(await DownloadGoldAsync(), LocalLandingWithout("file_b.json", "file_c.json"));

        var resumed = Run(Endpoint.Option, "PublishMart");
        AssertSucceeded(resumed);
        Assert.Matches(@"PublishMart\s+[\d:.]+\s+Succeeded", resumed.Output);
        foreach (var stage in new[] { "Extract", "Transform", "QualityGate" }) // same batch: done before the outage
            Assert.Matches($@"{stage}\s+-\s+Skipped", resumed.Output);
        var copy = await DownloadGoldAsync();
        AssertMartMatchesRecompute(copy, LocalLanding);
        using var db = new DuckDb();
        Assert.Equal(180L, db.Scalar<long>($"SELECT count(*) FROM {DuckDb.Mart(copy)}"));
        Assert.Single((await WarehouseObjectsAsync("gold/sales_mart/dt=2026-01-25/")).Keys);
    }

    /// <summary>A copy of the local landing folder without the named files (what was published before them).</summary>
    private string LocalLandingWithout(params string[] names)
    {
        var copy = _temp.Combine("landing-before-" + Guid.NewGuid().ToString("N")[..8]);
        TempFolder.CopyDirectory(LocalLanding, copy);
        foreach (var file in Directory.EnumerateFiles(copy, "*", SearchOption.AllDirectories).Where(f => names.Contains(Path.GetFileName(f))).ToList())
            File.Delete(file);
        return copy;
    }
}
