using System.Text;
using Highwater.Pipeline.Extract;
using Xunit;

namespace Highwater.Tests.Staging;

public sealed class NdjsonLineReaderTests
{
    /// <summary>A read-only stream that hands out at most <c>chunk</c> bytes per Read call.</summary>
    private sealed class TrickleStream(byte[] data, int chunk = 1) : Stream
    {
        private int _position;
        public int Reads { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Reads++;
            var n = Math.Min(Math.Min(chunk, count), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed record Line(long Number, string Text, bool TooLong);

    private static List<Line> ReadAll(NdjsonLineReader reader)
    {
        var lines = new List<Line>();
        while (reader.TryReadLine(out var line))
        {
            lines.Add(new Line(reader.LineNumber, Encoding.UTF8.GetString(line.Span), reader.LastLineTooLong));
            Assert.True(lines.Count < 10_000, "reader does not terminate");
        }
        Assert.False(reader.TryReadLine(out _)); // stays at the end
        return lines;
    }

    private static List<Line> ReadAll(string text, int initialBufferBytes = 1 << 16, int maxLineBytes = NdjsonLineReader.DefaultMaxLineBytes, int? chunk = null)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Stream stream = chunk is { } c ? new TrickleStream(bytes, c) : new MemoryStream(bytes);
        return ReadAll(new NdjsonLineReader(stream, initialBufferBytes, maxLineBytes));
    }

    private static Line L(long n, string text, bool tooLong = false) => new(n, text, tooLong);

    [Fact]
    public void Lf_endings()
    {
        Assert.Equal([L(1, "a"), L(2, "bc"), L(3, "def")], ReadAll("a\nbc\ndef\n"));
    }

    [Fact]
    public void A_byte_order_mark_at_the_start_is_skipped_and_kept_elsewhere()
    {
        Assert.Equal([L(1, "a"), L(2, "\uFEFFb")], ReadAll("\uFEFFa\n\uFEFFb\n", chunk: 1));
        Assert.Equal([L(1, "a")], ReadAll("\uFEFFa"));
        Assert.Equal([L(1, "\uFEFF")], ReadAll("\uFEFF\uFEFF"));
    }

    [Theory]
    [InlineData(1 << 16)] // the line found whole in a large buffer
    [InlineData(16)]      // the line outgrows the limit while being read
    public void A_line_too_long_says_whether_it_held_carriage_returns(int initialBufferBytes)
    {
        var cr = new NdjsonLineReader(new MemoryStream(Encoding.UTF8.GetBytes("{\"a\":1}\r{\"a\":2}\r{\"a\":3}\r\nok\n")), initialBufferBytes, maxLineBytes: 20);
        Assert.True(cr.TryReadLine(out _));
        Assert.True(cr.LastLineTooLong);
        Assert.True(cr.LastLineHadCarriageReturn);
        Assert.True(cr.TryReadLine(out var next));
        Assert.False(cr.LastLineTooLong || cr.LastLineHadCarriageReturn);
        Assert.Equal("ok", Encoding.UTF8.GetString(next.Span));

        var plain = new NdjsonLineReader(new MemoryStream(Encoding.UTF8.GetBytes(new string('x', 50) + "\n")), initialBufferBytes, maxLineBytes: 20);
        Assert.True(plain.TryReadLine(out _));
        Assert.True(plain.LastLineTooLong);
        Assert.False(plain.LastLineHadCarriageReturn);
    }

    [Fact]
    public void Crlf_endings_drop_the_carriage_return()
    {
        Assert.Equal([L(1, "a"), L(2, "bc"), L(3, "def")], ReadAll("a\r\nbc\r\ndef\r\n"));
    }

    [Fact]
    public void Mixed_endings()
    {
        Assert.Equal([L(1, "a"), L(2, "b"), L(3, "c")], ReadAll("a\r\nb\nc\r\n"));
    }

    [Fact]
    public void Carriage_return_inside_a_line_is_kept()
    {
        Assert.Equal([L(1, "a\rb")], ReadAll("a\rb\n"));
    }

    [Fact]
    public void Last_line_without_trailing_newline_is_returned()
    {
        Assert.Equal([L(1, "a"), L(2, "last")], ReadAll("a\nlast"));
    }

    [Fact]
    public void Last_line_without_newline_but_with_carriage_return_is_trimmed()
    {
        Assert.Equal([L(1, "a"), L(2, "last")], ReadAll("a\nlast\r"));
    }

    [Fact]
    public void Empty_stream_has_no_lines()
    {
        Assert.Empty(ReadAll(""));
    }

    [Fact]
    public void Empty_lines_are_returned_as_empty_and_counted()
    {
        Assert.Equal([L(1, ""), L(2, "a"), L(3, ""), L(4, ""), L(5, "b")], ReadAll("\na\n\r\n\nb\n"));
    }

    [Fact]
    public void Single_newline_is_one_empty_line()
    {
        Assert.Equal([L(1, "")], ReadAll("\n"));
    }

    [Fact]
    public void Line_numbers_are_one_based_and_consecutive()
    {
        var text = string.Concat(Enumerable.Range(1, 50).Select(i => $"line {i}\n"));

        var lines = ReadAll(text);

        Assert.Equal(Enumerable.Range(1, 50).Select(i => L(i, $"line {i}")), lines);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Lines_longer_than_the_initial_buffer_survive_refills(int chunk)
    {
        var longLine = new string('x', 37) + "é" + new string('y', 20);
        var text = $"ab\r\n{longLine}\r\n\r\n{longLine}{longLine}\nz";

        var bytes = Encoding.UTF8.GetBytes(text);
        var stream = new TrickleStream(bytes, chunk);
        var lines = ReadAll(new NdjsonLineReader(stream, initialBufferBytes: 4));

        Assert.Equal([L(1, "ab"), L(2, longLine), L(3, ""), L(4, longLine + longLine), L(5, "z")], lines);
        Assert.True(stream.Reads > bytes.Length / chunk, "the stream was read in many small calls");
    }

    [Fact]
    public void Carriage_return_and_newline_split_across_reads_are_handled()
    {
        // With 1-byte reads '\r' arrives in one read and '\n' in the next.
        Assert.Equal([L(1, "abc"), L(2, "d")], ReadAll("abc\r\nd\r\n", initialBufferBytes: 4, chunk: 1));
    }

    [Fact]
    public void Over_long_line_is_flagged_and_the_next_line_is_read_with_its_number()
    {
        var text = "ok\n" + new string('L', 50) + "\nnext\nlast";

        var lines = ReadAll(text, initialBufferBytes: 4, maxLineBytes: 8, chunk: 1);

        Assert.Equal([L(1, "ok"), L(2, "", tooLong: true), L(3, "next"), L(4, "last")], lines);
    }

    [Fact]
    public void Over_long_line_with_whole_stream_reads_is_flagged()
    {
        var text = "ok\n" + new string('L', 50) + "\r\nnext\n";

        var lines = ReadAll(text, initialBufferBytes: 4, maxLineBytes: 8);

        Assert.Equal([L(1, "ok"), L(2, "", tooLong: true), L(3, "next")], lines);
    }

    [Fact]
    public void Over_long_last_line_without_newline_is_flagged_and_ends_the_stream()
    {
        var lines = ReadAll("ok\n" + new string('L', 50), initialBufferBytes: 4, maxLineBytes: 8, chunk: 3);

        Assert.Equal([L(1, "ok"), L(2, "", tooLong: true)], lines);
    }

    [Fact]
    public void Two_over_long_lines_in_a_row_are_both_flagged()
    {
        var text = new string('A', 30) + "\n" + new string('B', 30) + "\nc\n";

        var lines = ReadAll(text, initialBufferBytes: 4, maxLineBytes: 8, chunk: 5);

        Assert.Equal([L(1, "", true), L(2, "", true), L(3, "c")], lines);
    }

    [Fact]
    public void Flag_is_cleared_on_the_next_line()
    {
        var reader = new NdjsonLineReader(new MemoryStream("0123456789abc\nx\n"u8.ToArray()), initialBufferBytes: 4, maxLineBytes: 8);

        Assert.True(reader.TryReadLine(out _));
        Assert.True(reader.LastLineTooLong);
        Assert.True(reader.TryReadLine(out var line));
        Assert.False(reader.LastLineTooLong);
        Assert.Equal("x"u8.ToArray(), line.ToArray());
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(4, 100)]
    [InlineData(1024, 100)]
    public void Line_of_exactly_the_limit_is_not_too_long(int initialBufferBytes, int chunk)
    {
        var lines = ReadAll("12345678\nx\n", initialBufferBytes, maxLineBytes: 8, chunk: chunk);

        Assert.Equal([L(1, "12345678"), L(2, "x")], lines);
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(4, 100)]
    [InlineData(1024, 100)]
    public void Line_one_byte_over_the_limit_is_too_long_whatever_the_buffer(int initialBufferBytes, int chunk)
    {
        var lines = ReadAll("123456789\nx\n", initialBufferBytes, maxLineBytes: 8, chunk: chunk);

        Assert.Equal([L(1, "", true), L(2, "x")], lines);
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(4, 100)]
    [InlineData(1024, 100)]
    public void Crlf_line_of_exactly_the_limit_is_not_too_long(int initialBufferBytes, int chunk)
    {
        var lines = ReadAll("12345678\r\n123456789\r\nx", initialBufferBytes, maxLineBytes: 8, chunk: chunk);

        Assert.Equal([L(1, "12345678"), L(2, "", true), L(3, "x")], lines);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(1024)]
    public void Over_long_last_line_is_flagged_whatever_the_buffer(int initialBufferBytes)
    {
        var lines = ReadAll("ok\n123456789", initialBufferBytes, maxLineBytes: 8, chunk: 100);

        Assert.Equal([L(1, "ok"), L(2, "", true)], lines);
    }
}
