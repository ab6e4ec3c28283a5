using System.Buffers.Binary;
using System.IO.Compression;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Pipeline.Extract;

/// <summary>
/// Decompresses a gzip body (one member or several concatenated ones, as CloudWatch Logs via Firehose writes
/// them) and, at the end, compares what came out with the gzip trailer (CRC-32 and size) of the last member.
/// .NET's <see cref="GZipStream"/> ends silently on a truncated body, handing out only the data before the cut;
/// this check catches that. When the trailer does not describe the whole output (several members, or a
/// truncated body) <see cref="LastMemberMatchesAsync"/> decides with a second read of the object.
/// </summary>
public sealed class CheckedGzipStream : ForwardOnlyReadStream
{
    private readonly TailStream _compressed;
    private readonly GZipStream _gzip;
    private readonly System.IO.Hashing.Crc32 _crc = new();
    private long _length;

    public CheckedGzipStream(Stream compressed)
    {
        _compressed = new TailStream(compressed);
        _gzip = new GZipStream(_compressed, CompressionMode.Decompress);
    }

    /// <summary>True once the decompressed data has been read to its end.</summary>
    public bool Finished { get; private set; }

    /// <summary>Bytes decompressed so far.</summary>
    public long DecompressedLength => _length;

    /// <summary>True when the body ends in a trailer whose CRC-32 and size match all the data decompressed.</summary>
    public bool TrailerMatchesAllData =>
        Finished && _compressed.HasTail && _crc.GetCurrentHashAsUInt32() == TrailerCrc && (uint)_length == TrailerSize;

    /// <summary>The CRC-32 the last 8 bytes of the body claim (meaningful for a complete gzip body only).</summary>
    public uint TrailerCrc => BinaryPrimitives.ReadUInt32LittleEndian(_compressed.Tail);

    /// <summary>The size (mod 2^32) the last 8 bytes of the body claim for the last member.</summary>
    public uint TrailerSize => BinaryPrimitives.ReadUInt32LittleEndian(_compressed.Tail[4..]);

    /// <summary>True when the body is at least as long as a gzip trailer.</summary>
    public bool HasTrailer => _compressed.HasTail;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (Finished || buffer.Length == 0) return 0;
        var n = _gzip.Read(buffer);
        if (n > 0)
        {
            _crc.Append(buffer[..n]);
            _length += n;
            return n;
        }
        _compressed.Drain(); // the trailer is the body's last 8 bytes, whatever the decompressor left unread
        Finished = true;
        return 0;
    }

    /// <summary>
    /// Reads a whole gzip body again and checks that its last <paramref name="lastMemberSize"/> decompressed bytes
    /// (of <paramref name="totalLength"/>) have the CRC-32 <paramref name="lastMemberCrc"/>: the last member is complete.
    /// </summary>
    public static async Task<bool> LastMemberMatchesAsync(Stream compressed, long totalLength, uint lastMemberCrc, uint lastMemberSize, CancellationToken ct)
    {
        var start = totalLength - lastMemberSize;
        if (start <= 0) return false; // one member: the whole-data check already failed
        await using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        var buffer = new byte[1 << 16];
        long position = 0;
        var crc = new System.IO.Hashing.Crc32();
        int n;
        while ((n = await gzip.ReadAsync(buffer, ct)) > 0)
        {
            var from = (int)Math.Clamp(start - position, 0, n);
            if (from < n) crc.Append(buffer.AsSpan(from, n - from));
            position += n;
        }
        return position == totalLength && crc.GetCurrentHashAsUInt32() == lastMemberCrc;
    }

    public override long Position { get => _length; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _gzip.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _gzip.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>Passes reads through and keeps the last 8 bytes read.</summary>
    private sealed class TailStream(Stream inner) : ForwardOnlyReadStream
    {
        private readonly byte[] _tail = new byte[8];
        private long _count;

        public bool HasTail => _count >= 8;

        /// <summary>The last 8 bytes, oldest first.</summary>
        public ReadOnlySpan<byte> Tail
        {
            get
            {
                var ordered = new byte[8];
                for (var i = 0; i < 8; i++) ordered[i] = _tail[(int)((_count + i) % 8)];
                return ordered;
            }
        }

        public void Drain()
        {
            var buffer = new byte[8192];
            while (Read(buffer, 0, buffer.Length) > 0) { }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            for (var i = 0; i < n; i++) _tail[(int)((_count + i) % 8)] = buffer[offset + i];
            _count += n;
            return n;
        }

        public override long Position { get => _count; set => throw new NotSupportedException(); }
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
