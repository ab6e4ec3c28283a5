namespace Highwater.Pipeline.Core.Storage;

/// <summary>Opens the store a <see cref="StorageLocation"/> names.</summary>
public static class ObjectStoreFactory
{
    /// <summary>
    /// A <see cref="LocalFolderStore"/> for a folder, an <see cref="S3ObjectStore"/> for <c>s3://bucket/prefix</c>
    /// with options from the standard AWS environment variables (<see cref="S3Options.FromEnvironment"/>).
    /// </summary>
    public static IObjectStore Open(StorageLocation location) => Open(location, s3: null);

    /// <summary>
    /// As <see cref="Open(StorageLocation)"/>, with explicit S3 options; null means <see cref="S3Options.FromEnvironment"/>.
    /// <paramref name="s3"/> is ignored for local folders.
    /// </summary>
    /// <exception cref="ConfigurationException">The S3 options are unusable (bad endpoint, unknown profile, no region).</exception>
    public static IObjectStore Open(StorageLocation location, S3Options? s3 = null)
    {
        if (location.IsS3)
            return new S3ObjectStore(location, s3 ?? S3Options.FromEnvironment());
        return new LocalFolderStore(location.Path);
    }
}
