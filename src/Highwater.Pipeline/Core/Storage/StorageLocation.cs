namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// Where a dataset lives: a local folder or <c>s3://bucket/prefix</c>, as given to
/// <c>--landing</c>, <c>--users</c> or <c>--warehouse</c>.
/// </summary>
public sealed record StorageLocation
{
    private StorageLocation(string text, string? bucket, string path)
    {
        Text = text;
        Bucket = bucket;
        Path = path;
    }

    /// <summary>What the user wrote.</summary>
    public string Text { get; }

    /// <summary>The S3 bucket, or null for a local folder.</summary>
    public string? Bucket { get; }

    /// <summary>The local folder (absolute), or the S3 key prefix without leading or trailing '/'.</summary>
    public string Path { get; }

    public bool IsS3 => Bucket is not null;

    public override string ToString() => IsS3 ? $"s3://{Bucket}/{Path}".TrimEnd('/') : Path;

    /// <summary>Parses a location; <paramref name="option"/> names the option for error messages.</summary>
    public static StorageLocation Parse(string text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ConfigurationException($"{option} is empty: give a local folder or s3://bucket/prefix.");
        if (text.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            var rest = text[5..];
            var slash = rest.IndexOf('/');
            var bucket = slash < 0 ? rest : rest[..slash];
            var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
            if (bucket.Length is < 3 or > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
                throw new ConfigurationException($"{option}={text}: '{bucket}' is not a valid S3 bucket name (3-63 characters: lower-case letters, digits, '-' and '.').");
            return new StorageLocation(text, bucket, prefix);
        }
        if (text.Contains("://", StringComparison.Ordinal))
            throw new ConfigurationException($"{option}={text}: only local folders and s3://bucket/prefix are supported.");
        return new StorageLocation(text, null, System.IO.Path.GetFullPath(text));
    }
}
