namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// When the S3 client computes request checksums or validates response checksums.
/// Mirrors the AWS SDK setting of the same name (<c>when_supported</c> / <c>when_required</c>).
/// </summary>
public enum S3ChecksumMode
{
    /// <summary>Only when the operation requires it. Needed by many S3-compatible servers.</summary>
    WhenRequired,

    /// <summary>Whenever the operation supports it (the AWS SDK v4 default against AWS S3).</summary>
    WhenSupported,
}
