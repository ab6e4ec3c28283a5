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
        var seen = 0;
        ReadOnlySpan<byte> orderId = default, currency = default, sku = default, channel = default;
        bool orderIdNull = false, currencyNull = false, skuNull = false, channelNull = false;
        long userId = 0;
        DateTime eventTs = default, arrivalTs = default;
        int? qty = null;
        decimal? unitPrice = null;

        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
                break;
            // PropertyName
            if (!ValidUtf8(ref reader, "a field name", out reason)) return false;
            var name = reader.ValueSpan;
            var bit = reader.ValueIsEscaped ? FieldBitSlow(ref reader) : FieldBit(name);

            if (!reader.Read()) break;
            if (bit == 0)
            {
                if (!SkipChecked(ref reader, name, out reason)) return false;
                continue;
            }
            seen |= bit;
            var isNull = reader.TokenType == JsonTokenType.Null;
            switch (bit)
            {
                case OrderIdBit:
                    if (!GeneralString(ref reader, "order_id", ref used, out orderId, out orderIdNull, out reason)) return false;
                    break;
                case UserIdBit:
                    if (isNull) { reason = "user_id is null"; return false; }
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out userId))
                        return WrongType("user_id", "an integer", ref reader, out reason);
                    break;
                case EventTsBit:
                    if (!GeneralTimestamp(ref reader, "event_ts", ref used, out eventTs, out reason)) return false;
                    break;
                case ArrivalTsBit:
                    if (!GeneralTimestamp(ref reader, "arrival_ts", ref used, out arrivalTs, out reason)) return false;
                    break;
                case QtyBit:
                    if (isNull) { qty = null; break; }
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var q))
                        return WrongType("qty", "an integer", ref reader, out reason);
                    qty = q;
                    break;
                case UnitPriceBit:
                    if (isNull) { unitPrice = null; break; }
                    if (reader.TokenType != JsonTokenType.Number)
                        return WrongType("unit_price", "a decimal number", ref reader, out reason);
                    switch (MoneyText.Parse(reader.ValueSpan, out var price))
                    {
                        case MoneyText.Verdict.TooManyDecimals:
                            reason = $"unit_price {NumberText(reader.ValueSpan)} has more than {Schemas.MoneyScale} decimal places";
                            return false;
                        case MoneyText.Verdict.TooLarge:
                            reason = $"unit_price {NumberText(reader.ValueSpan)} does not fit DECIMAL({Schemas.MoneyPrecision},{Schemas.MoneyScale})";
                            return false;
                    }
                    unitPrice = price;
                    break;
                case CurrencyBit:
                    if (!GeneralString(ref reader, "currency", ref used, out currency, out currencyNull, out reason)) return false;
                    break;
                case SkuBit:
                    if (!GeneralString(ref reader, "sku", ref used, out sku, out skuNull, out reason)) return false;
                    break;
                case ChannelBit:
                    if (!GeneralString(ref reader, "channel", ref used, out channel, out channelNull, out reason)) return false;
                    break;
            }
        }

        // Anything after the object other than white space makes the line invalid.
        if (reader.Read())
        {
            reason = "not valid JSON: more than one value on the line";
            return false;
        }

        if (seen != AllFields)
        {
            var missing = new List<string>();
            for (var i = 0; i < FieldNames.Length; i++)
                if ((seen & (1 << i)) == 0) missing.Add(FieldNames[i]);
            reason = $"required field{(missing.Count > 1 ? "s" : "")} missing: {string.Join(", ", missing)}";
            return false;
        }

        reason = null;
        into.Add(orderId, orderIdNull, userId, eventTs, arrivalTs, qty.HasValue, qty.GetValueOrDefault(),
            unitPrice.HasValue, unitPrice.GetValueOrDefault(),
            currencyNull ? ParsedEvents.Null : into.ValueOf(currency, ids),
            skuNull ? ParsedEvents.Null : into.ValueOf(sku, ids),
            channelNull ? ParsedEvents.Null : into.ValueOf(channel, ids),
            lineNumber);
        return true;
    }

    private static string NumberText(ReadOnlySpan<byte> number) => Clip(Encoding.ASCII.GetString(number));

    /// <summary>A string field's value (unescaped into the scratch buffer when escaped), or null.</summary>
    private bool GeneralString(scoped ref Utf8JsonReader reader, string field, scoped ref int used, out ReadOnlySpan<byte> value, out bool isNull, out string? reason)
    {
        value = default;
        reason = null;
        isNull = reader.TokenType == JsonTokenType.Null;
        if (isNull) return true;
        if (reader.TokenType != JsonTokenType.String) return WrongType(field, "a string", ref reader, out reason);
        if (!ValidUtf8(ref reader, field, out reason)) return false;
        value = Unescaped(ref reader, ref used);
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

    /// <summary>The field's bit from its unescaped name: a switch on length and a first byte, then one compare.</summary>
    private static int FieldBit(ReadOnlySpan<byte> name) => name.Length switch
    {
        3 => name.SequenceEqual("qty"u8) ? QtyBit : name.SequenceEqual("sku"u8) ? SkuBit : 0,
        7 => name.SequenceEqual("user_id"u8) ? UserIdBit : name.SequenceEqual("channel"u8) ? ChannelBit : 0,
        8 => name[0] switch
        {
            (byte)'o' => name.SequenceEqual("order_id"u8) ? OrderIdBit : 0,
            (byte)'e' => name.SequenceEqual("event_ts"u8) ? EventTsBit : 0,
            (byte)'c' => name.SequenceEqual("currency"u8) ? CurrencyBit : 0,
            _ => 0,
        },
        10 => name.SequenceEqual("arrival_ts"u8) ? ArrivalTsBit : name.SequenceEqual("unit_price"u8) ? UnitPriceBit : 0,
        _ => 0,
    };

    /// <summary>Escaped or split property names: compared after unescaping.</summary>
    private static int FieldBitSlow(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("order_id"u8)) return OrderIdBit;
        if (reader.ValueTextEquals("user_id"u8)) return UserIdBit;
        if (reader.ValueTextEquals("event_ts"u8)) return EventTsBit;
        if (reader.ValueTextEquals("arrival_ts"u8)) return ArrivalTsBit;
        if (reader.ValueTextEquals("qty"u8)) return QtyBit;
        if (reader.ValueTextEquals("unit_price"u8)) return UnitPriceBit;
        if (reader.ValueTextEquals("currency"u8)) return CurrencyBit;
        if (reader.ValueTextEquals("sku"u8)) return SkuBit;
        if (reader.ValueTextEquals("channel"u8)) return ChannelBit;
        return 0;
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
