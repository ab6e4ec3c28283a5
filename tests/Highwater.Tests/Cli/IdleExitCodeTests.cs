using Highwater.Cli;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Cli;

/// <summary>"Nothing to do" is exit 0 unless --exit-code-when-idle asks for a distinct code.</summary>
public sealed class IdleExitCodeTests : IDisposable
{
    private readonly PipelineHarness _harness = new();

    private Task<(int Code, string Out, string Err)> Highwater(params string[] args) => _harness.CliAsync(args);

    [Theory]
    [InlineData("discover")]
    [InlineData("run")]
    [InlineData("plan")]
    [InlineData("status")]
    public async Task Nothing_to_do_exits_0_by_default_and_the_asked_code_when_opted_in(string command)
    {
        Assert.Equal(0, (await Highwater(command)).Code);
        Assert.Equal(10, (await Highwater(command, "--exit-code-when-idle=10")).Code);

        EventFixtures.LandDay(_harness.Landing, new DateOnly(2026, 4, 1), "a.json", 5, seed: 3, orderPrefix: "A");
        var busy = await Highwater(command, "--exit-code-when-idle=10");
        Assert.True(busy.Code == 0, busy.Err);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("126")]
    [InlineData("ten")]
    public async Task A_failure_code_or_a_bad_number_is_a_configuration_error(string value)
    {
        var result = await Highwater("discover", $"--exit-code-when-idle={value}");
        Assert.Equal(ExitCodes.Configuration, result.Code);
        Assert.Contains("--exit-code-when-idle", result.Err);
    }

    public void Dispose() => _harness.Dispose();
}
