using System.Globalization;

namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// How to reach S3 or an S3-compatible server (MinIO, Ceph, R2, s3rver...).
/// <para>
/// Settings left null follow one rule: with an endpoint override (<see cref="ServiceUrl"/>) the client
/// uses S3-compatible settings (path-style addressing, checksums only when required, no
/// <c>aws-chunked</c> upload framing); against AWS S3 itself the AWS SDK defaults apply.
/// Setting a value explicitly always wins.
/// </para>
/// Credentials come from the standard AWS chain unless <see cref="Credentials"/> or <see cref="Profile"/> is set.
/// <see cref="ToString"/> never shows secrets.
/// </summary>
public sealed record S3Options
{
    /// <summary>The AWS region (for example <c>eu-west-1</c>). Null: the SDK's own resolution (profile, instance metadata); <c>us-east-1</c> with an endpoint override.</summary>
    public string? Region { get; init; }

    /// <summary>Endpoint override, for example <c>http://127.0.0.1:9000</c>. Null: AWS S3.</summary>
    public Uri? ServiceUrl { get; init; }

    /// <summary>Path-style addressing (<c>host/bucket/key</c>). Null: on with an endpoint override, SDK default otherwise.</summary>
    public bool? ForcePathStyle { get; init; }

    /// <summary>When request checksums are computed. Null: WhenRequired with an endpoint override, SDK default otherwise.</summary>
    public S3ChecksumMode? RequestChecksumCalculation { get; init; }

    /// <summary>When response checksums are validated. Null: WhenRequired with an endpoint override, SDK default otherwise.</summary>
    public S3ChecksumMode? ResponseChecksumValidation { get; init; }

    /// <summary>
    /// Whether uploads may use the <c>aws-chunked</c> body framing. Null: off with an endpoint override
    /// (servers such as s3rver store the framing as the object's bytes), SDK default otherwise.
    /// </summary>
    public bool? UseChunkEncoding { get; init; }

    /// <summary>Bodies larger than this are uploaded in parts (multipart upload). Default 16 MiB.</summary>
    public long MultipartThresholdBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Size of each multipart part except the last; at least 5 MiB (an S3 limit). Default 8 MiB.</summary>
    public int MultipartPartSizeBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>How many times a transient failure (throttling, 5xx, refused connection, timeout) is retried. Default 4.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>Delay before the first retry; doubles with each further retry, with jitter. Default 200 ms.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of a single retry delay. Default 10 s.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Keys requested per ListObjectsV2 page, 1 to 1000. Default 1000.</summary>
    public int ListPageSize { get; init; } = 1000;

    /// <summary>Timeout of one HTTP request. Null: SDK default.</summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>A named profile from <c>~/.aws/config</c> / <c>~/.aws/credentials</c>. Null: the default chain.</summary>
    public string? Profile { get; init; }

    /// <summary>Explicit credentials; overrides <see cref="Profile"/> and the default chain. Normally null.</summary>
    public S3Credentials? Credentials { get; init; }

    /// <summary>True when an endpoint override points the client at an S3-compatible server.</summary>
    public bool HasEndpointOverride => ServiceUrl is not null;

    /// <summary>The path-style setting in effect, or null when the SDK default applies.</summary>
    public bool? EffectiveForcePathStyle => ForcePathStyle ?? (HasEndpointOverride ? true : null);

    /// <summary>The request checksum setting in effect, or null when the SDK default applies.</summary>
    public S3ChecksumMode? EffectiveRequestChecksumCalculation =>
        RequestChecksumCalculation ?? (HasEndpointOverride ? S3ChecksumMode.WhenRequired : null);

    /// <summary>The response checksum setting in effect, or null when the SDK default applies.</summary>
    public S3ChecksumMode? EffectiveResponseChecksumValidation =>
        ResponseChecksumValidation ?? (HasEndpointOverride ? S3ChecksumMode.WhenRequired : null);

    /// <summary>Whether upload bodies may be sent in <c>aws-chunked</c> framing.</summary>
    public bool EffectiveUseChunkEncoding => UseChunkEncoding ?? !HasEndpointOverride;

    /// <summary>
    /// Options from the standard AWS environment variables: <c>AWS_ENDPOINT_URL_S3</c> (else <c>AWS_ENDPOINT_URL</c>,
    /// both ignored when <c>AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true</c>), <c>AWS_REGION</c> (else <c>AWS_DEFAULT_REGION</c>),
    /// <c>AWS_PROFILE</c>, <c>AWS_REQUEST_CHECKSUM_CALCULATION</c>, <c>AWS_RESPONSE_CHECKSUM_VALIDATION</c>
    /// and <c>AWS_MAX_ATTEMPTS</c> (total attempts, so retries = attempts - 1).
    /// Credentials are not read here: the SDK's default chain reads them when the client is created.
    /// </summary>
    /// <param name="getVariable">Reads a variable; defaults to <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <exception cref="ConfigurationException">A variable holds a value that cannot be used.</exception>
    public static S3Options FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        string? Read(string name) => getVariable(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        var options = new S3Options();
        var ignoreEndpoints = string.Equals(Read("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase);
        if (!ignoreEndpoints)
        {
            if (Read("AWS_ENDPOINT_URL_S3") is { } s3Endpoint)
                options = options with { ServiceUrl = ParseEndpoint(s3Endpoint, "AWS_ENDPOINT_URL_S3") };
            else if (Read("AWS_ENDPOINT_URL") is { } endpoint)
                options = options with { ServiceUrl = ParseEndpoint(endpoint, "AWS_ENDPOINT_URL") };
        }
        options = options with
        {
            Region = Read("AWS_REGION") ?? Read("AWS_DEFAULT_REGION"),
            Profile = Read("AWS_PROFILE"),
            RequestChecksumCalculation = ParseChecksumMode(Read("AWS_REQUEST_CHECKSUM_CALCULATION"), "AWS_REQUEST_CHECKSUM_CALCULATION"),
            ResponseChecksumValidation = ParseChecksumMode(Read("AWS_RESPONSE_CHECKSUM_VALIDATION"), "AWS_RESPONSE_CHECKSUM_VALIDATION"),
        };
        if (Read("AWS_MAX_ATTEMPTS") is { } attempts)
        {
            if (!int.TryParse(attempts, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new ConfigurationException($"AWS_MAX_ATTEMPTS={attempts}: expected a whole number of attempts, 1 or more.");
            options = options with { MaxRetries = n - 1 };
        }
        return options;
    }

    /// <summary>Parses an endpoint override; <paramref name="source"/> names the option or variable for messages.</summary>
    /// <exception cref="ConfigurationException">Not an absolute http(s) URL, or it embeds credentials.</exception>
    public static Uri ParseEndpoint(string text, string source)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ConfigurationException(
                $"{source}: '{UserInfoMask.Mask(text)}' is not an absolute http(s) URL; write it with the scheme, for example http://127.0.0.1:9000.");
        if (uri.UserInfo.Length > 0)
            throw new ConfigurationException(
                $"{source}: '{UserInfoMask.Mask(text)}' embeds credentials in the URL; give them through the AWS credential chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile) instead.");
        return uri;
    }

    /// <summary>Checks the numeric settings.</summary>
    /// <exception cref="ConfigurationException">A setting is out of range.</exception>
    public void Validate()
    {
        if (ServiceUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) || url.UserInfo.Length > 0))
            throw new ConfigurationException(
                "The S3 endpoint must be an absolute http(s) URL without credentials in it, for example http://127.0.0.1:9000.");
        if (MultipartPartSizeBytes < 5 * 1024 * 1024)
            throw new ConfigurationException($"S3 multipart part size {MultipartPartSizeBytes} bytes is below the S3 minimum of 5 MiB.");
        if (MultipartThresholdBytes < 1 || MultipartThresholdBytes > Array.MaxLength - 1)
            throw new ConfigurationException($"S3 multipart threshold {MultipartThresholdBytes} bytes is out of range (1 byte to 2 GiB).");
        if (MaxRetries < 0)
            throw new ConfigurationException($"S3 max retries {MaxRetries} is negative.");
        if (ListPageSize is < 1 or > 1000)
            throw new ConfigurationException($"S3 list page size {ListPageSize} is out of range (1 to 1000).");
        if (RetryBaseDelay < TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay)
            throw new ConfigurationException($"S3 retry delays are inconsistent: base {RetryBaseDelay}, max {RetryMaxDelay}.");
    }

    /// <summary>A one-line summary for logs and messages; never contains secrets.</summary>
    public override string ToString()
    {
        static string Show<T>(T? value) where T : struct => value?.ToString() ?? "sdk-default";
        return $"S3Options {{ Endpoint = {ServiceUrl?.ToString() ?? "AWS"}, Region = {Region ?? "sdk-default"}, " +
               $"PathStyle = {Show(EffectiveForcePathStyle)}, RequestChecksums = {Show(EffectiveRequestChecksumCalculation)}, " +
               $"ResponseChecksums = {Show(EffectiveResponseChecksumValidation)}, ChunkEncoding = {EffectiveUseChunkEncoding}, " +
               $"MultipartThreshold = {MultipartThresholdBytes}, PartSize = {MultipartPartSizeBytes}, MaxRetries = {MaxRetries}, " +
               $"ListPageSize = {ListPageSize}, Profile = {Profile ?? "default-chain"}, " +
               $"Credentials = {(Credentials is null ? "default-chain" : Credentials.ToString())} }}";
    }

    private static S3ChecksumMode? ParseChecksumMode(string? text, string source) => text?.ToLowerInvariant() switch
    {
        null => null,
        "when_required" => S3ChecksumMode.WhenRequired,
        "when_supported" => S3ChecksumMode.WhenSupported,
        _ => throw new ConfigurationException($"{source}={text}: expected when_required or when_supported."),
    };
}
