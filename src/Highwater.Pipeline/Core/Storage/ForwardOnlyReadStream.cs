namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// The common shape of the pipeline's wrapping streams: readable, forward only, never written. Subclasses
/// implement <see cref="Stream.Read(byte[], int, int)"/> and override <see cref="Length"/> or
/// <see cref="Position"/> when they know them; everything else is refused.
/// </summary>
public abstract class ForwardOnlyReadStream : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
