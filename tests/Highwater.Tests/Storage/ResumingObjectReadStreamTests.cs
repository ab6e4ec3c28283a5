using Highwater.Pipeline.Core.Storage;
using Xunit;

namespace Highwater.Tests.Storage;

public sealed class ResumingObjectReadStreamTests
{
    /// <summary>Serves a slice of <c>data</c> and breaks (IOException) after <c>breakAfter</c> bytes.</summary>
    private sealed class BreakingStream(byte[] data, int start, int breakAfter) : MemoryStream(data, start, data.Length - start, writable: false)
    {
        private int _served;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_served >= breakAfter) throw new IOException("The response ended prematurely.");
            var n = await base.ReadAsync(buffer[..Math.Min(buffer.Length, breakAfter - _served)], ct);
            _served += n;
            return n;
        }
    }

    private static readonly byte[] Data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 31)).ToArray();

    [Fact]
    public async Task A_broken_body_is_resumed_from_the_current_offset()
    {
        var offsets = new List<long>();
        await using var stream = new ResumingObjectReadStream(new BreakingStream(Data, 0, 3_000), Data.Length,
            (offset, _) => { offsets.Add(offset); return Task.FromResult<Stream>(new BreakingStream(Data, (int)offset, 4_000)); },
            maxResumes: 5);

        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(Data, copy.ToArray());
        Assert.Equal([3_000L, 7_000L], offsets);
    }

    [Fact]
    public async Task A_body_that_ends_early_is_resumed()
    {
        var offsets = new List<long>();
        await using var stream = new ResumingObjectReadStream(new MemoryStream(Data, 0, 2_500), Data.Length,
            (offset, _) => { offsets.Add(offset); return Task.FromResult<Stream>(new MemoryStream(Data, (int)offset, Data.Length - (int)offset)); },
            maxResumes: 1);

        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(Data, copy.ToArray());
        Assert.Equal([2_500L], offsets);
    }

    [Fact]
    public async Task Resumes_are_bounded()
    {
        await using var stream = new ResumingObjectReadStream(new BreakingStream(Data, 0, 100), Data.Length,
            (offset, _) => Task.FromResult<Stream>(new BreakingStream(Data, (int)offset, 100)), maxResumes: 2);

        var e = await Assert.ThrowsAsync<IOException>(() => stream.CopyToAsync(Stream.Null));
        Assert.Contains("300 of 10000", e.Message);
        Assert.Contains("2 resume", e.Message);
    }
}
