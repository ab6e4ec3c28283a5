using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using Highwater.Pipeline.Extract;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Staging;

/// <summary>
/// Generated lines of every producer shape, valid and invalid (key order, separators, escapes, non-ASCII and invalid
/// UTF-8, unknown fields of every type, timestamp spellings, number spellings, CR): the fast path takes a line only
/// when the general path accepts it with the same values, <see cref="EventLineParser.ParseInto"/> gives the general
/// path's verdict and reason, and the common shapes are all taken by the fast path. CsCheck prints the seed of a
/// failing case (set CsCheck_Seed to replay it).
/// </summary>
public sealed class EventLineShapesPropertyTests
{
    private const string Key = "events/2026-01-25/file_a.json";
    /// <summary>Stands for one byte 0xFF (never valid UTF-8) in a generated line.</summary>
    private const char InvalidByte = '\uFFFF';

    private sealed record Line(string Text, bool Common);

    private static Gen<(string Raw, bool Common)> Common(Gen<string> g) => g.Select(v => (v, true));
    private static Gen<(string Raw, bool Common)> Odd(Gen<string> g) => g.Select(v => (v, false));

    private static readonly Gen<string> PlainText = Gen.String[Gen.Char["abcXYZ019-_ .:/<>&+"], 0, 12];

    /// <summary>A JSON string body as producers escape it; the flag says whether the fast path must take it.</summary>
    private static readonly Gen<(string Raw, bool Common)> StringBody = Gen.Frequency(
        (6, Common(PlainText)),
        (2, Common(Gen.OneOf("café", "Zürich", "東京", "😀", "naïve €"))),
        (2, Common(Gen.OneOf("caf\\u00e9", "\\u003cb\\u003e", "a\\u0026b", "\\ud83d\\ude00", "x\\\"y", "back\\\\slash", "a\\/b", "tab\\t", "\\u002B01"))),
        (1, Odd(Gen.OneOf("\\ud800", "\\udc00x", "\\x", "\\u12", "ctl\u0001", "raw\ttab", "bad" + InvalidByte, "\\u00", "\\"))));

    private static string Quote(string body) => "\"" + body + "\"";

    private static readonly Gen<(string Raw, bool Common)> StringValue = Gen.Frequency(
        (10, StringBody.Select(b => (Quote(b.Raw), b.Common))),
        (1, Common(Gen.Const("null"))),
        (1, Odd(Gen.OneOf("1", "true", "[]", "{}", "\"unterminated"))));

    private static readonly Gen<string> Digits = Gen.String[Gen.Char['0', '9'], 1, 20];

    private static readonly Gen<(string Raw, bool Common)> Integer = Gen.Frequency(
        (6, Common(Gen.Long[0, 9_999_999].Select(v => v.ToString(CultureInfo.InvariantCulture)))),
        (1, Common(Gen.Long[-99_999, -1].Select(v => v.ToString(CultureInfo.InvariantCulture)))),
        (2, Odd(Gen.OneOf(Digits, Gen.OneOf("-0", "01", "1.0", "1e3", "-", "2147483648", "9223372036854775808", "\"7\"", "null", "1.", "true")))));

    private static readonly Gen<(string Raw, bool Common)> Money = Gen.Frequency(
        (6, Common(Gen.Select(Gen.Long[0, 99_999], Gen.Int[0, 2], Gen.Bool).Select((v, places, negative) =>
            (negative ? "-" : "") + (places == 0 ? v.ToString(CultureInfo.InvariantCulture)
                : (v / (long)Math.Pow(10, places)).ToString(CultureInfo.InvariantCulture) + "." + (v % (long)Math.Pow(10, places)).ToString(CultureInfo.InvariantCulture).PadLeft(places, '0'))))),
        (1, Common(Gen.Const("null"))),
        (3, Odd(Gen.Select(Digits, Gen.String[Gen.Char['0', '9'], 0, 35], Gen.Int[-40, 40], Gen.Int[0, 3]).Select((i, f, e, form) =>
            (i.Length > 1 ? i.TrimStart('0').PadLeft(1, '0') : i) + (f.Length > 0 ? "." + f : "") + (form switch { 0 => "", 1 => $"e{e}", 2 => $"E+{Math.Abs(e)}", _ => $"e-{Math.Abs(e)}" })))),
        (1, Odd(Gen.OneOf("1e-31", "1.2300000000000000000000000000001", "1.005", "-0", "-0.00", "1.500", "100e-2", "0e5", "9999999999999999.99",
            "10000000000000000", "1e16", "1e29", ".5", "1.", "01", "\"1.00\"", "1e", "-", "1.5E-1"))));

    private static readonly Gen<string> TimestampText = Gen.Select(
        Gen.Frequency((8, Gen.Const(2026)), (1, Gen.OneOf(Gen.Const(1), Gen.Const(9999), Gen.Const(2024)))),
        Gen.Int[1, 12], Gen.Frequency((8, Gen.Int[1, 28]), (1, Gen.Int[29, 32])),
        Gen.Frequency((8, Gen.Int[0, 23]), (1, Gen.Const(24))), Gen.Frequency((8, Gen.Int[0, 59]), (1, Gen.Const(60))),
        Gen.Frequency((4, Gen.Const(0)), (1, Gen.Int[1, 18])), Gen.Int[0, 9],
        Gen.Select(Gen.Int[0, 15], Gen.OneOf(Gen.Const(0), Gen.Const(30), Gen.Const(59), Gen.Const(60)), Gen.Bool, Gen.Int[0, 8]))
        .Select((year, month, day, hour, minute, fractionDigits, sep, zone) =>
        {
            var (hh, mm, plus, kind) = zone;
            var fraction = fractionDigits == 0 ? "" : "." + new string('7', fractionDigits - 1) + "3";
            var sign = plus ? "+" : "-";
            var z = kind switch
            {
                0 or 1 or 2 => "Z", 3 => $"{sign}{hh:D2}:{mm:D2}", 4 => $"{sign}{hh:D2}{mm:D2}",
                5 => plus ? $"\\u002B{hh:D2}:{mm:D2}" : $"-{hh:D2}:{mm:D2}", 6 => $"{sign}{hh:D2}", 7 => "", _ => "z",
            };
            var t = sep switch { 0 => ' ', 1 => 't', _ => 'T' };
            return $"{year:D4}-{month:D2}-{day:D2}{t}{hour:D2}:{minute:D2}:{(minute * 7) % 60:D2}{fraction}{z}";
        });

    private static bool CommonTimestamp(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text.Replace("\\u002B", "+"));
        var days = default(EventTimestamp.DayCache);
        return EventTimestamp.TryParse(bytes, ref days, out _);
    }

    private static readonly Gen<(string Raw, bool Common)> Timestamp = Gen.Frequency(
        (10, TimestampText.Select(t => (Quote(t), CommonTimestamp(t)))),
        (1, Odd(Gen.OneOf("null", "123", "\"yesterday Z\"", "\"2026-01-25T08:00:00.Z\"", "\"2026-01-25T08:00Z\""))));

    private static readonly Gen<string> UnknownValue = Gen.OneOf(
        Gen.OneOf("1", "-2.5e3", "true", "false", "null", "\"x\"", "\"caf\\u00e9 \\ud83d\\ude00\"", "[]", "{}", "[1,\"a\",{\"b\":[null]}]",
            "{\"ip\":\"10.0.0.1\",\"tags\":[\"a\",1,2.5,{\"k\":null}]}", "\"é\"", "\"\\ud800\""),
        Gen.OneOf("01", "1.", "tru", "[1,]", "{\"a\"}", "\"" + InvalidByte + "\"", "[\"" + InvalidByte + "\"]", "\"\\q\"", "nul"));

    private static readonly string[] Names = ["order_id", "user_id", "event_ts", "arrival_ts", "qty", "unit_price", "currency", "sku", "channel"];

    private static readonly Gen<Line> GenLine = Gen.Select(
        Gen.Select(Gen.Select(StringValue, Integer, Timestamp, Timestamp),
            Gen.Select(Integer.Select(q => q.Raw.Length > 9 ? (q.Raw, false) : q), Money, StringValue, StringValue, StringValue)),
        Gen.Int[0, 3], Gen.Int[0, 2], Gen.Frequency((6, Gen.Const(-1)), (1, Gen.Int[0, 8])), Gen.Frequency((4, Gen.Const(-1)), (1, Gen.Int[0, 8])),
        Gen.Select(UnknownValue.Array[0, 3], Gen.Int[0, 5], Gen.Int.Array[9]))
        .Select((values, layout, ending, drop, duplicate, extra) =>
        {
            var ((v0, v1, v2, v3), (v4, v5, v6, v7, v8)) = values;
            (string Raw, bool Common)[] v = [v0, v1, v2, v3, v4, v5, v6, v7, v8];
            var (unknown, oddity, order) = extra;
            var common = v.All(x => x.Common) && drop < 0 && duplicate < 0 && !unknown.Any(u => u.Contains(InvalidByte) || u is "01" or "1." or "tru" or "[1,]" or "{\"a\"}" or "\"\\q\"" or "nul");
            var fields = Enumerable.Range(0, 9).Where(i => i != drop).Select(i => (Name: Names[i], v[i].Raw)).ToList();
            if (duplicate >= 0) fields.Add((Names[duplicate], v[duplicate].Raw));
            for (var k = 0; k < unknown.Length; k++) fields.Insert((order[k] & int.MaxValue) % (fields.Count + 1), ($"extra_{k}", unknown[k]));
            if (layout == 3) fields = [.. fields.OrderBy(f => order[(f.Name.Length * 31 + f.Name[0]) % 9])];
            var (colon, comma) = layout switch { 1 => (": ", ", "), 2 => (" :\t", " , "), _ => (":", ",") };
            var name = (string n) => oddity == 1 && n == "qty" ? "\"q\\u0074y\"" : Quote(n);
            if (oddity == 1) common = false;
            var text = "{" + string.Join(comma, fields.Select(f => name(f.Name) + colon + f.Raw)) + "}";
            text = oddity switch { 2 => " " + text + " \t", 3 => text + "x", 4 => text + "\r" + text, _ => text };
            if (oddity is 3 or 4) common = false;
            text += ending switch { 1 => "\r", _ => "" };
            return new Line(text, common);
        });

    private static byte[] Bytes(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var marker = Encoding.UTF8.GetBytes(InvalidByte.ToString());
        var output = new List<byte>(bytes.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes.AsSpan(i).StartsWith(marker))
            {
                output.Add(0xFF);
                i += marker.Length - 1;
            }
            else output.Add(bytes[i]);
        }
        return [.. output];
    }

    /// <summary>
    /// One line through the fast path, the general path and <see cref="EventLineParser.ParseInto"/>, each with a parser and
    /// rows of its own (CsCheck runs cases on several threads; the parsers' state across lines is covered by the fast-path
    /// tests): one verdict and reason, the same row whichever path took it, and a line of a common shape taken by the fast path.
    /// </summary>
    private static void AssertOneVerdict(byte[] bytes, Func<EventLineParser> parser, Func<ParsedEvents> rows,
        Action<ParsedEvents, ParsedEvents> same, Utf8ValueIds ids, bool common)
    {
        var (fastParser, generalParser, intoParser) = (parser(), parser(), parser());
        var (fastRows, generalRows, intoRows) = (rows(), rows(), rows());
        var fast = fastParser.TryParseFast(bytes, fastRows, ids, 3);
        var general = generalParser.ParseGeneral(bytes, generalRows, ids, 3, out var reason);
        var into = intoParser.ParseInto(bytes, intoRows, ids, Key, 3, out var intoReason);

        Assert.Equal(general, into);
        Assert.Equal(general ? null : LineEnding.BareCarriageReturn(bytes) ?? reason, intoReason);
        if (fast)
        {
            Assert.True(general, $"the fast path took a line the general path refuses ({reason})");
            same(generalRows, fastRows);
        }
        else Assert.Equal(0, fastRows.Count);
        if (general) same(generalRows, intoRows);
        if (common) Assert.True(fast, "a common shape was left to the general path");
    }

    [Fact]
    public void The_fast_path_agrees_with_the_general_path_on_every_shape()
    {
        GenLine.Sample(line =>
        {
            var ids = new Utf8ValueIds(new Utf8ValueTable());
            AssertOneVerdict(Bytes(line.Text), () => new EventLineParser(), () => Rows(ids), AssertSameRow, ids, line.Common);
        }, iter: 20_000);
    }

    /// <summary>Declared fields beyond the shipped nine, one of each staged kind and nullability, with and without defaults.</summary>
    private const string ExtraColumns = """
          - {name: coupon_code, type: string, nullable: true, default: null}
          - {name: discount, type: "decimal(18,2)", nullable: true, default: 0}
          - {name: points, type: int64, nullable: true, default: null}
          - {name: visits, type: int32, nullable: true, default: 7}
          - {name: seen_at, type: timestamp, nullable: true, default: null}
          - {name: rate, type: "decimal(9,4)", nullable: true}
          - {name: score, type: int64, nullable: false, default: 5, json: Score}

        """;

    internal static readonly Lazy<EventFields> ExtraFields = new(() =>
    {
        var yaml = File.ReadAllText(RepoRoot.Combine("data-contracts", "events.yaml")).Replace("checks:", ExtraColumns + "checks:");
        return EventFields.From(Highwater.Pipeline.Core.Contracts.ContractLoader.Parse(yaml, "events.yaml"));
    });

    /// <summary>An extra field: absent (when it has a default), or a value of its type's generator.</summary>
    private static readonly Gen<(string Json, bool Common)[]> Extras = Gen.Select(
        Gen.Select(StringValue, Money, Integer, Integer.Select(q => q.Raw.Length > 9 ? (q.Raw, false) : q)),
        Gen.Select(Timestamp, Money, Integer), Gen.Int.Array[7])
        .Select((a, b, present) =>
        {
            var ((coupon, discount, points, visits), (seen, rate, score)) = (a, b);
            (string Name, (string Raw, bool Common) Value, bool Optional)[] all =
            [
                ("coupon_code", coupon, true), ("discount", discount, true), ("points", points, true), ("visits", visits, true),
                ("seen_at", seen, true), ("rate", rate.Raw is "null" ? rate : (rate.Raw, false), false), ("Score", score.Raw is "null" ? (score.Raw, false) : score, true),
            ];
            return all.Where((f, i) => !f.Optional || present[i] % 3 != 0)
                .Select(f => (Quote(f.Name) + ":" + f.Value.Raw, f.Value.Common)).ToArray();
        });

    [Fact]
    public void The_fast_path_agrees_with_the_general_path_on_declared_extra_fields_of_every_kind()
    {
        Gen.Select(GenLine, Extras, Gen.Int[0, 1]).Sample((line, extras, where) =>
        {
            var fields = ExtraFields.Value;
            var ids = new Utf8ValueIds(new Utf8ValueTable());
            var text = line.Text;
            var added = string.Join(",", extras.Select(e => e.Json));
            if (added.Length > 0)
                text = where == 0 ? text.Insert(text.IndexOf('{') + 1, added + ",") : text.Insert(text.LastIndexOf('}'), "," + added);
            AssertOneVerdict(Bytes(text), () => new EventLineParser(fields), () => Rows(ids, fields), AssertSameColumns, ids,
                line.Common && extras.All(e => e.Common));
        }, iter: 20_000);
    }

    private static void AssertSameColumns(ParsedEvents expected, ParsedEvents actual)
    {
        AssertSameRow(expected, actual);
        for (var c = 0; c < expected.Layout.Columns.Count; c++)
        {
            var (e, a) = (expected.ValueAt(0, c), actual.ValueAt(0, c));
            Assert.Equal(e, a);
            if (e is decimal d) Assert.Equal(decimal.GetBits(d), decimal.GetBits((decimal)a!));
            if (e is DateTime t) Assert.Equal(t.Kind, ((DateTime)a!).Kind);
        }
    }

    [Fact]
    public void Absent_declared_fields_take_their_defaults_and_an_explicit_null_stays_null()
    {
        var fields = ExtraFields.Value;
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var rows = new ParsedEvents(8, ids.Table, fields.Layout);
        rows.SetSourceKey(Key, ids);
        const string nine = "\"order_id\":\"A-1\",\"user_id\":1,\"event_ts\":\"2026-01-25T08:00:00Z\",\"arrival_ts\":\"2026-01-25T09:00:00Z\",\"qty\":1,\"unit_price\":2.5,\"currency\":\"EUR\",\"sku\":\"S\",\"channel\":\"web\"";
        var parser = new EventLineParser(fields);
        Assert.True(parser.ParseInto(Encoding.UTF8.GetBytes("{" + nine + ",\"rate\":1.2345}"), rows, ids, Key, 1, out _));
        Assert.True(parser.ParseInto(Encoding.UTF8.GetBytes("{\"rate\":null," + nine + ",\"discount\":null,\"coupon_code\":null,\"visits\":null,\"Score\":9}"), rows, ids, Key, 2, out _));
        Assert.False(parser.ParseInto(Encoding.UTF8.GetBytes("{" + nine + "}"), rows, ids, Key, 3, out var missing));
        Assert.False(parser.ParseInto(Encoding.UTF8.GetBytes("{" + nine + ",\"rate\":1,\"Score\":null}"), rows, ids, Key, 4, out var isNull));
        Assert.False(parser.ParseInto(Encoding.UTF8.GetBytes("{" + nine + ",\"rate\":1.23456}"), rows, ids, Key, 5, out var places));

        Assert.Equal(2, rows.Count);
        Assert.Equal(new object?[] { null, 0m, null, 7, null, 1.2345m, 5L }, new[] { "coupon_code", "discount", "points", "visits", "seen_at", "rate", "score" }.Select(n => rows.ValueAt(0, n)));
        Assert.Equal(new object?[] { null, null, null, null, null, null, 9L }, new[] { "coupon_code", "discount", "points", "visits", "seen_at", "rate", "score" }.Select(n => rows.ValueAt(1, n)));
        Assert.Equal("required field missing: rate", missing);
        Assert.Equal("Score is null", isNull);
        Assert.Equal("rate 1.23456 has more than 4 decimal places", places);
    }

    [Fact]
    public void The_timestamp_rule_gives_the_json_readers_instant_where_both_read_a_text()
    {
        TimestampText.Sample(text =>
        {
            var raw = Encoding.UTF8.GetBytes(text.Replace("\\u002B", "+"));
            var days = default(EventTimestamp.DayCache);
            if (!EventTimestamp.TryParse(raw, ref days, out var ours)) return;
            // ±hhmm is ours only; the reader gets it as ±hh:mm.
            var colon = System.Text.RegularExpressions.Regex.Replace(text, @"([+-]\d\d)(\d\d)$", "$1:$2");
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(Quote(colon)));
            reader.Read();
            Assert.True(reader.TryGetDateTimeOffset(out var theirs), text);
            Assert.Equal(UtcTimestamp.FromOffset(theirs), ours);
            Assert.Equal(DateTimeKind.Utc, ours.Kind);
        }, iter: 20_000);
    }

    [Fact]
    public void The_money_rule_agrees_with_decimal_where_decimal_is_exact()
    {
        Money.Sample(m =>
        {
            var raw = m.Raw;
            if (raw is "null" || raw.StartsWith('"') || !IsJsonNumber(raw)) return;
            var verdict = MoneyText.Parse(Encoding.ASCII.GetBytes(raw), out var ours);
            // Only where decimal holds the number exactly: at most 27 digits from the first to the last written digit's place.
            var parts = raw.TrimStart('-').Split('e', 'E');
            var exponent = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 0;
            var (whole, fraction) = parts[0].Contains('.') ? (parts[0].Split('.')[0], parts[0].Split('.')[1]) : (parts[0], "");
            if (whole.TrimStart('0').Length + exponent > 27 || fraction.Length - exponent > 27 || whole.Length + fraction.Length > 27
                || !decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return;
            var exact = decimal.Round(d, Schemas.MoneyScale) == d;
            Assert.True(verdict == (!exact ? MoneyText.Verdict.TooManyDecimals : Math.Abs(d) >= 10_000_000_000_000_000m ? MoneyText.Verdict.TooLarge : MoneyText.Verdict.Ok), raw);
            if (!exact) Assert.Equal(MoneyText.Verdict.TooManyDecimals, verdict);
            else if (Math.Abs(d) >= 10_000_000_000_000_000m) Assert.Equal(MoneyText.Verdict.TooLarge, verdict);
            else
            {
                Assert.Equal(MoneyText.Verdict.Ok, verdict);
                Assert.Equal(decimal.GetBits(decimal.Round(d, Schemas.MoneyScale)), decimal.GetBits(ours));
            }
        }, iter: 20_000);
    }

    private static bool IsJsonNumber(string s) => System.Text.RegularExpressions.Regex.IsMatch(s, @"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$");

    private static ParsedEvents Rows(Utf8ValueIds ids, EventFields? fields = null)
    {
        var rows = new ParsedEvents(2, ids.Table, fields?.Layout);
        rows.SetSourceKey(Key, ids);
        return rows;
    }

    private static void AssertSameRow(ParsedEvents expected, ParsedEvents actual)
    {
        Assert.Equal(1, expected.Count);
        Assert.Equal(1, actual.Count);
        var (e, a) = (expected[0], actual[0]);
        Assert.Equal(e, a);
        Assert.Equal(e.EventTs.Kind, a.EventTs.Kind);
        Assert.Equal(e.ArrivalTs.Kind, a.ArrivalTs.Kind);
        Assert.Equal(decimal.GetBits(e.UnitPrice.GetValueOrDefault()), decimal.GetBits(a.UnitPrice.GetValueOrDefault()));
        Assert.Equal(expected.OrderIdBytes.ToArray(), actual.OrderIdBytes.ToArray());
    }
}
