namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// One object in a store: its key relative to the store's root (always '/'-separated),
/// an opaque version tag (S3 ETag, or a content hash for local files), its size and when it arrived.
/// </summary>
public sealed record StoredObject(string Key, string ETag, long Size, DateTimeOffset LastModified);

/// <summary>
/// An entry a listing passed over because it is not an object that can be read: in a local folder a dangling link,
/// or a link to a folder that leads back to a folder above it (a cycle, not followed). Its key ends in '/' for a folder.
/// </summary>
public sealed record UnlistedEntry(string Key, string Reason);

/// <summary>
/// The small storage surface every stage goes through. Two real implementations:
/// <see cref="LocalFolderStore"/> and the S3 store. Keys are relative to the store's root
/// (a folder, or an S3 bucket plus prefix) and use '/' as separator.
/// </summary>
public interface IObjectStore
{
    /// <summary>Where this store points, for messages (never contains secrets).</summary>
    string Description { get; }

    /// <summary>
    /// Every object whose key starts with <paramref name="prefix"/>, recursively (no delimiter),
    /// in ordinal key order. When <paramref name="startAfter"/> is given, only keys ordinally greater. Keys are
    /// case-sensitive and listed as stored. An entry under the prefix that cannot be listed as an object is never an
    /// error: it is left out and, when <paramref name="unlisted"/> is given, added to it with the reason (in key order).
    /// </summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, string? startAfter = null, CancellationToken ct = default,
        ICollection<UnlistedEntry>? unlisted = null);

    /// <summary>The object's metadata, or null when there is none under that key.</summary>
    Task<StoredObject?> HeadAsync(string key, CancellationToken ct = default);

    /// <summary>Opens the object for streaming reads. Throws <see cref="ObjectNotFoundException"/> when missing.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken ct = default);

    /// <summary>
    /// Opens the object for streaming reads from byte <paramref name="offset"/> (at least 0, less than its length) to its
    /// end, fetching nothing before it: a Parquet file's footer is one small read however large the file.
    /// Throws <see cref="ObjectNotFoundException"/> when missing.
    /// </summary>
    Task<Stream> OpenReadFromAsync(string key, long offset, CancellationToken ct = default);

    /// <summary>
    /// Writes the object whole: readers see either the previous version or the new one, never a part.
    /// </summary>
    Task PutAsync(string key, Stream content, CancellationToken ct = default);

    /// <summary>
    /// Writes the object whole from a local file, with the same guarantee as <see cref="PutAsync"/>. A store may
    /// share the file's data instead of copying it (<see cref="LocalFolderStore"/> hard-links it when the file is on
    /// the warehouse's file system), so after this call the file must never be written in place: delete it or
    /// replace it by a new file (see <see cref="WorkArea.CreateFile"/>), which leaves the object as it was.
    /// </summary>
    Task PutFileAsync(string key, string localPath, CancellationToken ct = default);

    /// <summary>
    /// Creates the object only if no object exists under the key. Returns false when one already does.
    /// </summary>
    Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken ct = default);

    /// <summary>Removes the object (and any temporary name a killed put of it left); removing a missing object is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken ct = default);
}
