namespace Highwater.Pipeline.Core.Storage;

/// <summary>A storage failure: the store could not be reached, refused access, or lost data mid-transfer.</summary>
public class StorageException : Exception
{
    public StorageException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>An object that was expected is not there.</summary>
public sealed class ObjectNotFoundException : StorageException
{
    public ObjectNotFoundException(string store, string key)
        : base($"No object '{key}' in {store}.") => Key = key;

    public string Key { get; }
}
