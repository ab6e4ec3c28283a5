namespace Highwater.Tests.Storage;

/// <summary>
/// A forward-only, non-seekable stream of deterministic pseudo-random bytes, so large bodies can be
/// written and checked without holding them in memory.
/// </summary>
internal sealed class GeneratedStream(long length, int seed) : Stream
{
    private readonly Random _random = new(seed);
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = (int)Math.Min(count, length - _position);
        if (n <= 0) return 0;
        _random.NextBytes(buffer.AsSpan(offset, n));
        _position += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>SHA-256 of the bytes a stream with this length and seed produces.</summary>
    public static byte[] HashOf(long length, int seed)
    {
        using var s = new GeneratedStream(length, seed);
        return System.Security.Cryptography.SHA256.HashData(s);
    }
}
