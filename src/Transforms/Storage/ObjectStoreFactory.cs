namespace Highwater.Storage;

/// <summary>Opens the store a <see cref="StorageLocation"/> names.</summary>
public static class ObjectStoreFactory
{
    public static IObjectStore Open(StorageLocation location)
    {
        if (location.IsS3)
            throw new ConfigurationException(
                $"{location}: S3 locations are recognised but not supported by this build yet; use a local folder.");
        return new LocalFolderStore(location.Path);
    }
}
