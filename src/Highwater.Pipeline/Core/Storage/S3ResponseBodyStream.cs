using Amazon.S3.Model;

namespace Highwater.Pipeline.Core.Storage;

/// <summary>The body of a GetObject response; disposing it releases the response and its connection.</summary>
internal sealed class S3ResponseBodyStream(GetObjectResponse response) : ForwardOnlyReadStream
{
    private readonly Stream _inner = response.ResponseStream;

    public override long Length => response.ContentLength;
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => _inner.ReadAsync(buffer, offset, count, ct);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => _inner.ReadAsync(buffer, ct);

    protected override void Dispose(bool disposing)
    {
        if (disposing) response.Dispose();
        base.Dispose(disposing);
    }
}
