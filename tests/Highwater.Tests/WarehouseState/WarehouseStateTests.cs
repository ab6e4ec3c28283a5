using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.WarehouseState;

/// <summary>
/// Warehouse state under operator error and crashes, on a local warehouse, through the CLI where the exit code and
/// message matter: an unreadable manifest, leftovers of a crash past the commit, stale stamps, a shared work area,
/// a lost publish race, a full disk and an unreadable landed file.
/// </summary>
public sealed class WarehouseStateTests : IDisposable
{
    private static readonly string Users = RepoRoot.Combine("samples", "users");
    private readonly PipelineHarness _h = new();

    private LocalFolderStore Store => new(_h.WarehouseRoot);
    private string ManifestPath => Path.Combine(_h.WarehouseRoot, "_highwater", "manifest.json");

    private Dictionary<string, string> GoldFiles() =>
        Directory.EnumerateFiles(_h.WarehouseRoot, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.Combine("_highwater", "manifest")) && !f.EndsWith("lease.json"))
            .Where(f => f.Contains(Path.DirectorySeparatorChar + "gold" + Path.DirectorySeparatorChar) || f.Contains("order_index"))
            .ToDictionary(f => Path.GetRelativePath(_h.WarehouseRoot, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    [Theory]
    [InlineData("missing")]
    [InlineData("emptied")]
    [InlineData("truncated")]
    public async Task An_unreadable_manifest_on_a_published_warehouse_is_refused_and_nothing_is_deleted(string damage)
    {
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        var published = GoldFiles();
        var glob = await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob");
        Assert.NotEmpty(glob);
        var text = File.ReadAllText(ManifestPath);
        switch (damage)
        {
            case "missing": File.Delete(ManifestPath); break;
            case "emptied": File.WriteAllText(ManifestPath, "{}"); break;
            default: File.WriteAllText(ManifestPath, text[..(text.Length / 2)]); break;
        }
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day2, "b.json", 10, seed: 2, orderPrefix: "B");

        foreach (var command in new[] { "run", "publish", "status", "discover" })
        {
            var (code, _, err) = await _h.CliAsync(command);
            Assert.True(code == 6, $"{command}: exit {code}\n{err}");
            Assert.Contains($"{_h.WarehouseRoot}/_highwater/manifest.json", err);
            Assert.Contains("--target=Backfill --full-refresh", err);
            Assert.Contains("rows whose landed files are gone are lost", err);
        }
        Assert.Equal(published, GoldFiles());
        Assert.Equal(glob, await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob"));
    }

    [Fact]
    public async Task A_full_refresh_over_an_emptied_manifest_rebuilds_from_the_landing_zone_and_says_what_it_drops()
    {
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day2, "b.json", 10, seed: 2, orderPrefix: "B");
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        File.WriteAllText(ManifestPath, "{}");
        File.Delete(Path.Combine(_h.Landing, "events", "2026-01-26", "b.json")); // its rows are lost by the rebuild

        var (code, output, err) = await _h.CliAsync("run", "--full-refresh");
        Assert.True(code == 0, err);
        Assert.Contains("is empty (it records no commit)", output);
        var expected = MartReader.Recompute(_h.Landing, Users);
        Assert.DoesNotContain(expected, r => r.StartsWith("B-"));
        Assert.Equal(expected, await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob"));
        await GoldGlob.AssertMatchesManifestAsync(Store, _h.WorkRoot + "-check");
        Assert.Single(Directory.EnumerateFiles(Path.Combine(_h.WarehouseRoot, "_highwater"), "manifest.unreadable-*.json"));
    }

    [Fact]
    public async Task A_crash_after_the_commit_is_finished_by_the_next_run_with_nothing_new()
    {
        _h.DefaultWarehouse = Store;
        await WarehouseStateScenarios.CrashAfterCommitIsFinishedWithNothingNewAsync(_h);
    }

    [Fact]
    public async Task A_crash_before_the_commit_is_finished_by_the_next_writing_command()
    {
        _h.DefaultWarehouse = Store;
        await WarehouseStateScenarios.CrashBeforeCommitIsFinishedAsync(_h);
    }

    [Fact]
    public async Task Discover_through_the_CLI_finishes_an_interrupted_run_and_removes_its_temporary_names()
    {
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "b.json", 10, seed: 2, orderPrefix: "B");
        await Assert.ThrowsAsync<InjectedFaultException>(() => _h.RunAsync(faults: FaultInjector.Throwing(FaultPoints.PublishAfterPart)));
        // A put killed between its link and its rename leaves the object's temporary name beside it.
        var journal = Directory.EnumerateFiles(Path.Combine(_h.WarehouseRoot, "_highwater", "journal")).Single();
        var written = System.Text.Json.JsonDocument.Parse(File.ReadAllText(journal)).RootElement.GetProperty("writes")
            .EnumerateArray().Select(e => e.GetString()!).ToList();
        var temp = Path.Combine(_h.WarehouseRoot, written.Last() + ".hw-tmp-0badf00d");
        Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
        File.WriteAllText(temp, "half a link");
        var foreign = Path.Combine(_h.WarehouseRoot, "gold", "sales_mart", "README.txt"); // not ours: left alone
        File.WriteAllText(foreign, "someone else's");

        var (code, output, err) = await _h.CliAsync("discover");
        Assert.True(code == 0, err);
        Assert.Contains("it had not committed; removed its uncommitted files", output);
        Assert.False(File.Exists(temp));
        Assert.True(File.Exists(foreign));
        File.Delete(foreign);
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        Assert.Equal(MartReader.Recompute(_h.Landing, Users), await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob"));
        await GoldGlob.AssertMatchesManifestAsync(Store, _h.WorkRoot + "-check");
    }

    [Fact]
    public async Task Stale_stamps_do_not_skip_publishing_to_a_warehouse_that_was_reset()
    {
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        var expected = MartReader.Recompute(_h.Landing, Users);

        // The warehouse is recreated empty; the work area (stamps, outputs) is kept, as a CI cache would.
        Directory.Delete(_h.WarehouseRoot, recursive: true);
        Directory.CreateDirectory(_h.WarehouseRoot);
        Assert.Equal(0, (await _h.CliAsync("discover")).Code);
        Assert.Equal("done", (await _h.CliAsync("pending", "--stage=extract")).Out.Trim());
        Assert.Equal("pending", (await _h.CliAsync("pending", "--stage=publish")).Out.Trim());
        foreach (var stage in new[] { "extract", "transform", "gate" })
            Assert.Equal(0, (await _h.CliAsync(stage)).Code);
        var (code, output, err) = await _h.CliAsync("publish");
        Assert.True(code == 0, err);
        Assert.Contains("the warehouse's manifest does not record it", output);
        Assert.True(File.Exists(ManifestPath));
        Assert.Equal(expected, await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob"));
        Assert.Equal("done", (await _h.CliAsync("pending", "--stage=publish")).Out.Trim());

        // Reset again and lose the work area's outputs too: every stage runs again, from the landing zone.
        Directory.Delete(_h.WarehouseRoot, recursive: true);
        Directory.CreateDirectory(_h.WarehouseRoot);
        Directory.Delete(Path.Combine(_h.WorkRoot, "out"), recursive: true);
        (code, output, err) = await _h.CliAsync("run");
        Assert.True(code == 0, err);
        Assert.Contains("Extract: the stamp says batch", output);
        Assert.Equal(expected, await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob"));
        await GoldGlob.AssertMatchesManifestAsync(Store, _h.WorkRoot + "-check");
    }

    [Fact]
    public async Task Pending_answers_for_every_stage_at_once_and_a_stage_after_a_pending_one_is_pending()
    {
        async Task<string> Pending(params string[] args)
        {
            var (code, output, err) = await _h.CliAsync(["pending", .. args]);
            Assert.True(code == 0, err);
            return output.Trim().ReplaceLineEndings("\n");
        }
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        Assert.Equal("extract done\ntransform done\ngate done\npublish done", await Pending()); // no batch planned yet
        Assert.Equal(0, (await _h.CliAsync("discover")).Code);
        Assert.Equal("extract pending\ntransform pending\ngate pending\npublish pending", await Pending());
        foreach (var stage in new[] { "extract", "transform", "gate" })
            Assert.Equal(0, (await _h.CliAsync(stage)).Code);
        Assert.Equal("extract done\ntransform done\ngate done\npublish pending", await Pending());
        Assert.Equal("done", await Pending("--stage=transform"));

        // Extract's stamp is lost: Extract runs again, so Transform and the gate (done by their own stamps) must too.
        File.Delete(Path.Combine(_h.WorkRoot, "stamps", "extract"));
        Assert.Equal("extract pending\ntransform pending\ngate pending\npublish pending", await Pending());
        Assert.Equal("pending", await Pending("--stage=gate"));
        var (bad, _, err) = await _h.CliAsync("pending", "--stage=load");
        Assert.Equal(2, bad);
        Assert.Contains("--stage=load: use extract, transform, gate or publish", err);
    }

    [Fact]
    public async Task A_second_run_in_the_same_work_area_fails_fast_naming_the_holder()
    {
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        using (WorkAreaLock.Acquire(new WorkArea(_h.WorkRoot), "run"))
        {
            var holder = WorkAreaLock.ReadHolder(new WorkArea(_h.WorkRoot))!;
            foreach (var command in new[] { "run", "discover", "publish", "clean" })
            {
                var (code, _, err) = await _h.CliAsync(command);
                Assert.True(code == 6, $"{command}: exit {code}\n{err}");
                Assert.Contains($"The work area {_h.WorkRoot} is in use by another run", err);
                Assert.Contains($"pid {Environment.ProcessId} on host {Environment.MachineName}, started {holder.StartedAt:u}", err);
            }
            Assert.False(File.Exists(ManifestPath));
            Assert.Equal(0, (await _h.CliAsync("status")).Code); // reading is not locked out
        }
        Assert.Equal(0, (await _h.CliAsync("run")).Code); // the lock went with its holder
        Assert.Equal(MartReader.Recompute(_h.Landing, Users), await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob"));
    }

    [Fact]
    public async Task Losing_a_publish_race_says_run_again()
    {
        await WarehouseStateScenarios.LosingAPublishRaceSaysRunAgainAsync(_h, Store);
    }

    [Fact]
    public async Task A_retried_lease_put_recognises_its_own_lease()
    {
        await WarehouseStateScenarios.RetriedLeasePutRecognisesItsOwnLeaseAsync(Store);
    }

    [Fact]
    public async Task An_unreadable_landed_file_is_a_storage_error_naming_it_and_nothing_is_published()
    {
        // Root reads any file whatever its mode, so the refusal the kernel gives (EACCES) is injected at the file layer,
        // as .NET reports it: UnauthorizedAccessException naming the path.
        var landed = EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        var landing = new DeniedStore(new LocalFolderStore(_h.Landing), landed);
        _h.LandingStore = landing;
        var error = await Record.ExceptionAsync(() => _h.RunAsync());
        Assert.NotNull(error);
        var (code, family) = Highwater.Cli.HighwaterCommand.Classify(error!);
        Assert.Equal(4, code);
        Assert.Equal("storage error", family);
        Assert.Contains(landed, error!.Message);
        Assert.False(File.Exists(ManifestPath));
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold")));
    }

    /// <summary>Refuses to open one file, as the file system does for a file without read permission.</summary>
    private sealed class DeniedStore(LocalFolderStore inner, string deniedPath) : DelegatingStore(inner)
    {
        private readonly string _root = inner.Root;

        public override Task<Stream> OpenReadAsync(string key, CancellationToken ct = default) =>
            Path.Combine(_root, key) == deniedPath ? throw new UnauthorizedAccessException($"Access to the path '{deniedPath}' is denied.") : Inner.OpenReadAsync(key, ct);
    }

    public void Dispose() => _h.Dispose();
}
