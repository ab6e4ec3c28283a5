using System.Diagnostics;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.WarehouseState;

/// <summary>
/// Failures of the process and its environment: a full file system under the warehouse or the work area (a real,
/// tiny tmpfs mounted for the test; the tests run as root), and SIGTERM sent to the real CLI process mid-publish.
/// </summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "cli")]
public sealed class ProcessFailureTests : IDisposable
{
    private static readonly string Users = RepoRoot.Combine("samples", "users");
    private readonly PipelineHarness _h = new();

    private LocalFolderStore Store => new(_h.WarehouseRoot);
    private string ManifestPath => Path.Combine(_h.WarehouseRoot, "_highwater", "manifest.json");

    [Fact]
    public async Task A_full_warehouse_disk_is_a_storage_error_naming_the_path_and_nothing_published_changes()
    {
        using var disk = TinyFileSystem.Mount(_h.WarehouseRoot, "4m");
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        var manifest = File.ReadAllText(ManifestPath);
        var glob = await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob");
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "b.json", 3000, seed: 2, orderPrefix: "B");
        var filler = disk.Fill(leaveBytes: 16 * 1024);

        var (code, _, err) = await _h.CliAsync("run");
        Assert.True(code == 4, $"exit {code}\n{err}");
        Assert.Contains("storage error: No space left on device", err);
        Assert.Contains(_h.WarehouseRoot, err);
        Assert.DoesNotContain("   at ", err); // no stack trace
        Assert.Equal(manifest, File.ReadAllText(ManifestPath));
        Assert.Equal(glob, await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob"));
        Assert.False(File.Exists(Path.Combine(_h.WarehouseRoot, WarehouseLease.Key)));

        File.Delete(filler);
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        Assert.Equal(MartReader.Recompute(_h.Landing, Users), await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob"));
        await GoldGlob.AssertMatchesManifestAsync(Store, _h.WorkRoot + "-check");
    }

    [Fact]
    public async Task A_full_work_area_disk_is_a_storage_error_naming_the_path_and_nothing_is_published()
    {
        Directory.CreateDirectory(_h.WorkRoot);
        using var disk = TinyFileSystem.Mount(_h.WorkRoot, "4m");
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "a.json", 5000, seed: 1, orderPrefix: "A");
        var filler = disk.Fill(leaveBytes: 64 * 1024);

        var (code, _, err) = await _h.CliAsync("run");
        Assert.True(code == 4, $"exit {code}\n{err}");
        Assert.Contains("storage error: No space left on device", err);
        Assert.Contains(_h.WorkRoot, err);
        Assert.False(File.Exists(ManifestPath));
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "gold")));

        File.Delete(filler);
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        Assert.Equal(MartReader.Recompute(_h.Landing, Users), await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob"));
    }

    [Theory]
    [InlineData(FaultPoints.PublishAfterLease)]
    [InlineData(FaultPoints.PublishAfterPart)]
    public async Task SIGTERM_stops_the_CLI_cleanly_releasing_the_lease_and_leaving_nothing_half_written(string point)
    {
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day1, "a.json", 30, seed: 1, orderPrefix: "A");
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        var manifest = File.ReadAllText(ManifestPath);
        var glob = await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob");
        EventFixtures.LandDay(_h.Landing, WarehouseStateScenarios.Day2, "b.json", 20, seed: 2, orderPrefix: "B");

        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "highwater"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "run", $"--landing={_h.Landing}", $"--users={Users}", $"--warehouse={_h.WarehouseRoot}",
                     $"--work={_h.WorkRoot}", $"--contracts={RepoRoot.Combine("data-contracts")}" })
            start.ArgumentList.Add(a);
        start.Environment[FaultInjector.PauseAtVariable] = point;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var marker = Path.Combine(_h.WorkRoot, $"paused-at-{point}");
        var waited = Stopwatch.StartNew();
        while (!File.Exists(marker) && !process.HasExited && waited.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(50);
        if (!File.Exists(marker))
        {
            if (!process.HasExited) process.Kill();
            Assert.Fail($"the run did not reach {point}: {await stderr}");
        }
        Assert.True(File.Exists(Path.Combine(_h.WarehouseRoot, WarehouseLease.Key)), "the run holds the lease while paused");

        Assert.Equal(0, ExternalProcess.Run("kill", ["-TERM", process.Id.ToString()]).ExitCode);
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the run did not stop");
        var err = await stderr;
        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}\n{await stdout}\n{err}");
        Assert.Contains("highwater: stopped: the run was asked to stop (SIGTERM or SIGINT)", err);
        Assert.False(File.Exists(Path.Combine(_h.WarehouseRoot, WarehouseLease.Key)), "the lease is released");
        Assert.Equal(manifest, File.ReadAllText(ManifestPath));
        Assert.Equal(glob, await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob"));
        await GoldGlob.AssertMatchesManifestAsync(Store, _h.WorkRoot + "-check");
        Assert.False(Directory.Exists(Path.Combine(_h.WarehouseRoot, "_highwater", "journal"))
                     && Directory.EnumerateFiles(Path.Combine(_h.WarehouseRoot, "_highwater", "journal")).Any(), "the stopped run's files are taken back");

        File.Delete(marker);
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        Assert.Equal(MartReader.Recompute(_h.Landing, Users), await GoldGlob.ReadAsync(Store, _h.WorkRoot + "-glob"));
    }

    public void Dispose() => _h.Dispose();
}

/// <summary>A small tmpfs mounted over a folder for one test (needs root), unmounted on dispose.</summary>
public sealed class TinyFileSystem : IDisposable
{
    private readonly string _path;

    private TinyFileSystem(string path) => _path = path;

    public static TinyFileSystem Mount(string path, string size)
    {
        Directory.CreateDirectory(path);
        var result = ExternalProcess.Run("mount", ["-t", "tmpfs", "-o", $"size={size}", "tmpfs", path]);
        Assert.True(result.ExitCode == 0, $"mounting a {size} tmpfs at {path} needs root: {result}");
        return new TinyFileSystem(path);
    }

    /// <summary>Writes a filler file until about <paramref name="leaveBytes"/> stay free; returns its path.</summary>
    public string Fill(long leaveBytes)
    {
        var filler = Path.Combine(_path, "filler.bin");
        var free = new DriveInfo(_path).AvailableFreeSpace;
        using (var f = File.Create(filler))
        {
            var block = new byte[4096];
            for (long left = free - leaveBytes; left > 0; left -= block.Length) f.Write(block);
        }
        return filler;
    }

    public void Dispose() => ExternalProcess.Run("umount", ["-l", _path]);
}
