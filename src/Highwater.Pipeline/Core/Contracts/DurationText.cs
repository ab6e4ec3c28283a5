using System.Globalization;
using System.Text.RegularExpressions;

namespace Highwater.Pipeline.Core.Contracts;

/// <summary>Durations in contracts: one or more number+unit parts, units d, h, m, s — e.g. <c>36h</c>, <c>1d12h</c>, <c>90m</c>.</summary>
public static partial class DurationText
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var m = Whole().Match(text.Trim());
        if (!m.Success) return false;
        foreach (Capture part in m.Groups["part"].Captures)
        {
            var p = Part().Match(part.Value);
            double n = double.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture);
            duration += p.Groups[2].Value switch
            {
                "d" => TimeSpan.FromDays(n),
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromSeconds(n),
            };
        }

        return duration > TimeSpan.Zero;
    }

    public static string Format(TimeSpan d)
    {
        if (d.TotalDays >= 1 && d.Ticks % TimeSpan.TicksPerDay == 0) return $"{(long)d.TotalDays}d";
        if (d.Ticks % TimeSpan.TicksPerHour == 0) return $"{(long)d.TotalHours}h";
        if (d.Ticks % TimeSpan.TicksPerMinute == 0) return $"{(long)d.TotalMinutes}m";
        return ((long)Math.Round(d.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";
    }

    [GeneratedRegex(@"^(?<part>\d+(?:\.\d+)?[dhms])+$")]
    private static partial Regex Whole();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)([dhms])$")]
    private static partial Regex Part();
}
