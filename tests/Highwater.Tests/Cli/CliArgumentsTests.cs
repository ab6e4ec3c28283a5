using Highwater.Cli;
using Xunit;

namespace Highwater.Tests.Cli;

public sealed class CliArgumentsTests
{
    [Fact]
    public void Options_with_dashes_come_from_environment_variables_with_underscores_and_the_command_line_wins()
    {
        var env = new Dictionary<string, string>
        {
            ["HIGHWATER_S3_ENDPOINT"] = "http://127.0.0.1:9000",
            ["HIGHWATER_EXIT_CODE_WHEN_IDLE"] = "10",
            ["HIGHWATER_LOOKBACK_DAYS"] = "30",
        };
        var cli = CliArguments.Parse(["discover", "--lookback-days=2"], name => env.GetValueOrDefault(name));
        Assert.Equal("http://127.0.0.1:9000", cli.Find("s3-endpoint"));
        Assert.Equal("10", cli.Find("exit-code-when-idle"));
        Assert.Equal("2", cli.Find("lookback-days"));
        Assert.Equal("HIGHWATER_EXIT_CODE_WHEN_IDLE", CliArguments.EnvironmentName("exit-code-when-idle"));
    }
}
