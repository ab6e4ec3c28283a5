using System.Text;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using Highwater.Pipeline.Extract;
using Xunit;

namespace Highwater.Tests.Staging;

/// <summary>
/// The fast path of <see cref="EventLineParser.ParseInto"/> must give exactly what the general parser gives:
/// the same values (decimals to the scale, timestamps to the tick and kind) for the lines it takes, and it must
/// leave every line it cannot vouch for to the general parser, so the reasons stay the same.
/// </summary>
public sealed class EventLineFastPathTests
{
    private const string Key = "events/2026-01-25/file_a.json";

    private static string Line(string orderId = "\"O-1\"", string userId = "1003", string eventTs = "\"2026-01-25T08:25:41Z\"",
        string arrivalTs = "\"2026-01-25T08:59:30Z\"", string qty = "2", string unitPrice = "19.99", string currency = "\"EUR\"",
        string sku = "\"SKU-1001\"", string channel = "\"web\"") =>
        $$"""{"order_id":{{orderId}},"user_id":{{userId}},"event_ts":{{eventTs}},"arrival_ts":{{arrivalTs}},"qty":{{qty}},"unit_price":{{unitPrice}},"currency":{{currency}},"sku":{{sku}},"channel":{{channel}}}""";

    /// <summary>Lines the fast path takes itself.</summary>
    public static TheoryData<string> PlainLines => new()
    {
        Line(),
        Line(orderId: "null", qty: "null", unitPrice: "null", currency: "null", sku: "null", channel: "null"),
        Line(orderId: "\"\"", currency: "\"\"", sku: "\"\""),
        Line(userId: "-0", qty: "-0"),
        Line(userId: "999999999999999999", qty: "999999999"),
        Line(userId: "-999999999999999999", qty: "-999999999"),
        Line(unitPrice: "0"), Line(unitPrice: "0.5"), Line(unitPrice: "0.50"), Line(unitPrice: "0.00"), Line(unitPrice: "10"),
        Line(unitPrice: "10.10"), Line(unitPrice: "-0.01"), Line(unitPrice: "-12.3"), Line(unitPrice: "9999999999999999.99"),
        Line(unitPrice: "-9999999999999999.99"), Line(unitPrice: "1234567890123456"),
        Line(eventTs: "\"2024-02-29T23:59:59Z\"", arrivalTs: "\"0001-01-01T00:00:00Z\""),
        Line(eventTs: "\"9999-12-31T23:59:59Z\""),
        Line(eventTs: "\"2025-01-01T20:18:45+01:00\"", arrivalTs: "\"2025-01-01T00:10:00+01:00\""),
        Line(eventTs: "\"2025-12-31T23:59:59-05:30\"", arrivalTs: "\"2024-02-29T01:00:00+13:59\""),
        Line(eventTs: "\"2025-01-01T00:00:00+00:00\"", arrivalTs: "\"2025-01-01T00:00:00-00:00\""),
        Line(eventTs: "\"0002-01-01T00:00:00+13:00\"", arrivalTs: "\"9998-12-31T23:59:59-13:00\""),
        Line(orderId: "\"O with spaces ~!@#$%^&*()[]{}:;,./<>?|`'\""),
        Line() + "   ",
        Line() + "\t\r",
        """{"channel":"web","sku":"S","currency":"EUR","unit_price":1,"qty":1,"arrival_ts":"2026-01-25T08:59:30Z","event_ts":"2026-01-25T08:25:41Z","user_id":1,"order_id":"x"}""",
    };

    /// <summary>What producers write, each taken by the fast path with the general parser's values.</summary>
    public static TheoryData<string> ProducerLines => new()
    {
        Line(eventTs: "\"2024-01-01T07:32:01.251Z\"", arrivalTs: "\"2024-01-01T07:32:01.9Z\""),                    // JavaScript, Log4j, Serilog
        Line(eventTs: "\"2024-01-01T07:32:01.251000+00:00\"", arrivalTs: "\"2024-01-01T07:32:01+0100\"")
            .Replace("\":", "\": ").Replace(",\"", ", \"").Replace("SKU-1001", "caf\\u00e9 \\ud83d\\ude00"),  // Python json.dumps
        Line(eventTs: "\"2024-01-01T07:32:01.2510000\\u002B01:00\"", arrivalTs: "\"2024-01-01T07:32:01.1234567-05:30\""), // System.Text.Json
        """{"arrival_ts":"2024-01-01T07:32:01.123456789Z","channel":"web","currency":"EUR","event_ts":"2024-01-01T07:32:01Z","order_id":"a\u003cb\u003e","qty":2,"sku":"S","unit_price":1.5,"user_id":7}""" + "\r", // Go, CRLF
        Line(channel: "\"web\",\"meta\":{\"tags\":[\"a\",1,2.5e3,{\"k\":null}],\"ok\":true},\"v\":-0.5,\"n\":null,\"s\":\"é\\n\""),       // unknown fields
        Line(unitPrice: "150e-2", orderId: "\"Zürich-東京\""),
    };

    [Theory]
    [MemberData(nameof(ProducerLines))]
    public void Producer_shapes_take_the_fast_path_with_the_general_parsers_values(string line) =>
        The_fast_path_takes_the_common_shape_with_the_general_parsers_values(line);

    /// <summary>Lines of other shapes, valid or not: whichever path takes them, the general parser's verdict and values.</summary>
    public static TheoryData<string> OtherLines => new()
    {
        Line(orderId: "\"Ö-ünïcødé-€\""), Line(orderId: "\"a\\\"b\""), Line(orderId: "\"\\u0041\""), Line(orderId: "\"tab\there\""),
        Line(orderId: "\"del\u007f\""), Line(orderId: "1"), Line(orderId: "nul"), Line(sku: "\"SKU-€\""),
        Line(userId: "1.0"), Line(userId: "1e3"), Line(userId: "01"), Line(userId: "1000000000000000000"), Line(userId: "null"),
        Line(userId: "\"1\""), Line(userId: "-"), Line(userId: "99999999999999999999"),
        Line(qty: "1.5"), Line(qty: "2147483648"), Line(qty: "1000000000"), Line(qty: "\"two\""), Line(qty: "true"), Line(qty: "[1]"),
        Line(unitPrice: "1.234"), Line(unitPrice: "1.230"), Line(unitPrice: "1e2"), Line(unitPrice: "1."), Line(unitPrice: ".5"),
        Line(unitPrice: "-0"), Line(unitPrice: "-0.00"), Line(unitPrice: "00.5"), Line(unitPrice: "10000000000000000"),
        Line(unitPrice: "\"1.00\""), Line(unitPrice: "1.5E-1"),
        Line(eventTs: "\"2026-01-25T08:25:41\""), Line(eventTs: "\"2026-01-25T08:25:41.5Z\""),
        Line(eventTs: "\"2026-02-30T08:25:41Z\""), Line(eventTs: "\"2026-01-25 08:25:41Z\""), Line(eventTs: "null"), Line(arrivalTs: "123"),
        Line(eventTs: "\"2026-01-25T24:00:00Z\""),
        Line(eventTs: "\"2026-01-25T08:25:41+14:00\""), Line(eventTs: "\"2026-01-25T08:25:41+01:60\""),
        Line(eventTs: "\"2026-01-25T08:25:41+0100\""), Line(eventTs: "\"2026-01-25T08:25:41+01\""),
        Line(eventTs: "\"2026-01-25T08:25:41*01:00\""), Line(eventTs: "\"2026-01-25T08:25:41+01:0a\""),
        Line(eventTs: "\"0001-01-01T00:00:00+01:00\""), Line(eventTs: "\"9999-12-31T23:59:59-01:00\""),
        Line(eventTs: "\"2026-02-29T08:25:41+01:00\""), Line(eventTs: "\"2026-01-25T08:25:41.5+01:00\""), Line(eventTs: "\"2026-01-25T08:25:41z\""),
        Line(channel: "\"web\",\"extra\":1"), Line(channel: "\"web\",\"qty\":3"), Line(channel: "\"web\" "), Line(channel: "\"web\"} x"),
        Line(channel: "\"web\"}{}"), Line() + ",", " " + Line(), Line().Replace(":", ": "), Line().Replace(",", ", "),
        Line().Replace("\"order_id\"", "\"order\\u005fid\""), Line().Replace(",\"channel\":\"web\"", ""), "{}", "{", "", "[]", "null",
        Line().Replace("}", ""), Line()[..^3],
    };

    [Theory]
    [MemberData(nameof(PlainLines))]
    public void The_fast_path_takes_the_common_shape_with_the_general_parsers_values(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var rows = new ParsedEvents(4, ids.Table);
        rows.SetSourceKey(Key, ids);

        Assert.True(new EventLineParser().TryParseFast(bytes, rows, ids, 7));
        var expected = new EventLineParser().Parse(bytes, Key, 7, out var reason);

        Assert.Null(reason);
        AssertSame(expected!.Value, rows[0]);
        Assert.Equal(expected.Value.OrderId is null ? -1 : OrderBuckets.IndexOf(expected.Value.OrderId), rows.Bucket[0]);
    }

    [Theory]
    [MemberData(nameof(OtherLines))]
    public void Other_lines_keep_the_general_parsers_result(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var rows = new ParsedEvents(4, ids.Table);
        rows.SetSourceKey(Key, ids);

        var expected = new EventLineParser().Parse(bytes, Key, 7, out var expectedReason);
        var taken = new EventLineParser().ParseInto(bytes, rows, ids, Key, 7, out var reason);

        Assert.Equal(expectedReason, reason);
        Assert.Equal(expected is not null, taken);
        if (expected is { } e)
        {
            Assert.Equal(1, rows.Count);
            AssertSame(e, rows[0]);
        }
        else Assert.Equal(0, rows.Count);
    }

    [Fact]
    public void One_parser_over_many_lines_gives_the_general_parsers_rows_and_reasons()
    {
        // One parser for every line, so what it remembers between lines (the last date) is exercised too.
        var lines = ((IEnumerable<object[]>)PlainLines).Concat(OtherLines).Select(row => (string)row[0]).ToList();
        lines = lines.Concat(lines.AsEnumerable().Reverse()).ToList();
        for (var day = 1; day <= 28; day += 9)
            for (var hour = 0; hour < 24; hour += 7)
                lines.Add(Line(eventTs: $"\"2026-02-{day:D2}T{hour:D2}:59:59Z\"", arrivalTs: $"\"2026-02-{day:D2}T{hour:D2}:00:01-03:00\""));
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var rows = new ParsedEvents(lines.Count, ids.Table);
        rows.SetSourceKey(Key, ids);
        var parser = new EventLineParser();
        var general = new EventLineParser();
        var taken = 0;
        foreach (var (line, n) in lines.Select((l, i) => (l, (long)i + 1)))
        {
            var bytes = Encoding.UTF8.GetBytes(line);
            var expected = general.Parse(bytes, Key, n, out var expectedReason);
            Assert.Equal(expected is not null, parser.ParseInto(bytes, rows, ids, Key, n, out var reason));
            Assert.Equal(expectedReason, reason);
            if (expected is { } e) AssertSame(e, rows[taken++]);
        }
        Assert.Equal(taken, rows.Count);
    }

    [Fact]
    public void Rows_of_a_chunk_keep_line_order_and_their_source_line()
    {
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var rows = new ParsedEvents(8, ids.Table);
        rows.SetSourceKey(Key, ids);
        var parser = new EventLineParser();

        Assert.True(parser.ParseInto(Encoding.UTF8.GetBytes(Line(orderId: "\"a\"")), rows, ids, Key, 1, out _));
        Assert.True(parser.ParseInto(Encoding.UTF8.GetBytes(Line(orderId: "\"ü\"")), rows, ids, Key, 2, out _)); // general path
        Assert.False(parser.ParseInto(Encoding.UTF8.GetBytes(Line(qty: "\"two\"")), rows, ids, Key, 3, out var reason));
        Assert.True(parser.ParseInto(Encoding.UTF8.GetBytes(Line(orderId: "\"c\"", currency: "\"CHF\"")), rows, ids, Key, 4, out _));

        Assert.Equal("qty should be an integer, found the string \"two\"", reason);
        Assert.Equal(["a", "ü", "c"], Enumerable.Range(0, rows.Count).Select(i => rows[i].OrderId));
        Assert.Equal([1L, 2L, 4L], Enumerable.Range(0, rows.Count).Select(i => rows[i].SourceLine));
        Assert.Equal(["EUR", "EUR", "CHF"], Enumerable.Range(0, rows.Count).Select(i => rows[i].Currency));
        var currency = rows.Layout.Block.IndexOf("currency");
        Assert.Equal(rows.Refs[currency][0], rows.Refs[currency][1]); // the same bytes, the same id, from either path
        Assert.All(Enumerable.Range(0, rows.Count), i => Assert.Equal(Key, rows[i].SourceKey));
    }

    private static void AssertSame(EventRecord expected, EventRecord actual)
    {
        Assert.Equal(expected, actual);
        Assert.Equal(expected.EventTs.Kind, actual.EventTs.Kind);
        Assert.Equal(expected.ArrivalTs.Kind, actual.ArrivalTs.Kind);
        Assert.Equal(expected.EventTs.ToBinary(), actual.EventTs.ToBinary());
        // decimal equality ignores the scale; the staging stores the bits, so they must match too.
        Assert.Equal(expected.UnitPrice.HasValue, actual.UnitPrice.HasValue);
        Assert.Equal(decimal.GetBits(expected.UnitPrice.GetValueOrDefault()), decimal.GetBits(actual.UnitPrice.GetValueOrDefault()));
    }
}
