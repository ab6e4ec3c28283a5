using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Highwater.Pipeline.Extract;

/// <summary>
/// The timestamp spellings Extract reads without the general ISO-8601 parser:
/// <c>yyyy-MM-ddTHH:mm:ss</c>, an optional fraction of 1 to 16 digits (truncated to microseconds, as
/// <see cref="UtcTimestamp"/> keeps instants), then <c>Z</c>, <c>±hh:mm</c> or <c>±hhmm</c> (an offset of at
/// most 14:00), converted to UTC. Every text accepted here that
/// <see cref="System.Text.Json.Utf8JsonReader.TryGetDateTimeOffset"/> also reads gets the same instant from it
/// (after <see cref="UtcTimestamp.Normalize"/>); <c>±hhmm</c> is read here only (that reader refuses it).
/// </summary>
public static class EventTimestamp
{
    /// <summary>The date part of the last timestamp read and its ticks: a file's timestamps share a few dates.</summary>
    public struct DayCache
    {
        internal ulong Date;
        internal ushort DateEnd;
        internal long DayTicks;
        internal bool Valid;
    }

    private const long MaxOffsetMinutes = 14 * 60;

    /// <summary>Parses <paramref name="s"/> (the unescaped text) as a UTC instant; false for any other spelling.</summary>
    public static bool TryParse(ReadOnlySpan<byte> s, ref DayCache cache, out DateTime utc)
    {
        utc = default;
        if (s.Length < 20 || !LocalSeconds(s, ref cache, out var ticks)) return false;
        var i = 19;
        if (s[i] == '.')
        {
            var first = ++i;
            long fraction = 0;
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                if (i - first < 6) fraction = fraction * 10 + (s[i] - '0');
                i++;
            }
            var digits = i - first;
            if (digits is 0 or > 16) return false;
            for (var k = Math.Min(digits, 6); k < 7; k++) fraction *= 10;
            ticks += fraction;
            if (i >= s.Length) return false;
        }
        long offsetMinutes;
        switch (s.Length - i)
        {
            case 1 when s[i] == 'Z':
                utc = new DateTime(ticks, DateTimeKind.Utc);
                return true;
            case 6 when s[i + 3] == ':' && TwoDigits(s[(i + 1)..], out var hh) && TwoDigits(s[(i + 4)..], out var mm) && mm <= 59:
                offsetMinutes = hh * 60L + mm;
                break;
            case 5 when TwoDigits(s[(i + 1)..], out var hh) && TwoDigits(s[(i + 3)..], out var mm) && mm <= 59:
                offsetMinutes = hh * 60L + mm;
                break;
            default:
                return false;
        }
        if (offsetMinutes > MaxOffsetMinutes) return false;
        var offset = s[i] switch { (byte)'+' => offsetMinutes, (byte)'-' => -offsetMinutes, _ => long.MinValue };
        if (offset == long.MinValue) return false;
        var value = ticks - offset * TimeSpan.TicksPerMinute;
        if ((ulong)value > (ulong)DateTime.MaxValue.Ticks) return false;
        utc = new DateTime(value, DateTimeKind.Utc);
        return true;
    }

    /// <summary>"yyyy-MM-ddTHH:mm:ss" (the first 19 bytes) as ticks; the date's ticks are cached.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool LocalSeconds(ReadOnlySpan<byte> s, ref DayCache cache, out long ticks)
    {
        ticks = 0;
        var date = MemoryMarshal.Read<ulong>(s);
        var dateEnd = MemoryMarshal.Read<ushort>(s[8..]);
        long day;
        if (cache.Valid && date == cache.Date && dateEnd == cache.DateEnd) day = cache.DayTicks;
        else
        {
            if (s[4] != '-' || s[7] != '-' || !TwoDigits(s, out var y1) || !TwoDigits(s[2..], out var y2)
                || !TwoDigits(s[5..], out var month) || !TwoDigits(s[8..], out var dom))
                return false;
            var year = y1 * 100 + y2;
            if (year < 1 || month is < 1 or > 12 || dom < 1 || dom > DateTime.DaysInMonth(year, month)) return false;
            day = new DateTime(year, month, dom).Ticks;
            cache = new DayCache { Date = date, DateEnd = dateEnd, DayTicks = day, Valid = true };
        }
        if (s[10] != 'T' || s[13] != ':' || s[16] != ':' || !TwoDigits(s[11..], out var hour) || !TwoDigits(s[14..], out var minute)
            || !TwoDigits(s[17..], out var second) || hour > 23 || minute > 59 || second > 59)
            return false;
        ticks = day + ((hour * 60L + minute) * 60 + second) * TimeSpan.TicksPerSecond;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TwoDigits(ReadOnlySpan<byte> s, out int value)
    {
        var (a, b) = ((uint)(s[0] - '0'), (uint)(s[1] - '0'));
        value = (int)(a * 10 + b);
        return a <= 9 && b <= 9;
    }

    /// <summary>True when an ISO-8601 text ends with 'Z' or a ±hh:mm / ±hhmm / ±hh offset after the time part.</summary>
    public static bool HasZone(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < 11) return false;
        if (raw[^1] is (byte)'Z' or (byte)'z') return true;
        var t = raw.IndexOfAny((byte)'T', (byte)'t', (byte)' ');
        if (t < 0) return false;
        var time = raw[(t + 1)..];
        var sign = time.LastIndexOfAny((byte)'+', (byte)'-');
        return sign > 0 && (time.Length - sign) is 6 or 5 or 3;
    }
}
