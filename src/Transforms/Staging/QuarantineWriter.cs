using System.Text.Json;

namespace Highwater.Staging;

/// <summary>
/// Sets rows aside with the reason, as NDJSON: one object a line with the stage, the source file,
/// the line number, the reason and the raw text (clipped). Nothing set aside is ever silently dropped.
/// </summary>
public sealed class QuarantineWriter : IDisposable
{
    private const int MaxRawChars = 2000;
    private readonly Stream _stream;
    private readonly Utf8JsonWriter _json;
    private readonly string _stage;

    public QuarantineWriter(string path, string stage)
    {
        _stream = Manifest.WorkArea.CreateFile(path); // a fresh file: PublishMart may hard-link it
        _json = new Utf8JsonWriter(_stream, new JsonWriterOptions { Indented = false, SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        _stage = stage;
    }

    public long Count { get; private set; }

    public void Add(string sourceKey, long line, string reason, ReadOnlySpan<byte> raw) => Add(sourceKey, line, reason, RawText(raw));

    /// <summary>The raw line as text, decoded from at most as many bytes as can make the clipped text.</summary>
    public static string RawText(ReadOnlySpan<byte> raw) =>
        System.Text.Encoding.UTF8.GetString(raw.Length > MaxRawChars * 4 ? raw[..(MaxRawChars * 4)] : raw);

    public void Add(string sourceKey, long line, string reason, string raw)
    {
        _json.WriteStartObject();
        _json.WriteString("stage", _stage);
        _json.WriteString("source_key", sourceKey);
        _json.WriteNumber("line", line);
        _json.WriteString("reason", reason);
        _json.WriteString("raw", raw.Length > MaxRawChars ? raw[..MaxRawChars] + "…" : raw);
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
