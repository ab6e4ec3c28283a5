using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Extract;

/// <summary>
/// Parses one NDJSON event line into <see cref="ParsedEvents"/>. A line that is not a JSON object, lacks a required
/// field, holds a value of the wrong type or is not valid UTF-8 yields a reason instead of a row. Unknown fields
/// (of any type) are ignored; keys may come in any order; a repeated field's last value wins.
/// Timestamps must carry a zone ('Z' or an offset such as '+01:00' or '+0100'); they are converted to UTC (see
/// <see cref="EventTimestamp"/>). unit_price follows <see cref="MoneyText"/>.
/// A JSON null is accepted for order_id, qty, unit_price, currency, sku and channel (the quality gate
/// decides whether that is acceptable); user_id, event_ts and arrival_ts must hold values.
/// Two paths, one verdict: a scanner over the bytes (<see cref="TryParseFast"/>) takes every line it can vouch
/// for — any key order, any JSON white space, escapes, non-ASCII text, unknown fields of any type, the timestamp
/// spellings of <see cref="EventTimestamp"/> — and leaves the rest to <see cref="ParseGeneral"/>
/// (<see cref="Utf8JsonReader"/>), which decides and names the reason. Neither allocates per line.
/// </summary>
public sealed class EventLineParser
{
    private const int OrderIdBit = 1, UserIdBit = 2, EventTsBit = 4, ArrivalTsBit = 8, QtyBit = 16,
        UnitPriceBit = 32, CurrencyBit = 64, SkuBit = 128, ChannelBit = 256, AllFields = 511;

    private static readonly string[] FieldNames =
        ["order_id", "user_id", "event_ts", "arrival_ts", "qty", "unit_price", "currency", "sku", "channel"];

    /// <summary>Deeper unknown values are left to the general path (whose reader allows 64 levels in all).</summary>
    private const int SkipMaxDepth = 32;

    /// <summary>Unescaped strings of the current line; at least as long as the line, so it never grows mid-line.</summary>
    private byte[] _scratch = new byte[1024];

    private EventTimestamp.DayCache _days;

    /// <summary>
    /// The field index (in <see cref="FieldNames"/> order, <see cref="UnknownField"/> for another name) at each key
    /// position of the last line the fast path read: a producer writes its keys in one order, so the name at a position
    /// is first compared with that field's literal.
    /// </summary>
    private readonly byte[] _keyOrder = [0, 1, 2, 3, 4, 5, 6, 7, 8, .. Enumerable.Repeat(UnknownField, MaxPredictedKeys - 9)];
    private const byte UnknownField = 255;
    private const int MaxPredictedKeys = 32;

    /// <summary>One row's buffers for <see cref="Parse"/>.</summary>
    private ParsedEvents? _one;
    private Utf8ValueIds? _oneIds;

    /// <summary>Parses a line into a record (tests and tools); returns null and sets <paramref name="reason"/> when the line is malformed.</summary>
    public EventRecord? Parse(ReadOnlySpan<byte> line, string sourceKey, long lineNumber, out string? reason)
    {
        _oneIds ??= new Utf8ValueIds(new Utf8ValueTable());
        _one ??= new ParsedEvents(1, _oneIds.Table);
        _one.Clear();
        _one.SetSourceKey(sourceKey, _oneIds);
        if (!ParseGeneral(line, _one, _oneIds, lineNumber, out reason)) return null;
        return _one[0];
    }

    /// <summary>
    /// Parses a line into <paramref name="into"/>; returns false and sets <paramref name="reason"/> when the line is
    /// malformed (adding nothing).
    /// </summary>
    public bool ParseInto(ReadOnlySpan<byte> line, ParsedEvents into, Utf8ValueIds ids, string sourceKey, long lineNumber, out string? reason)
    {
        if (TryParseFast(line, into, ids, lineNumber))
        {
            reason = null;
            return true;
        }
        if (ParseGeneral(line, into, ids, lineNumber, out reason)) return true;
        reason = LineEnding.BareCarriageReturn(line) ?? reason;
        return false;
    }

    private void EnsureScratch(int length)
    {
        if (_scratch.Length < length) _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
    }

    // ---------------------------------------------------------------------------------------------------------
    // The fast path
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The scanner: accepts only lines the general parser accepts, with the same values, and refuses (returns false,
    /// adding nothing) anything else — invalid JSON or UTF-8, repeated fields, escaped field names, nulls where a value
    /// is required, numbers out of the plain ranges, timestamps outside <see cref="EventTimestamp"/>, unknown values
    /// nested deeper than <see cref="SkipMaxDepth"/>.
    /// </summary>
    internal bool TryParseFast(ReadOnlySpan<byte> s, ParsedEvents into, Utf8ValueIds ids, long lineNumber)
    {
        var at = 0;
        SkipSpace(s, ref at);
        if (at >= s.Length || s[at] != '{') return false;
        at++;
        EnsureScratch(s.Length);
        var used = 0;
        var seen = 0;
        var position = 0;
        var keyOrder = _keyOrder;
        ReadOnlySpan<byte> orderId = default, currency = default, sku = default, channel = default;
        bool orderIdNull = false, currencyNull = false, skuNull = false, channelNull = false, hasQty = false, hasPrice = false;
        long userId = 0;
        DateTime eventTs = default, arrivalTs = default;
        int qty = 0;
        decimal price = 0m;
        SkipSpace(s, ref at);
        while (true)
        {
            // "name": first the name at this position in the last line, else any name
            int bit;
            var predicted = position < MaxPredictedKeys ? keyOrder[position] : UnknownField;
            if (predicted != UnknownField && StartsWithQuotedName(s[at..], predicted, out var nameLength))
            {
                bit = 1 << predicted;
                at += nameLength;
            }
            else
            {
                if (at >= s.Length || s[at] != '"') return false;
                var nameEnd = s[(at + 1)..].IndexOfAny((byte)'"', (byte)'\\');
                if (nameEnd < 0 || s[at + 1 + nameEnd] != '"') return false;
                var name = s.Slice(at + 1, nameEnd);
                if (!Ascii.IsValid(name) && !Utf8.IsValid(name)) return false;
                if (name.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0) return false;
                bit = FieldBit(name);
                at += nameEnd + 2;
                if (position < MaxPredictedKeys)
                    keyOrder[position] = bit == 0 ? UnknownField : (byte)System.Numerics.BitOperations.TrailingZeroCount(bit);
            }
            position++;
            SkipSpace(s, ref at);
            if (at >= s.Length || s[at] != ':') return false;
            at++;
            SkipSpace(s, ref at);
            if (bit == 0)
            {
                if (!SkipValue(s, ref at)) return false;
            }
            else
            {
                if ((seen & bit) != 0) return false;
                seen |= bit;
                switch (bit)
                {
                    case OrderIdBit:
                        if (!FastString(s, ref at, ref used, out orderId, out orderIdNull)) return false;
                        break;
                    case UserIdBit:
                        if (!FastInteger(s, ref at, 18, out userId)) return false;
                        break;
                    case EventTsBit:
                        if (!FastTimestamp(s, ref at, ref used, out eventTs)) return false;
                        break;
                    case ArrivalTsBit:
                        if (!FastTimestamp(s, ref at, ref used, out arrivalTs)) return false;
                        break;
                    case QtyBit:
                        if (IsNullAt(s, ref at)) break;
                        if (!FastInteger(s, ref at, 9, out var q)) return false;
                        (hasQty, qty) = (true, (int)q);
                        break;
                    case UnitPriceBit:
                        if (IsNullAt(s, ref at)) break;
                        if (!FastMoney(s, ref at, out price)) return false;
                        hasPrice = true;
                        break;
                    case CurrencyBit:
                        if (!FastString(s, ref at, ref used, out currency, out currencyNull)) return false;
                        break;
                    case SkuBit:
                        if (!FastString(s, ref at, ref used, out sku, out skuNull)) return false;
                        break;
                    case ChannelBit:
                        if (!FastString(s, ref at, ref used, out channel, out channelNull)) return false;
                        break;
                }
            }
            SkipSpace(s, ref at);
            if (at >= s.Length) return false;
            if (s[at] == ',')
            {
                at++;
                SkipSpace(s, ref at);
                continue;
            }
            if (s[at] != '}') return false;
            at++;
            break;
        }
        if (seen != AllFields) return false;
        SkipSpace(s, ref at);
        if (at != s.Length) return false;

        into.Add(orderId, orderIdNull, userId, eventTs, arrivalTs, hasQty, qty, hasPrice, price,
            currencyNull ? ParsedEvents.Null : into.ValueOf(currency, ids),
            skuNull ? ParsedEvents.Null : into.ValueOf(sku, ids),
            channelNull ? ParsedEvents.Null : into.ValueOf(channel, ids),
            lineNumber);
        return true;
    }

    /// <summary>JSON white space (a line holds no '\n', but a '\r' before it is white space too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SkipSpace(ReadOnlySpan<byte> s, ref int at)
    {
        while (at < s.Length && s[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') at++;
    }

    /// <summary>
    /// Whether <paramref name="s"/> starts with the name of field <paramref name="field"/> (in <see cref="FieldNames"/> order)
    /// in quotes; <paramref name="length"/> is that prefix's length. Each name is a UTF-8 literal, so the compare is a couple
    /// of word loads against constants.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool StartsWithQuotedName(ReadOnlySpan<byte> s, int field, out int length)
    {
        switch (field)
        {
            case 0: return Prefix(s, "\"order_id\""u8, out length);
            case 1: return Prefix(s, "\"user_id\""u8, out length);
            case 2: return Prefix(s, "\"event_ts\""u8, out length);
            case 3: return Prefix(s, "\"arrival_ts\""u8, out length);
            case 4: return Prefix(s, "\"qty\""u8, out length);
            case 5: return Prefix(s, "\"unit_price\""u8, out length);
            case 6: return Prefix(s, "\"currency\""u8, out length);
            case 7: return Prefix(s, "\"sku\""u8, out length);
            case 8: return Prefix(s, "\"channel\""u8, out length);
            default: length = 0; return false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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

    /// <summary>A string (unescaped into the scratch buffer when it holds escapes) or null.</summary>
    private bool FastString(ReadOnlySpan<byte> s, scoped ref int at, scoped ref int used, out ReadOnlySpan<byte> value, out bool isNull)
    {
        value = default;
        isNull = IsNullAt(s, ref at);
        return isNull || FastStringValue(s, ref at, ref used, out value);
    }

    /// <summary>A string value: its bytes, unescaped into the scratch buffer when it holds escapes; valid UTF-8.</summary>
    private bool FastStringValue(ReadOnlySpan<byte> s, scoped ref int at, scoped ref int used, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (at >= s.Length || s[at] != '"') return false;
        var start = at + 1;
        // Short values: a byte loop beats a vectorised search here.
        var end = start;
        while (end < s.Length && s[end] is >= 0x20 and <= 0x7E and not (byte)'"' and not (byte)'\\') end++;
        if (end >= s.Length) return false;
        if (s[end] == '"')
        {
            value = s[start..end];
            at = end + 1;
            return true;
        }
        return FastStringSlow(s, start, end, ref at, ref used, out value);
    }

    /// <summary>A string with escapes or bytes outside printable ASCII, from <paramref name="end"/> (its first such byte) on.</summary>
    private bool FastStringSlow(ReadOnlySpan<byte> s, int start, int end, scoped ref int at, scoped ref int used, out ReadOnlySpan<byte> value)
    {
        value = default;
        var nonAscii = false;
        var escaped = false;
        var o = used;
        var scratch = _scratch;
        var i = end;
        for (; i < s.Length; i++)
        {
            var b = s[i];
            if (b == '"') break;
            if (b < 0x20) return false;
            if (b != '\\')
            {
                nonAscii |= b >= 0x80;
                continue;
            }
            escaped = true;
            s[start..i].CopyTo(scratch.AsSpan(o));
            o += i - start;
            if (!Unescape(s, ref i, scratch, ref o)) return false;
            start = i + 1;
        }
        if (i >= s.Length) return false;
        if (escaped)
        {
            s[start..i].CopyTo(scratch.AsSpan(o));
            o += i - start;
            value = scratch.AsSpan(used, o - used);
            used = o;
        }
        else value = s[(at + 1)..i];
        if (nonAscii && !Utf8.IsValid(value)) return false;
        at = i + 1;
        return true;
    }

    /// <summary>
    /// Unescapes the escape at <paramref name="i"/> (a backslash) into <paramref name="into"/>; <paramref name="i"/> ends
    /// on its last byte. False for an invalid escape or a lone surrogate.
    /// </summary>
    private static bool Unescape(ReadOnlySpan<byte> s, ref int i, byte[] into, ref int o)
    {
        if (i + 1 >= s.Length) return false;
        byte c = s[i + 1] switch
        {
            (byte)'"' => (byte)'"', (byte)'\\' => (byte)'\\', (byte)'/' => (byte)'/', (byte)'b' => 8, (byte)'f' => 12,
            (byte)'n' => (byte)'\n', (byte)'r' => (byte)'\r', (byte)'t' => (byte)'\t', (byte)'u' => 0xFF, _ => 0,
        };
        if (c == 0) return false;
        if (c != 0xFF)
        {
            into[o++] = c;
            i += 1;
            return true;
        }
        if (!Hex4(s, i + 2, out var code)) return false;
        i += 5;
        if (code is >= 0xD800 and <= 0xDFFF)
        {
            if (code >= 0xDC00 || i + 6 >= s.Length || s[i + 1] != '\\' || s[i + 2] != 'u' || !Hex4(s, i + 3, out var low)
                || low is < 0xDC00 or > 0xDFFF)
                return false;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
        }
        o += new Rune(code).EncodeToUtf8(into.AsSpan(o));
        return true;
    }

    private static bool Hex4(ReadOnlySpan<byte> s, int at, out int code)
    {
        code = 0;
        if (at + 4 > s.Length) return false;
        for (var k = at; k < at + 4; k++)
        {
            var h = HexDigit(s[k]);
            if (h < 0) return false;
            code = code * 16 + h;
        }
        return true;
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>An integer of at most <paramref name="maxDigits"/> digits, JSON-shaped (no leading zero, no fraction or exponent).</summary>
    private static bool FastInteger(ReadOnlySpan<byte> s, ref int at, int maxDigits, out long value)
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

    /// <summary>unit_price: a plain decimal with at most 16 integer digits and two decimals inline, any other number through <see cref="MoneyText"/>.</summary>
    private static bool FastMoney(ReadOnlySpan<byte> s, ref int at, out decimal value)
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
        if (digits == 0 || (digits > 1 && s[first] == '0')) return false;
        byte scale = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                scale++;
                units = units * 10 + (s[i] - '0');
                i++;
            }
            if (scale == 0) return false;
        }
        if (digits <= 16 && scale <= 2 && (i >= s.Length || (s[i] | 0x20) != 'e'))
        {
            value = new decimal((int)units, (int)(units >> 32), 0, negative, scale);
            at = i;
            return true;
        }
        var end = at;
        return NumberEnd(s, ref end) && MoneyText.Parse(s[at..end], out value) == MoneyText.Verdict.Ok && (at = end) == end;
    }

    /// <summary>Moves <paramref name="at"/> past a JSON number; false when the text there is not one.</summary>
    private static bool NumberEnd(ReadOnlySpan<byte> s, ref int at)
    {
        var i = at;
        if (i < s.Length && s[i] == '-') i++;
        if (i >= s.Length) return false;
        if (s[i] == '0') i++;
        else if (s[i] is >= (byte)'1' and <= (byte)'9') while (i < s.Length && (uint)(s[i] - '0') <= 9) i++;
        else return false;
        if (i < s.Length && s[i] == '.')
        {
            var f = ++i;
            while (i < s.Length && (uint)(s[i] - '0') <= 9) i++;
            if (i == f) return false;
        }
        if (i < s.Length && (s[i] | 0x20) == 'e')
        {
            i++;
            if (i < s.Length && s[i] is (byte)'+' or (byte)'-') i++;
            var e = i;
            while (i < s.Length && (uint)(s[i] - '0') <= 9) i++;
            if (i == e) return false;
        }
        at = i;
        return true;
    }

    private bool FastTimestamp(ReadOnlySpan<byte> s, scoped ref int at, scoped ref int used, out DateTime value)
    {
        value = default;
        return FastStringValue(s, ref at, ref used, out var text) && EventTimestamp.TryParse(text, ref _days, out value);
    }

    /// <summary>Skips an unknown field's value, checking it as the general reader would (strings also for UTF-8).</summary>
    private static bool SkipValue(ReadOnlySpan<byte> s, ref int at, int depth = 1)
    {
        if (at >= s.Length) return false;
        switch (s[at])
        {
            case (byte)'"':
                return SkipString(s, ref at);
            case (byte)'t':
                return Literal(s, ref at, "true"u8);
            case (byte)'f':
                return Literal(s, ref at, "false"u8);
            case (byte)'n':
                return Literal(s, ref at, "null"u8);
            case (byte)'{' or (byte)'[':
                return SkipNested(s, ref at, depth + 1);
            default:
                return NumberEnd(s, ref at);
        }
    }

    /// <summary>Skips an object or array (at its opening bracket), checking it as the general reader would.</summary>
    private static bool SkipNested(ReadOnlySpan<byte> s, ref int at, int depth)
    {
        if (depth > SkipMaxDepth) return false;
        var isObject = s[at] == '{';
        var close = isObject ? (byte)'}' : (byte)']';
        at++;
        SkipSpace(s, ref at);
        if (at < s.Length && s[at] == close)
        {
            at++;
            return true;
        }
        while (true)
        {
            if (isObject)
            {
                if (at >= s.Length || s[at] != '"' || !SkipString(s, ref at)) return false;
                SkipSpace(s, ref at);
                if (at >= s.Length || s[at] != ':') return false;
                at++;
                SkipSpace(s, ref at);
            }
            if (!SkipValue(s, ref at, depth)) return false;
            SkipSpace(s, ref at);
            if (at >= s.Length) return false;
            if (s[at] == ',')
            {
                at++;
                SkipSpace(s, ref at);
                continue;
            }
            if (s[at] != close) return false;
            at++;
            return true;
        }
    }

    /// <summary>Skips a string, checking its escapes, control bytes and UTF-8 without unescaping it.</summary>
    private static bool SkipString(ReadOnlySpan<byte> s, ref int at)
    {
        var i = at + 1;
        var nonAscii = false;
        for (; i < s.Length; i++)
        {
            var b = s[i];
            if (b == '"') break;
            if (b < 0x20) return false;
            nonAscii |= b >= 0x80;
            if (b != '\\') continue;
            if (i + 1 >= s.Length) return false;
            var c = s[++i];
            if (c == 'u')
            {
                if (!Hex4(s, i + 1, out _)) return false;
                i += 4;
            }
            else if (c is not ((byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t')) return false;
        }
        if (i >= s.Length) return false;
        if (nonAscii && !Utf8.IsValid(s[(at + 1)..i])) return false;
        at = i + 1;
        return true;
    }

    private static bool Literal(ReadOnlySpan<byte> s, ref int at, ReadOnlySpan<byte> literal)
    {
        if (!s[at..].StartsWith(literal)) return false;
        at += literal.Length;
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // The general path
    // ---------------------------------------------------------------------------------------------------------

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
