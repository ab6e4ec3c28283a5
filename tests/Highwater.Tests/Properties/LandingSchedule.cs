using System.Globalization;
using Highwater.Tests.Support;

namespace Highwater.Tests.Properties;

/// <summary>
/// A seeded random landing schedule: each step lands a new file in a random date folder of a short window
/// (days out of order, late files), or re-uploads a landed key with different content. Lines draw order_ids
/// from a small pool (duplicates within and across files and runs), put event_ts on a neighbouring day now
/// and then (rows cross partitions), and include malformed lines. Every version of an order has a distinct
/// arrival_ts, so "the latest arrival" is never a tie. Two operations of landing zones in the wild too: a
/// restored-mtime rewrite (new bytes of the same length, the old modification time put back, as <c>cp -p</c> or
/// <c>rsync -a</c> of a corrected file does), and a file landed in a future-dated folder (after the clock's UTC date
/// + 1 day, a producer with a wrong clock), which must not hide the files landed after it.
/// </summary>
public sealed class LandingSchedule(int seed, string landing, TimeProvider? clock = null)
{
    private static readonly DateOnly FirstDay = new(2026, 3, 1);
    private const int Days = 5;
    private readonly Random _random = new(seed);
    private readonly List<string> _landed = [];
    private int _arrivals;
    private int _files;
    private DateTime _clock = new(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc);

    public string Describe { get; private set; } = "";

    public Random Random => _random;

    /// <summary>Lands one file (new, a re-upload, a restored-mtime rewrite, or new in a future-dated folder) and returns what it did.</summary>
    public string Step()
    {
        var kind = _random.Next(10);
        if (kind == 0 && _landed.Count > 0) return RewriteRestoringMtime();
        string key;
        if (kind == 1)
        {
            var today = DateOnly.FromDateTime((clock ?? TimeProvider.System).GetUtcNow().UtcDateTime);
            key = $"events/{today.AddDays(2 + _random.Next(300)):yyyy-MM-dd}/f{_files++:D3}.json";
            _landed.Add(key);
            Describe = $"land {key} (future-dated folder)";
        }
        else if (_landed.Count > 0 && _random.Next(4) == 0)
        {
            key = _landed[_random.Next(_landed.Count)];
            Describe = $"re-upload {key}";
        }
        else
        {
            var day = FirstDay.AddDays(_random.Next(Days));
            key = $"events/{day:yyyy-MM-dd}/f{_files++:D3}.json";
            _landed.Add(key);
            Describe = $"land {key}";
        }
        var folder = DateOnly.ParseExact(key[7..17], "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var lines = new List<string>();
        var count = _random.Next(0, 7);
        for (var i = 0; i < count; i++) lines.Add(Line(folder));
        if (_random.Next(5) == 0) lines.Insert(_random.Next(lines.Count + 1), BadLine());
        var path = Path.Combine(landing, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        // A distinct modification time per write: a re-upload always has a new version tag.
        _clock = _clock.AddSeconds(1);
        File.SetLastWriteTimeUtc(path, _clock);
        return $"{Describe} ({lines.Count} lines)";
    }

    /// <summary>
    /// Rewrites a landed file with every qty changed (the same byte length) and puts its modification time back; a
    /// file without a valid line is left as it is.
    /// </summary>
    private string RewriteRestoringMtime()
    {
        var key = _landed[_random.Next(_landed.Count)];
        var path = Path.Combine(landing, key);
        var text = File.ReadAllText(path);
        var rewritten = System.Text.RegularExpressions.Regex.Replace(text, "\"qty\":([1-5])(?=[,}])", m => $"\"qty\":{(m.Groups[1].Value[0] - '0' - 1 + _random.Next(1, 5)) % 5 + 1}");
        if (rewritten == text) return Describe = $"restored-mtime rewrite of {key}: no qty to change, left as it is";
        var modified = File.GetLastWriteTimeUtc(path);
        File.WriteAllText(path, rewritten);
        File.SetLastWriteTimeUtc(path, modified);
        return Describe = $"restored-mtime rewrite of {key} ({rewritten.Length} bytes, as before; mtime {modified:O} kept)";
    }

    private string Line(DateOnly folder)
    {
        var order = $"O-{_random.Next(40):D2}";
        var day = _random.Next(4) == 0 ? folder.AddDays(_random.Next(2) == 0 ? -1 : 1) : folder;
        var eventTs = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddMinutes(_random.Next(24 * 60));
        var arrival = new DateTime(2026, 3, 20, 0, 0, 0, DateTimeKind.Utc).AddSeconds(_arrivals++ * 7 + _random.Next(5));
        if (_random.Next(3) == 0) arrival = arrival.AddDays(-_random.Next(1, 5)); // late or early arrivals, still unique
        return EventFixtures.Event(order, EventFixtures.SampleUsers[_random.Next(EventFixtures.SampleUsers.Length)], eventTs, arrival,
            _random.Next(1, 6), _random.Next(2) == 0 ? 19.99m : 5.50m, _random.Next(4) == 0 ? "USD" : "EUR");
    }

    private string BadLine() => _random.Next(3) switch
    {
        0 => "{\"order_id\": \"O-99\", \"user_id\": 1001",
        1 => "not json at all",
        _ => "[1, 2, 3]",
    };
}
