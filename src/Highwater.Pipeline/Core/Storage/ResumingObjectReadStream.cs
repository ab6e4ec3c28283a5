namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// A read-only stream over an S3 object body that survives a broken connection: when the body ends
/// prematurely or the read fails with an I/O error, it re-requests the rest of the same version
/// (byte range from the current position, pinned to the original ETag) up to a bounded number of times.
/// The AWS SDK does not retry a body that breaks after the response headers arrived.
/// </summary>
internal sealed class ResumingObjectReadStream : ForwardOnlyReadStream
{
    /// <summary>Opens the object from a byte offset; returns the body and disposes with it whatever owns it.</summary>
    public delegate Task<Stream> ReopenFrom(long offset, CancellationToken ct);

    private readonly long _length;
    private readonly ReopenFrom _reopen;
    private readonly int _maxResumes;
    private Stream _body;
    private long _position;
    private int _resumes;

    public ResumingObjectReadStream(Stream body, long length, ReopenFrom reopen, int maxResumes)
    {
        _body = body;
        _length = length;
        _reopen = reopen;
        _maxResumes = maxResumes;
    }

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("An S3 object stream can only be read forwards.");
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (buffer.Length == 0 || _position >= _length) return 0;
        while (true)
        {
            Exception? failure;
            try
            {
                var n = await _body.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n > 0)
                {
                    _position += n;
                    return n;
                }
                failure = new IOException($"The response ended prematurely at byte {_position} of {_length}.");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                failure = e;
            }

            if (_resumes >= _maxResumes)
                throw new IOException($"Reading the object failed at byte {_position} of {_length} after {_resumes} resume attempt(s).", failure);
            _resumes++;
            await _body.DisposeAsync().ConfigureAwait(false);
            _body = await _reopen(_position, ct).ConfigureAwait(false);
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("An S3 object stream can only be read forwards.");

    protected override void Dispose(bool disposing)
    {
        if (disposing) _body.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _body.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
