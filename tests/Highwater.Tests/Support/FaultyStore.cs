using Highwater.Pipeline.Core.Storage;

namespace Highwater.Tests.Support;

/// <summary>
/// A store that behaves like the one it wraps until a chosen operation on a chosen key, where it fails
/// the way a crash or an outage would. Used to prove that any failure leaves a readable, consistent state.
/// </summary>
public sealed class FaultyStore(IObjectStore inner, Func<string, string, bool> failWhen) : DelegatingStore(inner)
{
    private int _failures;

    /// <summary>How many operations failed (puts may run concurrently).</summary>
    public int Failures => Volatile.Read(ref _failures);

    public override Task<Stream> OpenReadAsync(string key, CancellationToken ct = default)
    {
        Check("get", key);
        return Inner.OpenReadAsync(key, ct);
    }

    public override Task PutAsync(string key, Stream content, CancellationToken ct = default)
    {
        Check("put", key);
        return Inner.PutAsync(key, content, ct);
    }

    public override Task PutFileAsync(string key, string localPath, CancellationToken ct = default)
    {
        Check("put", key);
        return Inner.PutFileAsync(key, localPath, ct);
    }

    public override Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken ct = default)
    {
        Check("put", key);
        return Inner.PutIfAbsentAsync(key, content, ct);
    }

    public override Task DeleteAsync(string key, CancellationToken ct = default)
    {
        Check("delete", key);
        return Inner.DeleteAsync(key, ct);
    }

    private void Check(string operation, string key)
    {
        if (!failWhen(operation, key)) return;
        Interlocked.Increment(ref _failures);
        throw new StorageException($"injected failure: {operation} {key}");
    }
}
