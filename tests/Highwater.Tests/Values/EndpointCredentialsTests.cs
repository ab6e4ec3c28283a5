using Highwater.Cli;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.EndToEnd;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Values;

/// <summary>Credentials written into an endpoint URL never reach the log, from the CLI or from build.sh at any verbosity.</summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "build.sh")]
[Collection(BuildScriptCollection.Name)]
public sealed class EndpointCredentialsTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private readonly PipelineHarness _h = new();

    private static void AssertNoSecret(string output)
    {
        Assert.DoesNotContain("KEY", output);
        Assert.DoesNotContain("S3CR", output);
        Assert.DoesNotContain("T0P", output);
    }

    [Theory]
    [InlineData("http://KEY:SECRET@host:9000", "http://***@host:9000")]
    [InlineData("http://KEY:S3CR@T0P@host:9000/p", "http://***@host:9000/p")]
    [InlineData("KEY:S3CR@T0P@host", "***@host")]
    [InlineData("https://KEY:a/b?c#d@host", "https://***@host")]
    [InlineData("http://127.0.0.1:9000", "http://127.0.0.1:9000")]
    public void The_mask_covers_everything_up_to_the_last_at(string url, string masked) =>
        Assert.Equal(masked, UserInfoMask.Mask(url));

    [Theory]
    [InlineData("--s3-endpoint=http://KEY:S3CR@T0P@host:9000")]
    [InlineData("--s3-endpoint=KEY:S3CR@T0P@host")]
    [InlineData("http://KEY:S3CR@T0P@host")]
    public async Task The_cli_refuses_an_endpoint_with_credentials_without_printing_them(string argument)
    {
        EventFixtures.LandDay(_h.Landing, Day1, "a.json", 3, seed: 1, orderPrefix: "A");
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        var before = PublishedWarehouse.Of(_h.WarehouseRoot);

        // Landing on S3 (so the S3 options are read), the published warehouse the local one.
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await HighwaterCommand.RunAsync(["run", argument, "--verbosity=diagnostic", "--landing=s3://bucket/landing",
            $"--users={RepoRoot.Combine("samples", "users")}", $"--warehouse={_h.WarehouseRoot}", $"--work={_h.WorkRoot}"], stdout, stderr);

        Assert.Equal(ExitCodes.Configuration, code);
        Assert.Contains("***@host", stderr.ToString());
        AssertNoSecret(stdout + stderr.ToString());
        Assert.Equal(before, PublishedWarehouse.Of(_h.WarehouseRoot));
    }

    [Fact]
    public void Build_sh_at_diagnostic_verbosity_logs_the_command_line_with_the_credentials_masked()
    {
        var result = BuildScript.Run(["--target=Discover", "--verbosity=diagnostic", $"--landing={_h.Landing}",
            $"--users={RepoRoot.Combine("samples", "users")}", $"--warehouse=s3://bucket/warehouse", $"--work={_h.WorkRoot}",
            "--s3-endpoint=http://KEY:S3CR@T0P@host:9000"]);

        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains("--s3-endpoint=http://***@host:9000", result.Output); // the logged command line, masked
        AssertNoSecret(result.Output);
    }

    public void Dispose() => _h.Dispose();
}
