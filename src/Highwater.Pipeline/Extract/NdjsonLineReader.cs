namespace Highwater.Pipeline.Extract;

/// <summary>
/// Splits a byte stream into lines ('\n', with an optional '\r' before it) without decoding them. A UTF-8 byte order
/// mark (EF BB BF) at the start of the stream is skipped, as editors and PowerShell write one.
/// The returned memory is only valid until the next call. Memory stays bounded by the longest line.
/// </summary>
public sealed class NdjsonLineReader
{
    public const int DefaultMaxLineBytes = 16 * 1024 * 1024;

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _eof;
    private bool _started;

    public NdjsonLineReader(Stream stream, int initialBufferBytes = 1 << 16, int maxLineBytes = DefaultMaxLineBytes)
    {
        _stream = stream;
        _buffer = new byte[initialBufferBytes];
        _maxLineBytes = maxLineBytes;
    }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>True when the last line returned was longer than the limit and was cut off.</summary>
    public bool LastLineTooLong { get; private set; }

    /// <summary>For a line too long: whether its first part held a carriage return (a file with CR-only line endings).</summary>
    public bool LastLineHadCarriageReturn { get; private set; }

    public bool TryReadLine(out ReadOnlyMemory<byte> line)
    {
        LastLineTooLong = LastLineHadCarriageReturn = false;
        if (!_started) SkipByteOrderMark();
        var scanFrom = _start;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', scanFrom, _end - scanFrom);
            if (newline >= 0)
            {
                line = Checked(Trim(_start, newline));
                _start = newline + 1;
                LineNumber++;
                return true;
            }
            if (_eof)
            {
                if (_start < _end)
                {
                    line = Checked(Trim(_start, _end));
                    _start = _end;
                    LineNumber++;
                    return true;
                }
                line = default;
                return false;
            }
            var scanned = _end - _start;
            // More than the limit plus a possible '\r', and still no '\n': too long whatever follows.
            if (scanned > _maxLineBytes + 1)
            {
                // Skip the rest of an over-long line; report what we have as too long.
                LastLineHadCarriageReturn = _buffer.AsSpan(_start, scanned).Contains((byte)'\r');
                SkipToNextLine();
                LineNumber++;
                LastLineTooLong = true;
                line = ReadOnlyMemory<byte>.Empty;
                return true;
            }
            Fill();
            scanFrom = _start + scanned;
        }
    }

    /// <summary>A line found whole in the buffer may still exceed the limit (the buffer can be larger).</summary>
    private ReadOnlyMemory<byte> Checked(ReadOnlyMemory<byte> line)
    {
        if (line.Length <= _maxLineBytes) return line;
        LastLineTooLong = true;
        LastLineHadCarriageReturn = line.Span.Contains((byte)'\r');
        return ReadOnlyMemory<byte>.Empty;
    }

    private ReadOnlyMemory<byte> Trim(int from, int to)
    {
        if (to > from && _buffer[to - 1] == (byte)'\r') to--;
        return new ReadOnlyMemory<byte>(_buffer, from, to - from);
    }

    private void SkipByteOrderMark()
    {
        _started = true;
        while (_end - _start < 3 && !_eof) Fill();
        if (_buffer.AsSpan(_start, _end - _start).StartsWith("\uFEFF"u8)) _start += 3;
    }

    private void Fill()
    {
        var pending = _end - _start;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
            _start = 0;
            _end = pending;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, (int)Math.Min(_buffer.Length * 2L, _maxLineBytes + 2L));
        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0) _eof = true;
        _end += read;
    }

    private void SkipToNextLine()
    {
        _start = _end = 0;
        while (true)
        {
            var read = _stream.Read(_buffer, 0, _buffer.Length);
            if (read == 0) { _eof = true; return; }
            var newline = Array.IndexOf(_buffer, (byte)'\n', 0, read);
            if (newline >= 0)
            {
                _start = newline + 1;
                _end = read;
                return;
            }
        }
    }
}
