namespace Highwater.Pipeline.Extract;

/// <summary>
/// Lines end in LF or CRLF. A file with CR-only line endings (classic Mac OS) arrives as one line holding several
/// objects separated by CR; its reason says so instead of a JSON parser's message.
/// </summary>
public static class LineEnding
{
    /// <summary>Added to the reason for a line too long that holds carriage returns.</summary>
    public const string TooLongWithCarriageReturns =
        " and holds carriage returns (CR) but no LF: lines must end in LF or CRLF (CR-only line endings are not supported)";

    /// <summary>The reason for a malformed line that holds a CR followed by another object, or null.</summary>
    public static string? BareCarriageReturn(ReadOnlySpan<byte> line)
    {
        var cr = line.IndexOf((byte)'\r');
        if (cr < 0) return null;
        var rest = line[(cr + 1)..].TrimStart(" \t\r"u8);
        if (rest.IsEmpty || rest[0] != '{') return null;
        return $"a carriage return (CR) at byte {cr} separates two objects: lines must end in LF or CRLF (CR-only line endings are not supported)";
    }
}
