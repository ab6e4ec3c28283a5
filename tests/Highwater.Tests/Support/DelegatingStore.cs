using Highwater.Pipeline.Core.Storage;

namespace Highwater.Tests.Support;

/// <summary>
/// A store that forwards every operation to the one it wraps. Test stores derive from it and override only the
/// operations whose behaviour they change.
/// </summary>
public abstract class DelegatingStore(IObjectStore inner) : IObjectStore
{
    protected IObjectStore Inner { get; } = inner;

    public virtual string Description => Inner.Description;

    public virtual IAsyncEnumerable<StoredObject> ListAsync(string prefix, string? startAfter = null, CancellationToken ct = default,
        ICollection<UnlistedEntry>? unlisted = null) =>
        Inner.ListAsync(prefix, startAfter, ct, unlisted);

    public virtual Task<StoredObject?> HeadAsync(string key, CancellationToken ct = default) => Inner.HeadAsync(key, ct);

    public virtual Task<Stream> OpenReadAsync(string key, CancellationToken ct = default) => Inner.OpenReadAsync(key, ct);

    public virtual Task<Stream> OpenReadFromAsync(string key, long offset, CancellationToken ct = default) =>
        Inner.OpenReadFromAsync(key, offset, ct);

    public virtual Task PutAsync(string key, Stream content, CancellationToken ct = default) => Inner.PutAsync(key, content, ct);

    public virtual Task PutFileAsync(string key, string localPath, CancellationToken ct = default) =>
        Inner.PutFileAsync(key, localPath, ct);

    public virtual Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken ct = default) =>
        Inner.PutIfAbsentAsync(key, content, ct);

    public virtual Task DeleteAsync(string key, CancellationToken ct = default) => Inner.DeleteAsync(key, ct);
}
