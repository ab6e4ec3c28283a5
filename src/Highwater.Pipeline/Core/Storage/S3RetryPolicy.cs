namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// Runs an S3 call, retrying transient failures (see <see cref="S3FaultClassifier"/>) with exponential
/// backoff and jitter (half fixed, half random), at most <see cref="MaxRetries"/> times. The AWS SDK's own retries are off,
/// so this is the only retry layer.
/// </summary>
internal sealed class S3RetryPolicy(int maxRetries, TimeSpan baseDelay, TimeSpan maxDelay)
{
    public int MaxRetries { get; } = maxRetries;

    /// <summary>
    /// Runs <paramref name="attempt"/>; on final failure throws what <paramref name="translate"/> makes of
    /// (exception, attempts made, whether it was transient). Cancellation by the caller propagates unchanged.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> attempt,
        Func<Exception, int, bool, Exception> translate, CancellationToken ct)
    {
        for (var retry = 0; ; retry++)
        {
            try
            {
                return await attempt(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (StorageException)
            {
                throw; // already translated by an inner layer
            }
            catch (Exception e)
            {
                var transient = S3FaultClassifier.IsTransient(e, ct);
                if (!transient || retry >= MaxRetries) throw translate(e, retry + 1, transient);
            }
            await Task.Delay(DelayBefore(retry + 1), ct).ConfigureAwait(false);
        }
    }

    /// <summary>The randomised delay before retry number <paramref name="retry"/> (1-based).</summary>
    public TimeSpan DelayBefore(int retry)
    {
        var exponent = Math.Min(retry - 1, 30);
        var ceiling = Math.Min(maxDelay.Ticks, baseDelay.Ticks * (1L << Math.Min(exponent, 20)));
        return TimeSpan.FromTicks(ceiling / 2 + (long)(Random.Shared.NextDouble() * (ceiling / 2)));
    }
}
