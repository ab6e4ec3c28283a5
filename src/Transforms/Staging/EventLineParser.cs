using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Highwater.Columnar;
using Highwater.Model;

namespace Highwater.Staging;

/// <summary>
/// Parses one NDJSON event line with <see cref="Utf8JsonReader"/> straight into an <see cref="EventRecord"/>.
/// A line that is not a JSON object, lacks a required field or holds a value of the wrong type
/// yields a reason instead of a record. Unknown fields are ignored.
/// Timestamps must carry a zone ('Z' or an offset such as '+01:00'); they are converted to UTC.
/// A JSON null is accepted for order_id, qty, unit_price, currency, sku and channel (the quality gate
/// decides whether that is acceptable); user_id, event_ts and arrival_ts must hold values.
/// </summary>
public sealed class EventLineParser
{
    private const int OrderIdBit = 1, UserIdBit = 2, EventTsBit = 4, ArrivalTsBit = 8, QtyBit = 16,
        UnitPriceBit = 32, CurrencyBit = 64, SkuBit = 128, ChannelBit = 256, AllFields = 511;

    private static readonly string[] FieldNames =
        ["order_id", "user_id", "event_ts", "arrival_ts", "qty", "unit_price", "currency", "sku", "channel"];

    private readonly StringPool _pool = new();

    /// <summary>The date part of the last timestamp the fast path read, and its ticks (a file's timestamps share a few dates).</summary>
    private ulong _lastDate;
    private ushort _lastDateEnd;
    private long _lastDayTicks = -1;

    /// <summary>Parses a line; returns null and sets <paramref name="reason"/> when the line is malformed.</summary>
    public EventRecord? Parse(ReadOnlySpan<byte> line, string sourceKey, long lineNumber, out string? reason)
    {
        reason = null;
        try
        {
            return ParseCore(line, sourceKey, lineNumber, out reason);
        }
        catch (JsonException e)
        {
            reason = $"not valid JSON: {FirstSentence(e.Message)}";
            return null;
        }
        catch (InvalidOperationException e)
        {
            reason = $"not valid JSON: {FirstSentence(e.Message)}";
            return null;
        }
    }

    /// <summary>
    /// Parses a line into <paramref name="into"/>; returns false and sets <paramref name="reason"/> when the line is
    /// malformed. The common shape (the nine fields, no white space, plain ASCII strings, 'Z' timestamps to the
    /// second, plain numbers) is read in one pass over the bytes without materialising strings; any other line
    /// goes through <see cref="Parse"/>, which decides, so both give the same rows and the same reasons.
    /// </summary>
    public bool ParseInto(ReadOnlySpan<byte> line, ParsedEvents into, Utf8ValueIds ids, string sourceKey, long lineNumber, out string? reason)
    {
        if (TryParsePlain(line, into, ids, lineNumber))
        {
            reason = null;
            return true;
        }
        if (Parse(line, sourceKey, lineNumber, out reason) is not { } record) return false;
        into.Add(record, ids);
        return true;
    }

    /// <summary>
    /// The fast path: accepts only lines the general parser would accept with the same values, and refuses
    /// (returns false, adding nothing) anything else — escapes, non-ASCII or control bytes in strings, white space,
    /// unknown or repeated fields, exponents, more than two decimals, offsets or fractions in timestamps, nulls
    /// where a value is required.
    /// </summary>
    internal bool TryParsePlain(ReadOnlySpan<byte> s, ParsedEvents into, Utf8ValueIds ids, long lineNumber)
    {
        if (s.Length < 2 || s[0] != '{') return false;
        var at = 1;
        var seen = 0;
        var field = 0;
        ReadOnlySpan<byte> orderId = default;
        bool orderIdNull = false, hasQty = false, hasPrice = false;
        long userId = 0;
        DateTime eventTs = default, arrivalTs = default;
        int qty = 0;
        decimal price = 0m;
        ReadOnlySpan<byte> currency = default, sku = default, channel = default;
        bool currencyNull = false, skuNull = false, channelNull = false;
        while (true)
        {
            // "name": first the name that usually comes next (the fields in schema order), else any known name
            int bit;
            if (StartsWithQuotedName(s[at..], field, out var nameLength))
            {
                bit = 1 << field;
                at += nameLength;
            }
            else
            {
                if (at >= s.Length || s[at] != '"') return false;
                var nameEnd = s[(at + 1)..].IndexOf((byte)'"');
                if (nameEnd < 0) return false;
                bit = FieldBit(s.Slice(at + 1, nameEnd));
                at += nameEnd + 2;
                if (at >= s.Length || s[at] != ':') return false;
                at++;
            }
            if (bit == 0 || (seen & bit) != 0) return false;
            seen |= bit;
            field++;
            switch (bit)
            {
                case OrderIdBit:
                    if (!PlainString(s, ref at, out orderId, out orderIdNull)) return false;
                    break;
                case UserIdBit:
                    if (!PlainInteger(s, ref at, 18, out userId)) return false;
                    break;
                case EventTsBit:
                    if (!PlainTimestamp(s, ref at, out eventTs)) return false;
                    break;
                case ArrivalTsBit:
                    if (!PlainTimestamp(s, ref at, out arrivalTs)) return false;
                    break;
                case QtyBit:
                    if (IsNullAt(s, ref at)) break;
                    if (!PlainInteger(s, ref at, 9, out var q)) return false;
                    (hasQty, qty) = (true, (int)q);
                    break;
                case UnitPriceBit:
                    if (IsNullAt(s, ref at)) break;
                    if (!PlainMoney(s, ref at, out price)) return false;
                    hasPrice = true;
                    break;
                case CurrencyBit:
                    if (!PlainString(s, ref at, out currency, out currencyNull)) return false;
                    break;
                case SkuBit:
                    if (!PlainString(s, ref at, out sku, out skuNull)) return false;
                    break;
                case ChannelBit:
                    if (!PlainString(s, ref at, out channel, out channelNull)) return false;
                    break;
            }
            if (at >= s.Length) return false;
            if (s[at] == ',') { at++; continue; }
            if (s[at] != '}') return false;
            at++;
            break;
        }
        if (seen != AllFields) return false;
        for (; at < s.Length; at++)
            if (s[at] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;

        into.Add(orderId, orderIdNull, userId, eventTs, arrivalTs, hasQty, qty, hasPrice, price,
            currencyNull ? ParsedEvents.Null : into.ValueOf(currency, ids),
            skuNull ? ParsedEvents.Null : into.ValueOf(sku, ids),
            channelNull ? ParsedEvents.Null : into.ValueOf(channel, ids),
            lineNumber);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="s"/> starts with the name of field <paramref name="field"/> (in <see cref="FieldNames"/> order)
    /// quoted and followed by ':', as a plain line spells it; <paramref name="length"/> is that prefix's length. Each name is
    /// a UTF-8 literal, so the compare is a couple of word loads against constants (a table of byte arrays cost a
    /// static-base load, a bounds check and a call per field, 18% of Extract's CPU at 10M lines).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool StartsWithQuotedName(ReadOnlySpan<byte> s, int field, out int length)
    {
        switch (field)
        {
            case 0: return Prefix(s, "\"order_id\":"u8, out length);
            case 1: return Prefix(s, "\"user_id\":"u8, out length);
            case 2: return Prefix(s, "\"event_ts\":"u8, out length);
            case 3: return Prefix(s, "\"arrival_ts\":"u8, out length);
            case 4: return Prefix(s, "\"qty\":"u8, out length);
            case 5: return Prefix(s, "\"unit_price\":"u8, out length);
            case 6: return Prefix(s, "\"currency\":"u8, out length);
            case 7: return Prefix(s, "\"sku\":"u8, out length);
            case 8: return Prefix(s, "\"channel\":"u8, out length);
            default: length = 0; return false;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool Prefix(ReadOnlySpan<byte> s, ReadOnlySpan<byte> name, out int length)
    {
        length = name.Length;
        return s.StartsWith(name);
    }

    private static bool IsNullAt(ReadOnlySpan<byte> s, scoped ref int at)
    {
        if (at >= s.Length || s[at] != 'n' || !s[at..].StartsWith("null"u8)) return false;
        at += 4;
        return true;
    }

    /// <summary>A string of printable ASCII without escapes, or null.</summary>
    private static bool PlainString(ReadOnlySpan<byte> s, scoped ref int at, out ReadOnlySpan<byte> value, out bool isNull)
    {
        value = default;
        isNull = IsNullAt(s, ref at);
        if (isNull) return true;
        if (at >= s.Length || s[at] != '"') return false;
        // Short values: a byte loop beats a vectorised search here.
        var end = at + 1;
        while (end < s.Length && s[end] is >= 0x20 and <= 0x7E and not (byte)'"' and not (byte)'\\') end++;
        if (end >= s.Length || s[end] != '"') return false;
        value = s[(at + 1)..end];
        at = end + 1;
        return true;
    }

    /// <summary>An integer of at most <paramref name="maxDigits"/> digits, JSON-shaped (no leading zero, no fraction or exponent).</summary>
    private static bool PlainInteger(ReadOnlySpan<byte> s, ref int at, int maxDigits, out long value)
    {
        value = 0;
        var i = at;
        var negative = i < s.Length && s[i] == '-';
        if (negative) i++;
        var first = i;
        while (i < s.Length && (uint)(s[i] - '0') <= 9)
        {
            value = value * 10 + (s[i] - '0');
            i++;
        }
        var digits = i - first;
        if (digits == 0 || digits > maxDigits || (digits > 1 && s[first] == '0')) return false;
        if (i < s.Length && s[i] is (byte)'.' or (byte)'e' or (byte)'E') return false;
        if (negative) value = -value;
        at = i;
        return true;
    }

    /// <summary>A plain decimal with at most 16 integer digits and at most two decimals; not negative zero.</summary>
    private static bool PlainMoney(ReadOnlySpan<byte> s, ref int at, out decimal value)
    {
        value = 0m;
        var i = at;
        var negative = i < s.Length && s[i] == '-';
        if (negative) i++;
        var first = i;
        long units = 0;
        while (i < s.Length && (uint)(s[i] - '0') <= 9)
        {
            units = units * 10 + (s[i] - '0');
            i++;
        }
        var digits = i - first;
        if (digits == 0 || digits > 16 || (digits > 1 && s[first] == '0')) return false;
        byte scale = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                if (++scale > 2) return false;
                units = units * 10 + (s[i] - '0');
                i++;
            }
            if (scale == 0) return false;
        }
        if (i < s.Length && s[i] is (byte)'e' or (byte)'E') return false;
        if (negative && units == 0) return false;
        value = new decimal((int)units, (int)(units >> 32), 0, negative, scale);
        at = i;
        return true;
    }

    /// <summary>
    /// A "yyyy-MM-ddTHH:mm:ssZ" string, or "yyyy-MM-ddTHH:mm:ss+hh:mm" (or "-hh:mm") with an offset below 14 hours,
    /// converted to UTC as the general parser does; years 1 and 9999 are left to it (the offset may leave the range).
    /// </summary>
    private bool PlainTimestamp(ReadOnlySpan<byte> s, ref int at, out DateTime value)
    {
        value = default;
        if (at + 22 > s.Length || s[at] != '"') return false;
        if (s[at + 20] == 'Z' && s[at + 21] == '"')
        {
            if (!LocalSeconds(s.Slice(at + 1, 19), out var ticks)) return false;
            value = new DateTime(ticks, DateTimeKind.Utc);
            at += 22;
            return true;
        }
        if (at + 27 > s.Length || s[at + 26] != '"') return false;
        var text = s.Slice(at + 1, 25);
        var sign = text[19];
        if (sign is not ((byte)'+' or (byte)'-') || text[22] != ':') return false;
        if (!TwoDigits(text[20..], out var hh) || !TwoDigits(text[23..], out var mm) || hh > 13 || mm > 59) return false;
        if (!LocalSeconds(text[..19], out var local) || text[..4].SequenceEqual("0001"u8) || text[..4].SequenceEqual("9999"u8)) return false;
        var offset = (hh * 60L + mm) * TimeSpan.TicksPerMinute;
        value = new DateTime(sign == '+' ? local - offset : local + offset, DateTimeKind.Utc);
        at += 27;
        return true;
    }

    /// <summary>"yyyy-MM-ddTHH:mm:ss" as ticks, with the checks of <see cref="TryParseUtcSeconds"/>; the date's ticks are cached.</summary>
    private bool LocalSeconds(ReadOnlySpan<byte> s, out long ticks)
    {
        ticks = 0;
        var date = System.Runtime.InteropServices.MemoryMarshal.Read<ulong>(s);
        var dateEnd = System.Runtime.InteropServices.MemoryMarshal.Read<ushort>(s[8..]);
        long day;
        if (date == _lastDate && dateEnd == _lastDateEnd && _lastDayTicks >= 0) day = _lastDayTicks;
        else
        {
            if (s[4] != '-' || s[7] != '-' || !TwoDigits(s, out var y1) || !TwoDigits(s[2..], out var y2)
                || !TwoDigits(s[5..], out var month) || !TwoDigits(s[8..], out var dom))
                return false;
            var year = y1 * 100 + y2;
            if (year < 1 || month is < 1 or > 12 || dom < 1 || dom > DateTime.DaysInMonth(year, month)) return false;
            day = new DateTime(year, month, dom).Ticks;
            (_lastDate, _lastDateEnd, _lastDayTicks) = (date, dateEnd, day);
        }
        if (s[10] != 'T' || s[13] != ':' || s[16] != ':' || !TwoDigits(s[11..], out var hour) || !TwoDigits(s[14..], out var minute)
            || !TwoDigits(s[17..], out var second) || hour > 23 || minute > 59 || second > 59)
            return false;
        ticks = day + ((hour * 60L + minute) * 60 + second) * TimeSpan.TicksPerSecond;
        return true;
    }

    private static bool TwoDigits(ReadOnlySpan<byte> s, out int value)
    {
        var (a, b) = ((uint)(s[0] - '0'), (uint)(s[1] - '0'));
        value = (int)(a * 10 + b);
        return a <= 9 && b <= 9;
    }

    private EventRecord? ParseCore(ReadOnlySpan<byte> line, string sourceKey, long lineNumber, out string? reason)
    {
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            reason = "not a JSON object";
            return null;
        }

        var seen = 0;
        string? orderId = null, currency = null, sku = null, channel = null;
        long userId = 0;
        DateTime eventTs = default, arrivalTs = default;
        int? qty = null;
        decimal? unitPrice = null;

        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
                break;
            // PropertyName
            var bit = reader.ValueIsEscaped || reader.HasValueSequence ? FieldBitSlow(ref reader) : FieldBit(reader.ValueSpan);

            if (!reader.Read()) break;
            if (bit == 0)
            {
                reader.Skip();
                continue;
            }
            seen |= bit;
            var isNull = reader.TokenType == JsonTokenType.Null;
            switch (bit)
            {
                case OrderIdBit:
                    if (!ReadString(ref reader, out orderId, pool: false)) return WrongType("order_id", "a string", ref reader, out reason);
                    break;
                case UserIdBit:
                    if (isNull) { reason = "user_id is null"; return null; }
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out userId))
                        return WrongType("user_id", "an integer", ref reader, out reason);
                    break;
                case EventTsBit:
                    if (isNull) { reason = "event_ts is null"; return null; }
                    if (!ReadTimestamp(ref reader, "event_ts", out eventTs, out reason)) return null;
                    break;
                case ArrivalTsBit:
                    if (isNull) { reason = "arrival_ts is null"; return null; }
                    if (!ReadTimestamp(ref reader, "arrival_ts", out arrivalTs, out reason)) return null;
                    break;
                case QtyBit:
                    if (isNull) { qty = null; break; }
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var q))
                        return WrongType("qty", "an integer", ref reader, out reason);
                    qty = q;
                    break;
                case UnitPriceBit:
                    if (isNull) { unitPrice = null; break; }
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDecimal(out var price))
                        return WrongType("unit_price", "a decimal number", ref reader, out reason);
                    if (price.Scale > Schemas.MoneyScale && decimal.Round(price, Schemas.MoneyScale) != price)
                    {
                        reason = $"unit_price {price} has more than {Schemas.MoneyScale} decimal places";
                        return null;
                    }
                    if (Math.Abs(price) >= 10_000_000_000_000_000m)
                    {
                        reason = $"unit_price {price} does not fit DECIMAL({Schemas.MoneyPrecision},{Schemas.MoneyScale})";
                        return null;
                    }
                    unitPrice = decimal.Round(price, Schemas.MoneyScale);
                    break;
                case CurrencyBit:
                    if (!ReadString(ref reader, out currency, pool: true)) return WrongType("currency", "a string", ref reader, out reason);
                    break;
                case SkuBit:
                    if (!ReadString(ref reader, out sku, pool: true)) return WrongType("sku", "a string", ref reader, out reason);
                    break;
                case ChannelBit:
                    if (!ReadString(ref reader, out channel, pool: true)) return WrongType("channel", "a string", ref reader, out reason);
                    break;
            }
        }

        // Anything after the object other than white space makes the line invalid.
        if (reader.Read())
        {
            reason = "not valid JSON: more than one value on the line";
            return null;
        }

        if (seen != AllFields)
        {
            var missing = new List<string>();
            for (var i = 0; i < FieldNames.Length; i++)
                if ((seen & (1 << i)) == 0) missing.Add(FieldNames[i]);
            reason = $"required field{(missing.Count > 1 ? "s" : "")} missing: {string.Join(", ", missing)}";
            return null;
        }

        reason = null;
        return new EventRecord(orderId, userId, eventTs, arrivalTs, qty, unitPrice, currency, sku, channel, sourceKey, lineNumber);
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

    private bool ReadString(ref Utf8JsonReader reader, out string? value, bool pool)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.String) return false;
        // Invalid UTF-8 takes the GetString path, which throws: the line is quarantined as not valid JSON.
        if (pool && !reader.ValueIsEscaped && !reader.HasValueSequence && Utf8.IsValid(reader.ValueSpan))
            value = _pool.Get(reader.ValueSpan, validated: true);
        else
            value = reader.GetString();
        return true;
    }

    private static bool ReadTimestamp(ref Utf8JsonReader reader, string field, out DateTime value, out string? reason)
    {
        value = default;
        reason = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            reason = $"{field} should be an ISO-8601 timestamp string, found {Describe(ref reader)}";
            return false;
        }
        // Escaped or split values are rare; only they pay for a copy.
        ReadOnlySpan<byte> raw = reader.ValueIsEscaped || reader.HasValueSequence
            ? Encoding.UTF8.GetBytes(reader.GetString()!)
            : reader.ValueSpan;

        if (TryParseUtcSeconds(raw, out value)) return true;
        if (!HasZone(raw))
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

    /// <summary>
    /// The common shape 'yyyy-MM-ddTHH:mm:ssZ' parsed without the general ISO-8601 parser. Anything else
    /// (fractions, offsets, out-of-range fields) returns false and takes the general path, which decides.
    /// </summary>
    internal static bool TryParseUtcSeconds(ReadOnlySpan<byte> s, out DateTime value)
    {
        value = default;
        if (s.Length != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
            return false;
        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
            || !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc);
        return true;

        static bool Digits(ReadOnlySpan<byte> s, int at, int count, out int result)
        {
            result = 0;
            for (var i = at; i < at + count; i++)
            {
                var d = s[i] - '0';
                if ((uint)d > 9) return false;
                result = result * 10 + d;
            }
            return true;
        }
    }

    /// <summary>True when an ISO-8601 text ends with 'Z' or a ±hh:mm / ±hhmm offset after the time part.</summary>
    internal static bool HasZone(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < 11) return false;
        if (raw[^1] is (byte)'Z' or (byte)'z') return true;
        var t = raw.IndexOfAny((byte)'T', (byte)'t', (byte)' ');
        if (t < 0) return false;
        var time = raw[(t + 1)..];
        var sign = time.LastIndexOfAny((byte)'+', (byte)'-');
        return sign > 0 && (time.Length - sign) is 6 or 5 or 3;
    }

    private static EventRecord? WrongType(string field, string expected, ref Utf8JsonReader reader, out string? reason)
    {
        reason = $"{field} should be {expected}, found {Describe(ref reader)}";
        return null;
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
