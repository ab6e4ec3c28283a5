using Highwater.Storage;

namespace Highwater.Tests.Support;

/// <summary>
/// A store that behaves like the one it wraps until a chosen operation on a chosen key, where it fails
/// the way a crash or an outage would. Used to prove that any failure leaves a readable, consistent state.
/// </summary>
public sealed class FaultyStore(IObjectStore inner, Func<string, string, bool> failWhen) : IObjectStore
{
    private int _failures;

    /// <summary>How many operations failed (puts may run concurrently).</summary>
    public int Failures => Volatile.Read(ref _failures);

    public string Description => inner.Description;

    public IAsyncEnumerable<StoredObject> ListAsync(string prefix, string? startAfter = null, CancellationToken ct = default,
        ICollection<UnlistedEntry>? unlisted = null) =>
        inner.ListAsync(prefix, startAfter, ct, unlisted);

    public Task<StoredObject?> HeadAsync(string key, CancellationToken ct = default) => inner.HeadAsync(key, ct);

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct = default)
    {
        Check("get", key);
        return inner.OpenReadAsync(key, ct);
    }

    public Task PutAsync(string key, Stream content, CancellationToken ct = default)
    {
        Check("put", key);
        return inner.PutAsync(key, content, ct);
    }

    public Task PutFileAsync(string key, string localPath, CancellationToken ct = default)
    {
        Check("put", key);
        return inner.PutFileAsync(key, localPath, ct);
    }

    public Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken ct = default)
    {
        Check("put", key);
        return inner.PutIfAbsentAsync(key, content, ct);
    }

    public Task DeleteAsync(string key, CancellationToken ct = default)
    {
        Check("delete", key);
        return inner.DeleteAsync(key, ct);
    }

    private void Check(string operation, string key)
    {
        if (!failWhen(operation, key)) return;
        Interlocked.Increment(ref _failures);
        throw new StorageException($"injected failure: {operation} {key}");
    }
}
