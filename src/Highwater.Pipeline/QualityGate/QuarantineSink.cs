using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.State;
using Parquet.Schema;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// Writes quarantined rows as NDJSON, one object per row: partition columns, file columns, then
/// <c>_reason</c> (check name, column and value), <c>_source_file</c>, <c>_source_row</c> and <c>_run_id</c>.
/// The file is created on the first quarantined row only.
/// </summary>
internal sealed class QuarantineSink(string path, string runId) : IAsyncDisposable
{
    private FileStream? _stream;
    private Utf8JsonWriter? _json;

    public string Path { get; } = path;

    public long Rows { get; private set; }

    public void Write(RowBatch batch, int row, long sourceRow, string reason)
    {
        if (_stream is null)
        {
            _stream = WorkArea.CreateFile(Path); // a fresh file: PublishMart may hard-link it
            _json = new Utf8JsonWriter(_stream, new JsonWriterOptions { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        }

        var w = _json!;
        w.WriteStartObject();
        foreach (var (name, value) in batch.Partitions)
            w.WriteString(name, value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        for (int c = 0; c < batch.Fields.Count; c++)
            WriteValue(w, batch.Fields[c], batch.RawValue(c, row));
        w.WriteString("_reason", reason);
        w.WriteString("_source_file", batch.File.Path);
        w.WriteNumber("_source_row", sourceRow);
        w.WriteString("_run_id", runId);
        w.WriteEndObject();
        w.Flush();
        _stream.WriteByte((byte)'\n');
        w.Reset();
        Rows++;
    }

    private static void WriteValue(Utf8JsonWriter w, DataField field, object? value)
    {
        switch (value)
        {
            case null: w.WriteNull(field.Name); break;
            case string s: w.WriteString(field.Name, s); break;
            case ReadOnlyMemory<char> m: w.WriteString(field.Name, m.Span); break;
            case bool b: w.WriteBoolean(field.Name, b); break;
            case int i: w.WriteNumber(field.Name, i); break;
            case long l: w.WriteNumber(field.Name, l); break;
            case short s16: w.WriteNumber(field.Name, s16); break;
            case decimal d: w.WriteNumber(field.Name, d); break;
            case double d when double.IsFinite(d): w.WriteNumber(field.Name, d); break;
            case float f when float.IsFinite(f): w.WriteNumber(field.Name, f); break;
            case DateTime dt:
                w.WriteString(field.Name, ContractValues.Render(dt, field is DateTimeDataField { DateTimeFormat: DateTimeFormat.Date }));
                break;
            case byte[] bytes: w.WriteBase64String(field.Name, bytes); break;
            default: w.WriteString(field.Name, ContractValues.Render(value)); break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_json is not null) await _json.DisposeAsync();
        if (_stream is not null) await _stream.DisposeAsync();
    }
}
