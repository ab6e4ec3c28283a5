using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Extract;

/// <summary>The general path: <see cref="Utf8JsonReader"/>, which decides every line and names the reason for a malformed one.</summary>
public sealed partial class EventLineParser
{
    /// <summary>Parses a line with <see cref="Utf8JsonReader"/>; decides every line and names the reason for a malformed one.</summary>
    internal bool ParseGeneral(ReadOnlySpan<byte> line, ParsedEvents into, Utf8ValueIds ids, long lineNumber, out string? reason)
    {
        try
        {
            return General(line, into, ids, lineNumber, out reason);
        }
        catch (JsonException e)
        {
            reason = $"not valid JSON: {FirstSentence(e.Message)}";
            return false;
        }
        catch (InvalidOperationException e)
        {
            reason = $"not valid JSON: {FirstSentence(e.Message)}";
            return false;
        }
    }

    private bool General(ReadOnlySpan<byte> line, ParsedEvents into, Utf8ValueIds ids, long lineNumber, out string? reason)
    {
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            reason = "not a JSON object";
            return false;
        }
        EnsureScratch(line.Length);
        var used = 0;
        var seen = 0UL;
        var row = into.Count;
        var fields = _fieldArray;

        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
                break;
            // PropertyName
            if (!ValidUtf8(ref reader, "a field name", out reason)) return false;
            var name = reader.ValueSpan;
            var f = reader.ValueIsEscaped ? FieldSlow(ref reader) : _fields.IndexOf(name);

            if (!reader.Read()) break;
            if (f < 0)
            {
                if (!SkipChecked(ref reader, name, out reason)) return false;
                continue;
            }
            seen |= 1UL << f;
            if (!GeneralValue(ref reader, fields[f], f, into, row, ref used, out reason)) return false;
        }

        // Anything after the object other than white space makes the line invalid.
        if (reader.Read())
        {
            reason = "not valid JSON: more than one value on the line";
            return false;
        }

        if ((seen & _fields.Required) != _fields.Required)
        {
            reason = Missing(seen);
            return false;
        }

        reason = null;
        Finish(line, into, ids, seen, lineNumber);
        return true;
    }

    /// <summary>A field's value by its kind, into the row being filled (strings into their slot until the line is accepted).</summary>
    private bool GeneralValue(ref Utf8JsonReader reader, EventField field, int f, ParsedEvents into, int row, ref int used, out string? reason)
    {
        reason = null;
        var c = field.Column;
        var isNull = reader.TokenType == JsonTokenType.Null;
        if (isNull && !field.Nullable)
        {
            reason = $"{field.Json} is null";
            return false;
        }
        switch (field.Kind)
        {
            case StagedKind.OrderKey or StagedKind.String:
                return GeneralString(ref reader, field.Json, ref used, line: reader.TokenStartIndex, ref _strings[f], out reason);
            case StagedKind.Int32:
                if (isNull) { (into.Ints[c][row], into.Has[c][row]) = (0, false); return true; }
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var i))
                    return WrongType(field.Json, "an integer", ref reader, out reason);
                (into.Ints[c][row], into.Has[c][row]) = (i, true);
                return true;
            case StagedKind.Int64:
                if (isNull) { (into.Longs[c][row], into.Has[c][row]) = (0, false); return true; }
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var l))
                    return WrongType(field.Json, "an integer", ref reader, out reason);
                (into.Longs[c][row], into.Has[c][row]) = (l, true);
                return true;
            case StagedKind.Decimal:
                if (isNull) { (into.Decimals[c][row], into.Has[c][row]) = (0m, false); return true; }
                if (reader.TokenType != JsonTokenType.Number)
                    return WrongType(field.Json, "a decimal number", ref reader, out reason);
                switch (MoneyText.Parse(reader.ValueSpan, field.Precision, field.Scale, out var price))
                {
                    case MoneyText.Verdict.TooManyDecimals:
                        reason = $"{field.Json} {NumberText(reader.ValueSpan)} has more than {field.Scale} decimal places";
                        return false;
                    case MoneyText.Verdict.TooLarge:
                        reason = $"{field.Json} {NumberText(reader.ValueSpan)} does not fit DECIMAL({field.Precision},{field.Scale})";
                        return false;
                }
                (into.Decimals[c][row], into.Has[c][row]) = (price, true);
                return true;
            default:
                if (isNull) { (into.Times[c][row], into.Has[c][row]) = (default, false); return true; }
                if (!GeneralTimestamp(ref reader, field.Json, ref used, out var ts, out reason)) return false;
                (into.Times[c][row], into.Has[c][row]) = (ts, true);
                return true;
        }
    }

    private static string NumberText(ReadOnlySpan<byte> number) => Clip(Encoding.ASCII.GetString(number));

    /// <summary>A string field's value (unescaped into the scratch buffer when escaped), or null, kept in <paramref name="slot"/>.</summary>
    private bool GeneralString(scoped ref Utf8JsonReader reader, string field, scoped ref int used, long line, ref StringSlot slot, out string? reason)
    {
        reason = null;
        slot.IsNull = reader.TokenType == JsonTokenType.Null;
        if (slot.IsNull) return true;
        if (reader.TokenType != JsonTokenType.String) return WrongType(field, "a string", ref reader, out reason);
        if (!ValidUtf8(ref reader, field, out reason)) return false;
        if (reader.ValueIsEscaped)
        {
            var n = reader.CopyString(_scratch.AsSpan(used));
            (slot.Start, slot.Length, slot.InScratch) = (used, n, true);
            used += n;
        }
        else (slot.Start, slot.Length, slot.InScratch) = ((int)line + 1, reader.ValueSpan.Length, false);
        return true;
    }

    private ReadOnlySpan<byte> Unescaped(scoped ref Utf8JsonReader reader, scoped ref int used)
    {
        if (!reader.ValueIsEscaped) return reader.ValueSpan;
        var n = reader.CopyString(_scratch.AsSpan(used));
        var value = _scratch.AsSpan(used, n);
        used += n;
        return value;
    }

    private bool GeneralTimestamp(ref Utf8JsonReader reader, string field, ref int used, out DateTime value, out string? reason)
    {
        value = default;
        reason = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            reason = $"{field} is null";
            return false;
        }
        if (reader.TokenType != JsonTokenType.String)
        {
            reason = $"{field} should be an ISO-8601 timestamp string, found {Describe(ref reader)}";
            return false;
        }
        if (!ValidUtf8(ref reader, field, out reason)) return false;
        var raw = Unescaped(ref reader, ref used);
        if (EventTimestamp.TryParse(raw, ref _days, out value)) return true;
        if (!EventTimestamp.HasZone(raw))
        {
            reason = $"{field} '{Clip(Encoding.UTF8.GetString(raw))}' has no time zone (expected 'Z' or an offset such as '+01:00')";
            return false;
        }
        if (!reader.TryGetDateTimeOffset(out var dto))
        {
            reason = $"{field} '{Clip(Encoding.UTF8.GetString(raw))}' is not an ISO-8601 timestamp";
            return false;
        }
        value = UtcTimestamp.FromOffset(dto);
        return true;
    }

    /// <summary>Skips an unknown field's value; its strings (and nested field names) must be valid UTF-8.</summary>
    private static bool SkipChecked(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, out string? reason)
    {
        reason = null;
        if (reader.TokenType is JsonTokenType.String)
            return ValidUtf8(ref reader, name, out reason);
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return true;
        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && !ValidUtf8(ref reader, name, out reason))
                return false;
        return true;
    }

    private static bool ValidUtf8(ref Utf8JsonReader reader, ReadOnlySpan<byte> unknownField, out string? reason) =>
        ValidUtf8(ref reader, Utf8.IsValid(reader.ValueSpan) ? "" : $"field '{Clip(Encoding.UTF8.GetString(unknownField))}'", out reason);

    /// <summary>The current string or name token's bytes are valid UTF-8; else the reason names <paramref name="what"/> and the byte.</summary>
    private static bool ValidUtf8(ref Utf8JsonReader reader, string what, out string? reason)
    {
        reason = null;
        var value = reader.ValueSpan;
        if (Utf8.IsValid(value)) return true;
        var chars = new char[value.Length];
        Utf8.ToUtf16(value, chars, out var valid, out _, replaceInvalidSequences: false);
        var at = reader.TokenStartIndex + 1 + valid;
        reason = $"{what} is not valid UTF-8: byte 0x{value[valid]:X2} at byte {at} of the line";
        return false;
    }

    /// <summary>Escaped or split property names: compared after unescaping.</summary>
    private int FieldSlow(ref Utf8JsonReader reader)
    {
        for (var f = 0; f < _fieldArray.Length; f++)
            if (reader.ValueTextEquals(_fieldArray[f].Name)) return f;
        return -1;
    }

    private static bool WrongType(string field, string expected, ref Utf8JsonReader reader, out string? reason)
    {
        reason = $"{field} should be {expected}, found {Describe(ref reader)}";
        return false;
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"the string \"{Clip(reader.GetString() ?? "")}\"",
        JsonTokenType.Number => $"the number {Clip(Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan))}",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.Null => "null",
        _ => reader.TokenType.ToString(),
    };

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>System.Text.Json's message without its Path/LineNumber tail, with the byte position kept.</summary>
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var text = (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
        var at = message.IndexOf("BytePositionInLine: ", StringComparison.Ordinal);
        if (at > 0)
        {
            var digits = new string(message[(at + 20)..].TakeWhile(char.IsAsciiDigit).ToArray());
            if (digits.Length > 0) text += $" (at byte {digits})";
        }
        return text;
    }
}
