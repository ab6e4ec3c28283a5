namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// Explicit S3 credentials. Normally not needed: without them the standard AWS credential chain
/// (environment, profile, SSO, instance/container role) is used.
/// <see cref="ToString"/> never shows the secret key or session token.
/// </summary>
public sealed class S3Credentials
{
    public S3Credentials(string accessKeyId, string secretAccessKey, string? sessionToken = null)
    {
        if (string.IsNullOrWhiteSpace(accessKeyId)) throw new ArgumentException("The access key id is empty.", nameof(accessKeyId));
        if (string.IsNullOrEmpty(secretAccessKey)) throw new ArgumentException("The secret access key is empty.", nameof(secretAccessKey));
        AccessKeyId = accessKeyId;
        SecretAccessKey = secretAccessKey;
        SessionToken = sessionToken;
    }

    /// <summary>The access key id (an identifier, not a secret).</summary>
    public string AccessKeyId { get; }

    /// <summary>The secret access key. Never printed.</summary>
    internal string SecretAccessKey { get; }

    /// <summary>The session token of temporary credentials, if any. Never printed.</summary>
    internal string? SessionToken { get; }

    /// <summary>The access key id only; the secret and the session token are redacted.</summary>
    public override string ToString() =>
        $"access key {AccessKeyId}, secret ***{(SessionToken is null ? "" : ", session token ***")}";
}
