using Highwater.Pipeline.Core.Storage;
using Parquet;
using Parquet.Schema;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// A published Parquet file's schema from its footer alone: the object's last bytes in one ranged read (two when the
/// footer is longer than <see cref="TailBytes"/>), however large the file, on S3 as on a local folder.
/// Layout (Parquet): the file ends with the Thrift footer, its length as a little-endian int32, and "PAR1".
/// </summary>
public static class ParquetFooter
{
    /// <summary>What the first read takes from the end: enough for the footer of a file of a few hundred columns.</summary>
    public const int TailBytes = 64 * 1024;

    /// <summary>The schema, or null when the object is gone (a publish replaced it meanwhile).</summary>
    /// <exception cref="InvalidDataException">The object does not end like a Parquet file.</exception>
    public static async Task<ParquetSchema?> ReadSchemaAsync(IObjectStore store, string key, CancellationToken ct)
    {
        if (await store.HeadAsync(key, ct) is not { } head) return null;
        var length = head.Size;
        if (length < 12) throw new InvalidDataException($"it is {length} bytes long, shorter than any Parquet file");
        try
        {
            var tail = await ReadFromAsync(store, key, Math.Max(0, length - TailBytes), length, ct);
            var footerLength = BitConverter.ToInt32(tail, tail.Length - 8);
            if (!tail.AsSpan(tail.Length - 4).SequenceEqual("PAR1"u8))
                throw new InvalidDataException("it does not end with the Parquet magic PAR1");
            if (footerLength <= 0 || footerLength > length - 12)
                throw new InvalidDataException($"its footer length ({footerLength}) does not fit its size ({length} bytes)");
            if (footerLength + 8 > tail.Length)
                tail = await ReadFromAsync(store, key, length - 8 - footerLength, length, ct);
            await using var view = new TailView(length, tail);
            await using var reader = await ParquetReader.CreateAsync(view, leaveStreamOpen: true, cancellationToken: ct);
            return reader.Schema;
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    private static async Task<byte[]> ReadFromAsync(IObjectStore store, string key, long offset, long length, CancellationToken ct)
    {
        var bytes = new byte[length - offset];
        await using var body = await store.OpenReadFromAsync(key, offset, ct);
        await body.ReadExactlyAsync(bytes, ct);
        return bytes;
    }

    /// <summary>
    /// A read-only, seekable view of a file of <see cref="Length"/> bytes of which only the last ones (and the leading
    /// magic) are known: what a Parquet reader needs to read the footer. Any other byte reads as zero.
    /// </summary>
    private sealed class TailView(long length, byte[] tail) : Stream
    {
        private readonly long _tailStart = length - tail.Length;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, Math.Max(0, length - Position));
            for (var i = 0; i < n; i++)
            {
                var at = Position + i;
                buffer[i] = at >= _tailStart ? tail[at - _tailStart] : at < 4 ? "PAR1"u8[(int)at] : (byte)0;
            }
            Position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => new(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => length + offset,
        };

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
