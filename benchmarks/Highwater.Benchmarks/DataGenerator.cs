using System.Buffers.Text;
using System.Text;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Transform;

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
    private readonly ProducerShape _shape;

    public DataGenerator(int seed, long users, ProducerShape? shape = null)
    {
        _seed = seed;
        _users = users;
        _shape = shape ?? ProducerShape.Shipped;
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
        var shape = _shape.Mixed ? ProducerShape.Producers[rng.Next(ProducerShape.Producers.Length)] : _shape;
        var eventTs = dayStart.AddSeconds(rng.Next(86_400));
        var arrivalTs = eventTs.AddSeconds(rng.Next(1, 3_600));
        if (shape.FractionDigits > 0)
        {
            eventTs = eventTs.AddTicks(rng.Next(10_000_000));
            arrivalTs = arrivalTs.AddTicks(rng.Next(10_000_000));
        }
        var userId = 1 + rng.NextInt64(_users);
        var qty = 1 + rng.Next(shape.MaxQty);
        var cents = 100 + rng.Next(49_900);
        var currency = Currencies[rng.Next(Currencies.Length)];
        var sku = 1000 + rng.Next(shape.Skus);
        var channel = Channels[rng.Next(Channels.Length)];
        var offset = rng.Next(10) == 0; // one in ten timestamps carries a +01:00 offset instead of Z
        var bad = rng.NextDouble() < BadFraction ? 1 + rng.Next(4) : 0;
        var colon = shape.Spaced ? ": "u8 : ":"u8;
        var comma = shape.Spaced ? ", "u8 : ","u8;

        var n = 0;
        s[n++] = (byte)'{';
        var order = shape.Reordered ? ReorderedFields : CanonicalFields;
        for (var k = 0; k < order.Length; k++)
        {
            var field = order[k];
            if (bad == 4 && field == 8) continue; // 4: the channel field is missing
            if (n > 1) Put(s, ref n, comma);
            s[n++] = (byte)'"'; Put(s, ref n, FieldNames[field]); s[n++] = (byte)'"'; Put(s, ref n, colon);
            switch (field)
            {
                case 0:
                    Put(s, ref n, "\"O-"u8); Num(s, ref n, day); Put(s, ref n, "-"u8); Num(s, ref n, file); Put(s, ref n, "-"u8); Num(s, ref n, seq);
                    s[n++] = (byte)'"';
                    break;
                case 1: Num(s, ref n, userId); break;
                case 2: s[n++] = (byte)'"'; Ts(s, ref n, eventTs, offset, zoneless: bad == 1, shape); s[n++] = (byte)'"'; break;
                case 3: s[n++] = (byte)'"'; Ts(s, ref n, arrivalTs, offset, zoneless: false, shape); s[n++] = (byte)'"'; break;
                case 4:
                    if (bad == 2) Put(s, ref n, "\"two\""u8);
                    else Num(s, ref n, qty);
                    break;
                case 5:
                    Num(s, ref n, cents / 100); s[n++] = (byte)'.';
                    s[n++] = (byte)('0' + cents / 10 % 10); s[n++] = (byte)('0' + cents % 10);
                    break;
                case 6: s[n++] = (byte)'"'; Put(s, ref n, currency); s[n++] = (byte)'"'; break;
                case 7:
                    Put(s, ref n, "\"SKU-"u8); Num(s, ref n, sku);
                    if (shape.Escapes && sku % 7 == 0) Put(s, ref n, shape.GoEscapes ? "\\u003cXL\\u003e"u8 : "-caf\\u00e9"u8);
                    if (bad == 3) // a line cut off mid-object
                    {
                        Eol(s, ref n, shape);
                        return n;
                    }
                    s[n++] = (byte)'"';
                    break;
                case 8: s[n++] = (byte)'"'; Put(s, ref n, channel); s[n++] = (byte)'"'; break;
            }
        }
        if (shape.UnknownFields)
        {
            Put(s, ref n, comma); Put(s, ref n, "\"schema_version\""u8); Put(s, ref n, colon); Num(s, ref n, 3);
            Put(s, ref n, comma); Put(s, ref n, "\"promo\""u8); Put(s, ref n, colon); Put(s, ref n, rng.Next(3) == 0 ? "true"u8 : "null"u8);
            Put(s, ref n, comma); Put(s, ref n, "\"client\""u8); Put(s, ref n, colon);
            Put(s, ref n, "{\"ip\":\"10.0.0.1\",\"tags\":[\"a\",1,2.5,{\"k\":null}],\"ua\":\"Mozilla/5.0\"}"u8);
        }
        s[n++] = (byte)'}';
        Eol(s, ref n, shape);
        return n;
    }

    private static readonly byte[][] FieldNames =
        [.. new[] { "order_id", "user_id", "event_ts", "arrival_ts", "qty", "unit_price", "currency", "sku", "channel" }.Select(Encoding.ASCII.GetBytes)];
    private static readonly int[] CanonicalFields = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    /// <summary>Alphabetical, as Go's map encoding and many serialisers with sorted keys write them.</summary>
    private static readonly int[] ReorderedFields = [3, 8, 6, 2, 0, 4, 7, 5, 1];

    private static void Eol(Span<byte> s, ref int n, ProducerShape shape)
    {
        if (shape.Crlf) s[n++] = (byte)'\r';
        s[n++] = (byte)'\n';
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

    private static void Ts(Span<byte> s, ref int n, DateTime utc, bool offset, bool zoneless, ProducerShape shape)
    {
        var t = offset ? utc.AddHours(1) : utc;
        Num(s, ref n, t.Year); s[n++] = (byte)'-'; Two(s, ref n, t.Month); s[n++] = (byte)'-'; Two(s, ref n, t.Day);
        s[n++] = (byte)'T'; Two(s, ref n, t.Hour); s[n++] = (byte)':'; Two(s, ref n, t.Minute); s[n++] = (byte)':'; Two(s, ref n, t.Second);
        if (shape.FractionDigits > 0)
        {
            s[n++] = (byte)'.';
            var fraction = t.Ticks % TimeSpan.TicksPerSecond * 100; // nanoseconds
            var digits = shape.FractionDigits;
            for (var d = 9; d > digits; d--) fraction /= 10;
            for (var d = digits - 1; d >= 0; d--)
            {
                s[n + d] = (byte)('0' + fraction % 10);
                fraction /= 10;
            }
            n += digits;
        }
        if (zoneless) return;
        if (offset) Put(s, ref n, shape.EscapedPlus ? "\\u002B01:00"u8 : "+01:00"u8);
        else if (shape.UtcAsOffset) Put(s, ref n, "+00:00"u8);
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
