using Highwater.Pipeline;
using Highwater.Pipeline.Core.Storage;
using Xunit;

namespace Highwater.Tests.Storage;

public sealed class S3OptionsTests
{
    private static S3Options FromEnv(params (string Name, string Value)[] variables)
    {
        var env = variables.ToDictionary(v => v.Name, v => v.Value);
        return S3Options.FromEnvironment(name => env.GetValueOrDefault(name));
    }

    [Fact]
    public void Without_variables_the_AWS_SDK_defaults_apply()
    {
        var options = FromEnv();

        Assert.Null(options.ServiceUrl);
        Assert.False(options.HasEndpointOverride);
        Assert.Null(options.Region);
        Assert.Null(options.Profile);
        Assert.Null(options.EffectiveForcePathStyle);
        Assert.Null(options.EffectiveRequestChecksumCalculation);
        Assert.Null(options.EffectiveResponseChecksumValidation);
        Assert.True(options.EffectiveUseChunkEncoding);
    }

    [Fact]
    public void An_S3_endpoint_variable_selects_S3_compatible_settings()
    {
        var options = FromEnv(("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000"), ("AWS_REGION", "eu-west-1"), ("AWS_PROFILE", "minio"));

        Assert.Equal(new Uri("http://127.0.0.1:9000"), options.ServiceUrl);
        Assert.Equal("eu-west-1", options.Region);
        Assert.Equal("minio", options.Profile);
        Assert.True(options.EffectiveForcePathStyle);
        Assert.Equal(S3ChecksumMode.WhenRequired, options.EffectiveRequestChecksumCalculation);
        Assert.Equal(S3ChecksumMode.WhenRequired, options.EffectiveResponseChecksumValidation);
        Assert.False(options.EffectiveUseChunkEncoding);
    }

    [Fact]
    public void The_S3_specific_endpoint_wins_over_the_general_one()
    {
        var options = FromEnv(("AWS_ENDPOINT_URL", "http://general:1"), ("AWS_ENDPOINT_URL_S3", "https://s3.example:2"));
        Assert.Equal(new Uri("https://s3.example:2"), options.ServiceUrl);

        Assert.Equal(new Uri("http://general:1"), FromEnv(("AWS_ENDPOINT_URL", "http://general:1")).ServiceUrl);
    }

    [Fact]
    public void Endpoint_variables_are_ignored_when_told_to()
    {
        var options = FromEnv(("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000"), ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"));

        Assert.Null(options.ServiceUrl);
        Assert.True(options.EffectiveUseChunkEncoding);
    }

    [Fact]
    public void AWS_REGION_wins_over_AWS_DEFAULT_REGION()
    {
        Assert.Equal("eu-central-1", FromEnv(("AWS_REGION", "eu-central-1"), ("AWS_DEFAULT_REGION", "us-west-2")).Region);
        Assert.Equal("us-west-2", FromEnv(("AWS_DEFAULT_REGION", "us-west-2")).Region);
    }

    [Fact]
    public void Explicit_settings_win_over_the_endpoint_defaults()
    {
        var options = FromEnv(("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000"), ("AWS_REQUEST_CHECKSUM_CALCULATION", "when_supported"))
            with { ForcePathStyle = false, UseChunkEncoding = true };

        Assert.False(options.EffectiveForcePathStyle);
        Assert.True(options.EffectiveUseChunkEncoding);
        Assert.Equal(S3ChecksumMode.WhenSupported, options.EffectiveRequestChecksumCalculation);
        Assert.Equal(S3ChecksumMode.WhenRequired, options.EffectiveResponseChecksumValidation);
    }

    [Fact]
    public void AWS_MAX_ATTEMPTS_sets_the_retries()
    {
        Assert.Equal(2, FromEnv(("AWS_MAX_ATTEMPTS", "3")).MaxRetries);
        Assert.Equal(0, FromEnv(("AWS_MAX_ATTEMPTS", "1")).MaxRetries);
        var e = Assert.Throws<ConfigurationException>(() => FromEnv(("AWS_MAX_ATTEMPTS", "zero")));
        Assert.Contains("AWS_MAX_ATTEMPTS", e.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:9000")]
    [InlineData("ftp://host/")]
    [InlineData("not a url")]
    public void An_unusable_endpoint_is_a_configuration_error_naming_the_variable(string endpoint)
    {
        var e = Assert.Throws<ConfigurationException>(() => FromEnv(("AWS_ENDPOINT_URL_S3", endpoint)));

        Assert.Contains("AWS_ENDPOINT_URL_S3", e.Message);
        Assert.Contains(endpoint, e.Message);
        Assert.Contains("http://", e.Message);
    }

    [Fact]
    public void An_endpoint_with_embedded_credentials_is_refused_without_echoing_them()
    {
        var e = Assert.Throws<ConfigurationException>(() => FromEnv(("AWS_ENDPOINT_URL", "http://user:hunter2-secret@minio:9000")));

        Assert.DoesNotContain("hunter2-secret", e.ToString());
        Assert.Contains("AWS_ENDPOINT_URL", e.Message);
    }

    [Fact]
    public void An_unknown_checksum_mode_is_a_configuration_error()
    {
        var e = Assert.Throws<ConfigurationException>(() => FromEnv(("AWS_RESPONSE_CHECKSUM_VALIDATION", "always")));
        Assert.Contains("when_required", e.Message);
    }

    [Fact]
    public void Validate_refuses_parts_below_the_S3_minimum()
    {
        var e = Assert.Throws<ConfigurationException>(() => new S3Options { MultipartPartSizeBytes = 1024 }.Validate());
        Assert.Contains("5 MiB", e.Message);
    }

    [Fact]
    public void ToString_never_shows_the_secret_or_the_session_token()
    {
        var options = new S3Options
        {
            ServiceUrl = new Uri("http://127.0.0.1:9000"),
            Credentials = new S3Credentials("AKIAEXAMPLEKEYID", "wJalrXUtnFEMI-SECRET-K7MDENG", "SESSION-TOKEN-VALUE"),
        };

        var text = options.ToString();

        Assert.Contains("AKIAEXAMPLEKEYID", text);
        Assert.DoesNotContain("wJalrXUtnFEMI-SECRET-K7MDENG", text);
        Assert.DoesNotContain("SESSION-TOKEN-VALUE", text);
        Assert.DoesNotContain("wJalrXUtnFEMI-SECRET-K7MDENG", options.Credentials.ToString());
        Assert.Contains("127.0.0.1:9000", text);
    }
}
