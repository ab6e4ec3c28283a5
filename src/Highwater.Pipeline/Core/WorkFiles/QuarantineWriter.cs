using System.Text.Json;
using Highwater.Pipeline.Core.State;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// Sets rows aside with the reason, as NDJSON: one object a line with the stage, the source file,
/// the line number, the reason and the raw text (clipped). A line that is not valid UTF-8 also carries
/// <c>raw_base64</c>, its original bytes (clipped alike) in base64, since <c>raw</c> shows each invalid byte as U+FFFD.
/// Nothing set aside is ever silently dropped.
/// </summary>
public sealed class QuarantineWriter : IDisposable
{
    private const int MaxRawChars = 2000;
    private readonly Stream _stream;
    private readonly Utf8JsonWriter _json;
    private readonly string _stage;

    public QuarantineWriter(string path, string stage)
    {
        _stream = WorkArea.CreateFile(path); // a fresh file: PublishMart may hard-link it
        _json = new Utf8JsonWriter(_stream, new JsonWriterOptions { Indented = false, SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        _stage = stage;
    }

    public long Count { get; private set; }

    public void Add(string sourceKey, long line, string reason, ReadOnlySpan<byte> raw) =>
        Add(sourceKey, line, reason, RawText(raw), RawBase64(raw));

    /// <summary>The raw line as text, decoded from at most as many bytes as can make the clipped text.</summary>
    public static string RawText(ReadOnlySpan<byte> raw) =>
        System.Text.Encoding.UTF8.GetString(Clipped(raw));

    /// <summary>The raw line's bytes (clipped as <see cref="RawText"/>) in base64 when they are not valid UTF-8; else null.</summary>
    public static string? RawBase64(ReadOnlySpan<byte> raw) =>
        System.Text.Unicode.Utf8.IsValid(raw) ? null : Convert.ToBase64String(Clipped(raw));

    private static ReadOnlySpan<byte> Clipped(ReadOnlySpan<byte> raw) => raw.Length > MaxRawChars * 4 ? raw[..(MaxRawChars * 4)] : raw;

    public void Add(string sourceKey, long line, string reason, string raw, string? rawBase64 = null)
    {
        _json.WriteStartObject();
        _json.WriteString("stage", _stage);
        _json.WriteString("source_key", sourceKey);
        _json.WriteNumber("line", line);
        _json.WriteString("reason", reason);
        _json.WriteString("raw", raw.Length > MaxRawChars ? raw[..MaxRawChars] + "…" : raw);
        if (rawBase64 is not null) _json.WriteString("raw_base64", rawBase64);
        _json.WriteEndObject();
        _json.Flush();
        _stream.WriteByte((byte)'\n');
        _json.Reset();
        Count++;
    }

    public void Dispose()
    {
        _json.Dispose();
        _stream.Dispose();
    }
}
