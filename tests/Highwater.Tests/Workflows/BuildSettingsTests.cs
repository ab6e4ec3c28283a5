using System.Text.Json;
using System.Xml.Linq;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Workflows;

/// <summary>
/// The build settings CI relies on (docs/operations.md, "Build settings CI relies on"): every project of the solution
/// has a committed lock file holding each of its package references at the central pin, restores are locked under
/// CI=true, warnings are errors, and build.sh and build.ps1 take the same steps.
/// </summary>
public sealed class BuildSettingsTests
{
    private static IEnumerable<string> Projects() =>
        XDocument.Load(RepoRoot.Combine("Highwater.slnx")).Descendants("Project").Select(p => (string)p.Attribute("Path")!);

    private static Dictionary<string, string> Pins() =>
        XDocument.Load(RepoRoot.Combine("Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!);

    [Fact]
    public void Every_project_has_a_lock_file_with_its_packages_at_the_central_pins()
    {
        var pins = Pins();
        var projects = Projects().ToList();
        Assert.NotEmpty(projects);
        foreach (var project in projects)
        {
            var lockFile = RepoRoot.Combine(Path.GetDirectoryName(project)!, "packages.lock.json");
            Assert.True(File.Exists(lockFile), $"{project} has no packages.lock.json (run dotnet restore Highwater.slnx)");
            using var json = JsonDocument.Parse(File.ReadAllText(lockFile));
            var direct = json.RootElement.GetProperty("dependencies").GetProperty("net10.0").EnumerateObject()
                .Where(p => p.Value.GetProperty("type").GetString() == "Direct")
                .ToDictionary(p => p.Name, p => p.Value.GetProperty("resolved").GetString());
            var references = XDocument.Load(RepoRoot.Combine(project)).Descendants("PackageReference")
                .Select(r => (string)r.Attribute("Include")!).ToList();
            Assert.Equal(references.Order(), direct.Keys.Order());
            foreach (var name in references)
                Assert.True(direct[name] == pins[name], $"{project}: {name} is locked at {direct[name]}, pinned at {pins[name]}");
        }
    }

    [Fact]
    public void Restores_are_locked_under_CI_and_warnings_are_errors()
    {
        var props = XDocument.Load(RepoRoot.Combine("Directory.Build.props")).Descendants().ToList();
        Assert.Contains(props, e => e.Name == "TreatWarningsAsErrors" && e.Value == "true");
        Assert.Contains(props, e => e.Name == "RestorePackagesWithLockFile" && e.Value == "true");
        Assert.Contains(props, e => e.Name == "RestoreLockedMode" && e.Value == "true" && (string?)e.Attribute("Condition") == "'$(CI)' == 'true'");
        Assert.Contains("export CI=true", File.ReadAllText(RepoRoot.Combine(".ci", "run")));
    }

    [Theory]
    [InlineData("dotnet tool restore")]
    [InlineData("-p:PublishAot=true")]
    [InlineData("-p:PublishReadyToRun=true")]
    [InlineData("HIGHWATER_PUBLISH")]
    [InlineData("error IL[23][0-9]{3}")]
    [InlineData("publish-aot.log")]
    [InlineData("artifacts/highwater/.source-hash")]
    [InlineData("Directory.Build.props")]
    [InlineData("Directory.Packages.props")]
    [InlineData("artifacts/cake-launcher")]
    [InlineData("cake.config")]
    [InlineData("build/Cake.Highwater.Module/Cake.Highwater.Module.csproj")]
    [InlineData("artifacts/cake-modules")]
    [InlineData("CAKE_PATHS_MODULES")]
    [InlineData("--skip-bootstrap")]
    [InlineData("build/build.cake")]
    [InlineData("150")]
    public void Build_sh_and_build_ps1_take_the_same_step(string step)
    {
        Assert.Contains(step, File.ReadAllText(RepoRoot.Combine("build.sh")));
        Assert.Contains(step, File.ReadAllText(RepoRoot.Combine("build.ps1")));
    }
}
