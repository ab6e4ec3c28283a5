using Highwater.Cli;
using Highwater.Pipeline;
using Highwater.Pipeline.Core.Storage;
using Xunit;

namespace Highwater.Tests.Cli;

/// <summary>Options come from the command line or from HIGHWATER_* variables (hyphens written as underscores).</summary>
public sealed class CliArgumentsTests
{
    private static Func<string, string?> Environment(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.GetValueOrDefault(name);
    }

    [Fact]
    public void Every_option_can_come_from_a_HIGHWATER_variable_with_underscores_for_hyphens()
    {
        var env = Environment(
            ("HIGHWATER_LANDING", "s3://raw-logs"),
            ("HIGHWATER_LOOKBACK_DAYS", "3"),
            ("HIGHWATER_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("HIGHWATER_S3_REGION", "eu-west-1"),
            ("HIGHWATER_S3_PATH_STYLE", "false"),
            ("HIGHWATER_S3_CHECKSUMS", "when_supported"),
            ("HIGHWATER_S3_CHUNKED_UPLOAD", "true"));

        var cli = CliArguments.Parse(["discover"], env);

        Assert.Equal("s3://raw-logs", cli.Find("landing"));
        Assert.Equal(3, cli.GetInt("lookback-days", 7, 0, 100));
        var s3 = S3CliOptions.Build(cli, env);
        Assert.Equal(new Uri("http://127.0.0.1:9000"), s3.ServiceUrl);
        Assert.Equal("eu-west-1", s3.Region);
        Assert.False(s3.EffectiveForcePathStyle);
        Assert.Equal(S3ChecksumMode.WhenSupported, s3.EffectiveRequestChecksumCalculation);
        Assert.True(s3.EffectiveUseChunkEncoding);
    }

    [Fact]
    public void The_command_line_wins_over_HIGHWATER_variables_which_win_over_the_AWS_environment()
    {
        var env = Environment(
            ("AWS_ENDPOINT_URL", "http://aws-env:1"),
            ("AWS_REGION", "us-west-2"),
            ("HIGHWATER_S3_ENDPOINT", "http://highwater-env:2"),
            ("HIGHWATER_LOOKBACK_DAYS", "3"));

        var fromEnv = S3CliOptions.Build(CliArguments.Parse(["discover"], env), env);
        Assert.Equal(new Uri("http://highwater-env:2"), fromEnv.ServiceUrl);
        Assert.Equal("us-west-2", fromEnv.Region);

        var cli = CliArguments.Parse(["discover", "--s3-endpoint=http://option:3", "--lookback-days", "9"], env);
        Assert.Equal(new Uri("http://option:3"), S3CliOptions.Build(cli, env).ServiceUrl);
        Assert.Equal(9, cli.GetInt("lookback-days", 7, 0, 100));
    }

    [Fact]
    public void Without_an_endpoint_anywhere_the_SDK_defaults_apply()
    {
        var s3 = S3CliOptions.Build(CliArguments.Parse(["discover"], Environment()), Environment(("AWS_REGION", "eu-central-1")));
        Assert.Null(s3.ServiceUrl);
        Assert.Null(s3.EffectiveForcePathStyle);
        Assert.Null(s3.EffectiveRequestChecksumCalculation);
        Assert.True(s3.EffectiveUseChunkEncoding);
    }

    [Theory]
    [InlineData("--lookback-days=-1")]
    [InlineData("--s3-path-style=maybe")]
    [InlineData("--s3-checksums=always")]
    [InlineData("--s3-endpoint=127.0.0.1:9000")]
    public void A_bad_value_is_a_configuration_error_naming_the_option(string option)
    {
        var e = Assert.Throws<ConfigurationException>(() =>
        {
            var cli = CliArguments.Parse(["discover", option], Environment());
            cli.GetInt("lookback-days", 7, 0, 36_500);
            S3CliOptions.Build(cli, Environment());
        });
        Assert.Contains(option.Split('=')[0], e.Message);
    }

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
