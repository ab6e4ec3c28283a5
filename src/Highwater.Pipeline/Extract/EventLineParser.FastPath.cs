using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Extract;

/// <summary>The fast path: a scanner over the line's bytes that takes every line it can vouch for.</summary>
public sealed partial class EventLineParser
{
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
        var seen = 0UL;
        var position = 0;
        var keyOrder = _keyOrder;
        var fields = _fieldArray;
        var row = into.Count;
        SkipSpace(s, ref at);
        while (true)
        {
            // "name": first the name at this position in the last line, else any name
            int f;
            var predicted = position < MaxPredictedKeys ? keyOrder[position] : UnknownField;
            if (predicted != UnknownField && fields[predicted].StartsWithQuoted(s[at..]))
            {
                f = predicted;
                at += fields[predicted].Quoted.Length;
            }
            else
            {
                if (at >= s.Length || s[at] != '"') return false;
                var nameEnd = s[(at + 1)..].IndexOfAny((byte)'"', (byte)'\\');
                if (nameEnd < 0 || s[at + 1 + nameEnd] != '"') return false;
                var name = s.Slice(at + 1, nameEnd);
                if (!Ascii.IsValid(name) && !Utf8.IsValid(name)) return false;
                if (name.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0) return false;
                f = _fields.IndexOfQuoted(s[at..], nameEnd);
                at += nameEnd + 2;
                if (position < MaxPredictedKeys) keyOrder[position] = f < 0 ? UnknownField : (byte)f;
            }
            position++;
            SkipSpace(s, ref at);
            if (at >= s.Length || s[at] != ':') return false;
            at++;
            SkipSpace(s, ref at);
            if (f < 0)
            {
                if (!SkipValue(s, ref at)) return false;
            }
            else
            {
                var bit = 1UL << f;
                if ((seen & bit) != 0) return false;
                seen |= bit;
                if (!FastValue(s, ref at, ref used, fields[f], f, into, row)) return false;
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
        if ((seen & _fields.Required) != _fields.Required) return false;
        SkipSpace(s, ref at);
        if (at != s.Length) return false;
        Finish(s, into, ids, seen, lineNumber);
        return true;
    }

    /// <summary>A field's value by its kind (one kernel per kind), into the row being filled; strings into their slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool FastValue(ReadOnlySpan<byte> s, scoped ref int at, scoped ref int used, EventField field, int f, ParsedEvents into, int row)
    {
        var c = field.Column;
        switch (field.Kind)
        {
            case StagedKind.OrderKey or StagedKind.String:
                ref var slot = ref _strings[f];
                if (!FastString(s, ref at, ref used, out slot.Start, out slot.Length, out slot.InScratch, out slot.IsNull)) return false;
                return field.Nullable || !slot.IsNull;
            case StagedKind.Int32:
            {
                if (IsNullAt(s, ref at)) return field.Nullable && Null(into.Ints[c], into.Has[c], row);
                if (!FastInteger(s, ref at, 9, out var v)) return false;
                (into.Ints[c][row], into.Has[c][row]) = ((int)v, true);
                return true;
            }
            case StagedKind.Int64:
            {
                if (IsNullAt(s, ref at)) return field.Nullable && Null(into.Longs[c], into.Has[c], row);
                if (!FastInteger(s, ref at, 18, out var v)) return false;
                (into.Longs[c][row], into.Has[c][row]) = (v, true);
                return true;
            }
            case StagedKind.Decimal:
            {
                if (IsNullAt(s, ref at)) return field.Nullable && Null(into.Decimals[c], into.Has[c], row);
                if (!FastDecimal(s, ref at, field.Precision, field.Scale, out var v)) return false;
                (into.Decimals[c][row], into.Has[c][row]) = (v, true);
                return true;
            }
            default:
            {
                if (IsNullAt(s, ref at)) return field.Nullable && Null(into.Times[c], into.Has[c], row);
                if (!FastTimestamp(s, ref at, ref used, out var v)) return false;
                (into.Times[c][row], into.Has[c][row]) = (v, true);
                return true;
            }
        }
    }

    private static bool Null<T>(T[] values, bool[] has, int row)
    {
        (values[row], has[row]) = (default!, false);
        return true;
    }

    /// <summary>JSON white space (a line holds no '\n', but a '\r' before it is white space too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SkipSpace(ReadOnlySpan<byte> s, ref int at)
    {
        while (at < s.Length && s[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') at++;
    }

    private static bool IsNullAt(ReadOnlySpan<byte> s, scoped ref int at)
    {
        if (at >= s.Length || s[at] != 'n' || !s[at..].StartsWith("null"u8)) return false;
        at += 4;
        return true;
    }

    /// <summary>A string (unescaped into the scratch buffer when it holds escapes) or null, as its place in the line or the scratch buffer.</summary>
    private bool FastString(ReadOnlySpan<byte> s, scoped ref int at, scoped ref int used, out int start, out int length, out bool inScratch, out bool isNull)
    {
        (start, length, inScratch) = (0, 0, false);
        isNull = IsNullAt(s, ref at);
        if (isNull) return true;
        var before = used;
        if (!FastStringValue(s, ref at, ref used, out var value)) return false;
        inScratch = used != before;
        // The value is a slice of the line or of the scratch buffer: its offset in either.
        start = inScratch ? before : at - 1 - value.Length;
        length = value.Length;
        return true;
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

    /// <summary>A decimal(p,s): a plain number with at most p - s integer digits and s decimals inline, any other number through <see cref="MoneyText"/>.</summary>
    private static bool FastDecimal(ReadOnlySpan<byte> s, ref int at, int precision, int maxScale, out decimal value)
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
        if (digits <= precision - maxScale && scale <= maxScale && (i >= s.Length || (s[i] | 0x20) != 'e'))
        {
            value = new decimal((int)units, (int)(units >> 32), 0, negative, scale);
            at = i;
            return true;
        }
        var end = at;
        return NumberEnd(s, ref end) && MoneyText.Parse(s[at..end], precision, maxScale, out value) == MoneyText.Verdict.Ok && (at = end) == end;
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
}
