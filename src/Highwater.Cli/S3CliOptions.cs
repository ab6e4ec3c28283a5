using Highwater.Pipeline;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Cli;

/// <summary>
/// The S3 settings a command line can give (each also as HIGHWATER_S3_*), laid over what the standard AWS
/// environment says (<see cref="S3Options.FromEnvironment"/>): endpoint, region, profile, path-style
/// addressing, checksum mode and chunked upload framing. Credentials only ever come from the AWS chain.
/// </summary>
public static class S3CliOptions
{
    public static readonly IReadOnlyDictionary<string, string> Options = new Dictionary<string, string>
    {
        ["s3-endpoint"] = "S3-compatible endpoint URL (MinIO, Ceph, R2, s3rver); else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL",
        ["s3-region"] = "AWS region; else AWS_REGION / AWS_DEFAULT_REGION",
        ["s3-profile"] = "AWS profile for credentials; else AWS_PROFILE",
        ["s3-path-style"] = "true | false: path-style addressing (default true with an endpoint override)",
        ["s3-checksums"] = "when_required | when_supported (default when_required with an endpoint override)",
        ["s3-chunked-upload"] = "true | false: aws-chunked upload framing (default false with an endpoint override)",
    };

    public static S3Options Build(CliArguments cli, Func<string, string?>? environment = null)
    {
        var options = S3Options.FromEnvironment(environment);
        if (cli.Find("s3-endpoint") is { } endpoint) options = options with { ServiceUrl = S3Options.ParseEndpoint(endpoint, "--s3-endpoint") };
        if (cli.Find("s3-region") is { } region) options = options with { Region = region };
        if (cli.Find("s3-profile") is { } profile) options = options with { Profile = profile };
        if (cli.Find("s3-path-style") is { } pathStyle) options = options with { ForcePathStyle = Flag(pathStyle, "--s3-path-style") };
        if (cli.Find("s3-chunked-upload") is { } chunked) options = options with { UseChunkEncoding = Flag(chunked, "--s3-chunked-upload") };
        if (cli.Find("s3-checksums") is { } checksums)
        {
            var mode = checksums.ToLowerInvariant() switch
            {
                "when_required" => S3ChecksumMode.WhenRequired,
                "when_supported" => S3ChecksumMode.WhenSupported,
                _ => throw new ConfigurationException($"--s3-checksums={checksums}: use when_required or when_supported."),
            };
            options = options with { RequestChecksumCalculation = mode, ResponseChecksumValidation = mode };
        }
        options.Validate();
        return options;
    }

    private static bool Flag(string value, string option) => value.ToLowerInvariant() switch
    {
        "true" or "yes" or "1" => true,
        "false" or "no" or "0" => false,
        _ => throw new ConfigurationException($"{option}={value}: use true or false."),
    };
}
