using System.Buffers.Text;
using System.Text;
using Highwater.Columnar;
using Highwater.Model;

namespace Highwater.Benchmarks;

/// <summary>
/// A deterministic, seeded data set as the README describes it: newline-delimited JSON sales events under
/// <c>events/YYYY-MM-DD/part-N.json</c> (4 files a day, about 0.1% bad lines of several kinds) and a user
/// dimension as Parquet. The same seed, day and file index always give the same bytes, whatever else is
/// generated, so a history and the day that lands on it can be made separately. Lines are formatted straight
/// into a byte buffer (no strings per line) and files are written in parallel.
/// </summary>
public sealed class DataGenerator
{
    public const int FilesPerDay = 4;
    public const double BadFraction = 0.001;
    public static readonly DateOnly FirstDay = new(2025, 1, 1);

    private static readonly byte[][] Currencies = [.. new[] { "EUR", "USD", "GBP", "CHF" }.Select(Encoding.ASCII.GetBytes)];
    private static readonly byte[][] Channels = [.. new[] { "web", "app", "store", "marketplace" }.Select(Encoding.ASCII.GetBytes)];
    private static readonly string[] Countries = ["DE", "US", "FR", "GB", "NL", "ES", "IT", "CH", "PL", "SE"];
    private static readonly string[] Segments = ["consumer", "smb", "enterprise"];

    private readonly int _seed;
    private readonly long _users;

    public DataGenerator(int seed, long users)
    {
        _seed = seed;
        _users = users;
    }

    public sealed record Written(int Files, long Lines, long Bytes, List<string> Paths);

    /// <summary>Writes <paramref name="eventsPerDay"/> events for each day in [firstDay, firstDay + days).</summary>
    public Written WriteEvents(string landing, int firstDayIndex, int days, long eventsPerDay)
    {
        var jobs = new List<(int Day, int File, long Count, string Path)>();
        for (var d = firstDayIndex; d < firstDayIndex + days; d++)
        {
            var date = FirstDay.AddDays(d);
            for (var f = 0; f < FilesPerDay; f++)
            {
                var count = eventsPerDay / FilesPerDay + (f < eventsPerDay % FilesPerDay ? 1 : 0);
                jobs.Add((d, f, count, Path.Combine(landing, "events", date.ToString("yyyy-MM-dd"), $"part-{f}.json")));
            }
        }
        long bytes = 0, lines = 0;
        Parallel.ForEach(jobs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, job =>
        {
            var b = WriteFile(job.Path, job.Day, job.File, job.Count);
            Interlocked.Add(ref bytes, b);
            Interlocked.Add(ref lines, job.Count);
        });
        return new Written(jobs.Count, lines, bytes, [.. jobs.Select(j => j.Path)]);
    }

    private long WriteFile(string path, int day, int file, long count)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var rng = new Random(HashCode.Combine(_seed, day, file) ^ (day * 7919 + file));
        var dayStart = FirstDay.AddDays(day).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var buffer = new byte[1 << 20];
        var at = 0;
        long written = 0;
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.SequentialScan);
        for (long i = 0; i < count; i++)
        {
            if (buffer.Length - at < 512)
            {
                stream.Write(buffer, 0, at);
                written += at;
                at = 0;
            }
            at += FormatEvent(buffer.AsSpan(at), rng, dayStart, day, file, i);
        }
        stream.Write(buffer, 0, at);
        return written + at;
    }

    private int FormatEvent(Span<byte> s, Random rng, DateTime dayStart, int day, int file, long seq)
    {
        var eventTs = dayStart.AddSeconds(rng.Next(86_400));
        var arrivalTs = eventTs.AddSeconds(rng.Next(1, 3_600));
        var userId = 1 + rng.NextInt64(_users);
        var qty = 1 + rng.Next(5);
        var cents = 100 + rng.Next(49_900);
        var currency = Currencies[rng.Next(Currencies.Length)];
        var sku = 1000 + rng.Next(4000);
        var channel = Channels[rng.Next(Channels.Length)];
        var offset = rng.Next(10) == 0; // one in ten timestamps carries a +01:00 offset instead of Z
        var bad = rng.NextDouble() < BadFraction ? 1 + rng.Next(4) : 0;

        var n = 0;
        Put(s, ref n, "{\"order_id\":\"O-"u8);
        Num(s, ref n, day); Put(s, ref n, "-"u8); Num(s, ref n, file); Put(s, ref n, "-"u8); Num(s, ref n, seq);
        Put(s, ref n, "\",\"user_id\":"u8); Num(s, ref n, userId);
        Put(s, ref n, ",\"event_ts\":\""u8); Ts(s, ref n, eventTs, offset, zoneless: bad == 1);
        Put(s, ref n, "\",\"arrival_ts\":\""u8); Ts(s, ref n, arrivalTs, offset, zoneless: false);
        Put(s, ref n, "\",\"qty\":"u8);
        if (bad == 2) { Put(s, ref n, "\"two\""u8); } else Num(s, ref n, qty);
        Put(s, ref n, ",\"unit_price\":"u8); Num(s, ref n, cents / 100); Put(s, ref n, "."u8);
        s[n++] = (byte)('0' + cents / 10 % 10); s[n++] = (byte)('0' + cents % 10);
        Put(s, ref n, ",\"currency\":\""u8); Put(s, ref n, currency);
        Put(s, ref n, "\",\"sku\":\"SKU-"u8); Num(s, ref n, sku);
        if (bad == 3) // a line cut off mid-object
        {
            s[n++] = (byte)'\n';
            return n;
        }
        if (bad != 4) // 4: the channel field is missing
        {
            Put(s, ref n, "\",\"channel\":\""u8); Put(s, ref n, channel);
        }
        Put(s, ref n, "\"}\n"u8);
        return n;
    }

    private static void Put(Span<byte> s, ref int n, ReadOnlySpan<byte> v)
    {
        v.CopyTo(s[n..]);
        n += v.Length;
    }

    private static void Num(Span<byte> s, ref int n, long v)
    {
        Utf8Formatter.TryFormat(v, s[n..], out var w);
        n += w;
    }

    private static void Two(Span<byte> s, ref int n, int v)
    {
        s[n++] = (byte)('0' + v / 10);
        s[n++] = (byte)('0' + v % 10);
    }

    private static void Ts(Span<byte> s, ref int n, DateTime utc, bool offset, bool zoneless)
    {
        var t = offset ? utc.AddHours(1) : utc;
        Num(s, ref n, t.Year); s[n++] = (byte)'-'; Two(s, ref n, t.Month); s[n++] = (byte)'-'; Two(s, ref n, t.Day);
        s[n++] = (byte)'T'; Two(s, ref n, t.Hour); s[n++] = (byte)':'; Two(s, ref n, t.Minute); s[n++] = (byte)':'; Two(s, ref n, t.Second);
        if (zoneless) return;
        if (offset) Put(s, ref n, "+01:00"u8);
        else s[n++] = (byte)'Z';
    }

    /// <summary>The user dimension: user_id 1..users, as one Parquet file written by Highwater's own writer.</summary>
    public async Task WriteUsersAsync(string folder)
    {
        Directory.CreateDirectory(folder);
        var rng = new Random(_seed);
        var rows = new List<UserRecord>((int)_users);
        var epoch = new DateTime(2018, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (long id = 1; id <= _users; id++)
            rows.Add(new UserRecord(id, Countries[rng.Next(Countries.Length)], Segments[rng.Next(Segments.Length)],
                epoch.AddDays(rng.Next(2_500))));
        await using var stream = File.Create(Path.Combine(folder, "users.parquet"));
        await UserDimension.WriteAsync(stream, rows);
    }
}
