using System.Text;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Extract;
using Xunit;

namespace Highwater.Tests.Staging;

public sealed class EventLineParserTests
{
    private const string Key = "events/2026-01-25/file_a.json";

    private const string ValidLine =
        """{"order_id":"O-1","user_id":1003,"event_ts":"2026-01-25T08:25:41Z","arrival_ts":"2026-01-25T08:59:30Z","qty":2,"unit_price":19.99,"currency":"EUR","sku":"SKU-1001","channel":"web"}""";

    private readonly EventLineParser _parser = new();

    private EventRecord? Parse(string line, out string? reason, long lineNumber = 7) =>
        _parser.Parse(Encoding.UTF8.GetBytes(line), Key, lineNumber, out reason);

    private EventRecord ParseValid(string line)
    {
        var record = Parse(line, out var reason);
        Assert.Null(reason);
        Assert.NotNull(record);
        return record.Value;
    }

    private string ParseInvalid(string line)
    {
        var record = Parse(line, out var reason);
        Assert.Null(record);
        Assert.NotNull(reason);
        return reason;
    }

    /// <summary>The valid line with one field's raw JSON value replaced (or the field removed when value is null).</summary>
    private static string With(string field, string? rawValue)
    {
        var fields = new List<(string Name, string Raw)>
        {
            ("order_id", "\"O-1\""), ("user_id", "1003"), ("event_ts", "\"2026-01-25T08:25:41Z\""),
            ("arrival_ts", "\"2026-01-25T08:59:30Z\""), ("qty", "2"), ("unit_price", "19.99"),
            ("currency", "\"EUR\""), ("sku", "\"SKU-1001\""), ("channel", "\"web\""),
        };
        var i = fields.FindIndex(f => f.Name == field);
        Assert.True(i >= 0, $"unknown field {field}");
        if (rawValue is null) fields.RemoveAt(i);
        else fields[i] = (field, rawValue);
        return "{" + string.Join(",", fields.Select(f => $"\"{f.Name}\":{f.Raw}")) + "}";
    }

    private static string Without(params string[] names)
    {
        var line = ValidLine;
        foreach (var name in names) line = RemoveField(line, name);
        return line;
    }

    private static string RemoveField(string line, string name)
    {
        var doc = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        Assert.True(doc.Remove(name));
        return doc.ToJsonString();
    }

    [Fact]
    public void Valid_line_yields_every_field()
    {
        var r = ParseValid(ValidLine);

        Assert.Equal("O-1", r.OrderId);
        Assert.Equal(1003L, r.UserId);
        Assert.Equal(new DateTime(2026, 1, 25, 8, 25, 41, DateTimeKind.Utc), r.EventTs);
        Assert.Equal(DateTimeKind.Utc, r.EventTs.Kind);
        Assert.Equal(new DateTime(2026, 1, 25, 8, 59, 30, DateTimeKind.Utc), r.ArrivalTs);
        Assert.Equal(DateTimeKind.Utc, r.ArrivalTs.Kind);
        Assert.Equal(2, r.Qty);
        Assert.Equal(19.99m, r.UnitPrice);
        Assert.Equal("EUR", r.Currency);
        Assert.Equal("SKU-1001", r.Sku);
        Assert.Equal("web", r.Channel);
        Assert.Equal(Key, r.SourceKey);
        Assert.Equal(7L, r.SourceLine);
    }

    [Fact]
    public void Offset_timestamps_are_converted_to_utc()
    {
        var r = ParseValid(With("event_ts", "\"2026-01-26T00:30:00+01:00\""));

        Assert.Equal(new DateTime(2026, 1, 25, 23, 30, 0, DateTimeKind.Utc), r.EventTs);
        Assert.Equal(DateTimeKind.Utc, r.EventTs.Kind);
    }

    [Fact]
    public void Negative_offset_is_converted_to_utc()
    {
        var r = ParseValid(With("arrival_ts", "\"2026-01-25T22:15:00-05:00\""));

        Assert.Equal(new DateTime(2026, 1, 26, 3, 15, 0, DateTimeKind.Utc), r.ArrivalTs);
    }

    [Fact]
    public void Z_suffix_is_utc()
    {
        var r = ParseValid(With("event_ts", "\"2026-01-25T23:59:59Z\""));

        Assert.Equal(new DateTime(2026, 1, 25, 23, 59, 59, DateTimeKind.Utc), r.EventTs);
    }

    [Theory]
    [InlineData("event_ts")]
    [InlineData("arrival_ts")]
    public void Timestamp_without_zone_is_malformed_naming_the_field(string field)
    {
        var reason = ParseInvalid(With(field, "\"2026-01-25T08:25:41\""));

        Assert.StartsWith(field, reason);
        Assert.Contains("2026-01-25T08:25:41", reason);
        Assert.Contains("no time zone", reason);
    }

    [Fact]
    public void Timestamp_with_fraction_but_without_zone_is_malformed()
    {
        var reason = ParseInvalid(With("event_ts", "\"2026-01-25T08:25:41.123\""));

        Assert.StartsWith("event_ts", reason);
        Assert.Contains("no time zone", reason);
    }

    [Fact]
    public void Fractional_seconds_are_truncated_to_microseconds()
    {
        var r = ParseValid(With("event_ts", "\"2026-01-25T08:25:41.1234567Z\""));

        var expected = new DateTime(2026, 1, 25, 8, 25, 41, DateTimeKind.Utc).AddTicks(1_234_560);
        Assert.Equal(expected, r.EventTs);
        Assert.Equal(0, r.EventTs.Ticks % 10);
    }

    [Theory]
    [InlineData("2024-01-01T07:32:01.251Z", "2024-01-01T07:32:01.2510000Z")]
    [InlineData("2024-01-01T08:32:01.251+0100", "2024-01-01T07:32:01.2510000Z")]
    [InlineData("2024-01-01T08:32:01.2510000\\u002B01:00", "2024-01-01T07:32:01.2510000Z")]
    [InlineData("2024-01-01T02:02:01.251999999-05:30", "2024-01-01T07:32:01.2519990Z")]
    [InlineData("2024-01-01T08:32:01+01", "2024-01-01T07:32:01.0000000Z")]
    public void Producer_timestamp_spellings_are_read_as_utc(string text, string expected)
    {
        var r = ParseValid(With("event_ts", $"\"{text}\""));

        Assert.Equal(expected, r.EventTs.ToString("O"));
        Assert.Equal(DateTimeKind.Utc, r.EventTs.Kind);
    }

    [Fact]
    public void Fractional_seconds_with_offset_are_truncated_not_rounded()
    {
        var r = ParseValid(With("arrival_ts", "\"2026-01-25T08:25:41.9999999+02:00\""));

        Assert.Equal(new DateTime(2026, 1, 25, 6, 25, 41, DateTimeKind.Utc).AddTicks(9_999_990), r.ArrivalTs);
    }

    [Theory]
    [InlineData("order_id")]
    [InlineData("user_id")]
    [InlineData("event_ts")]
    [InlineData("arrival_ts")]
    [InlineData("qty")]
    [InlineData("unit_price")]
    [InlineData("currency")]
    [InlineData("sku")]
    [InlineData("channel")]
    public void Each_required_field_missing_is_named(string field)
    {
        var reason = ParseInvalid(Without(field));

        Assert.Equal($"required field missing: {field}", reason);
    }

    [Fact]
    public void Several_missing_fields_are_named_together()
    {
        var reason = ParseInvalid(Without("qty", "currency", "order_id"));

        Assert.Equal("required fields missing: order_id, qty, currency", reason);
    }

    [Fact]
    public void Empty_object_names_all_fields()
    {
        var reason = ParseInvalid("{}");

        Assert.Equal("required fields missing: order_id, user_id, event_ts, arrival_ts, qty, unit_price, currency, sku, channel", reason);
    }

    [Theory]
    [InlineData("qty", "\"two\"", "qty should be an integer, found the string \"two\"")]
    [InlineData("qty", "1.5", "qty should be an integer, found the number 1.5")]
    [InlineData("qty", "true", "qty should be an integer, found a boolean")]
    [InlineData("user_id", "\"x\"", "user_id should be an integer, found the string \"x\"")]
    [InlineData("user_id", "[1]", "user_id should be an integer, found an array")]
    [InlineData("unit_price", "\"1.00\"", "unit_price should be a decimal number, found the string \"1.00\"")]
    [InlineData("event_ts", "123", "event_ts should be an ISO-8601 timestamp string, found the number 123")]
    [InlineData("arrival_ts", "{}", "arrival_ts should be an ISO-8601 timestamp string, found an object")]
    [InlineData("order_id", "42", "order_id should be a string, found the number 42")]
    [InlineData("currency", "1", "currency should be a string, found the number 1")]
    [InlineData("sku", "false", "sku should be a string, found a boolean")]
    [InlineData("channel", "{\"a\":1}", "channel should be a string, found an object")]
    public void Wrong_types_are_reported_with_field_and_found_value(string field, string raw, string expected)
    {
        var reason = ParseInvalid(With(field, raw));

        Assert.Equal(expected, reason);
    }

    [Fact]
    public void Qty_beyond_int32_is_a_wrong_type()
    {
        var reason = ParseInvalid(With("qty", "3000000000"));

        Assert.Equal("qty should be an integer, found the number 3000000000", reason);
    }

    [Fact]
    public void Timestamp_string_that_is_not_iso8601_is_rejected()
    {
        var reason = ParseInvalid(With("event_ts", "\"yesterday at noon Z\""));

        Assert.StartsWith("event_ts 'yesterday at noon Z' is not an ISO-8601 timestamp", reason);
    }

    [Theory]
    [InlineData("order_id")]
    [InlineData("qty")]
    [InlineData("unit_price")]
    [InlineData("currency")]
    [InlineData("sku")]
    [InlineData("channel")]
    public void Null_is_accepted_for_optional_values(string field)
    {
        var r = ParseValid(With(field, "null"));

        object? value = field switch
        {
            "order_id" => r.OrderId,
            "qty" => r.Qty,
            "unit_price" => r.UnitPrice,
            "currency" => r.Currency,
            "sku" => r.Sku,
            "channel" => r.Channel,
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };
        Assert.Null(value);
        Assert.Equal(1003L, r.UserId); // the rest is still read
    }

    [Theory]
    [InlineData("user_id")]
    [InlineData("event_ts")]
    [InlineData("arrival_ts")]
    public void Null_is_rejected_for_required_values(string field)
    {
        var reason = ParseInvalid(With(field, "null"));

        Assert.Equal($"{field} is null", reason);
    }

    [Fact]
    public void Unit_price_with_three_significant_decimals_is_rejected()
    {
        var reason = ParseInvalid(With("unit_price", "1.234"));

        Assert.Equal("unit_price 1.234 has more than 2 decimal places", reason);
    }

    [Theory]
    [InlineData("1.230", "1.23")]
    [InlineData("1.2000000", "1.2")]
    [InlineData("5", "5")]
    [InlineData("-0.50", "-0.5")]
    public void Unit_price_with_trailing_zero_decimals_is_accepted(string raw, string expected)
    {
        var r = ParseValid(With("unit_price", raw));

        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), r.UnitPrice);
        Assert.True(r.UnitPrice!.Value.Scale <= 2, $"scale {r.UnitPrice.Value.Scale}");
    }

    [Fact]
    public void Unit_price_too_large_for_decimal_18_2_is_rejected()
    {
        var reason = ParseInvalid(With("unit_price", "10000000000000000"));

        Assert.Contains("does not fit DECIMAL(18,2)", reason);
        Assert.StartsWith("unit_price", reason);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"str\"")]
    [InlineData("42")]
    [InlineData("null")]
    public void Line_that_is_not_an_object_is_rejected(string line)
    {
        var reason = ParseInvalid(line);

        Assert.Equal("not a JSON object", reason);
    }

    [Fact]
    public void Truncated_json_is_not_valid_json()
    {
        var truncated = ValidLine[..(ValidLine.Length / 2)];

        var reason = ParseInvalid(truncated);

        Assert.StartsWith("not valid JSON", reason);
    }

    [Theory]
    [InlineData("{\"order_id\":\"O-1\",}")]
    [InlineData("{order_id:1}")]
    [InlineData("{\"a\":1 // comment\n}")]
    public void Syntax_errors_are_not_valid_json(string line)
    {
        var reason = ParseInvalid(line);

        Assert.StartsWith("not valid JSON", reason);
    }

    [Theory]
    [InlineData(" x")]
    [InlineData(" {}")]
    [InlineData("garbage")]
    [InlineData("}")]
    public void Trailing_garbage_after_the_object_is_rejected(string tail)
    {
        var reason = ParseInvalid(ValidLine + tail);

        Assert.StartsWith("not valid JSON", reason);
    }

    [Fact]
    public void Trailing_white_space_is_accepted()
    {
        ParseValid(ValidLine + "  \t ");
    }

    [Fact]
    public void Unknown_fields_are_ignored_including_nested_objects_and_arrays()
    {
        var line = ValidLine[..^1] +
                   ""","extra":1,"meta":{"order_id":"NOT-ME","deep":{"qty":"bad"},"list":[1,{"x":[]}]},"tags":["a",{"user_id":"x"}],"flag":null}""";
        var withPrefix = """{"first":{"qty":[1,2,3]},""" + line[1..];

        var r = ParseValid(withPrefix);

        Assert.Equal("O-1", r.OrderId);
        Assert.Equal(2, r.Qty);
        Assert.Equal(1003L, r.UserId);
    }

    [Fact]
    public void Escaped_strings_in_order_id_are_decoded()
    {
        var r = ParseValid(With("order_id", "\"\\u0041-\\\"1\\\"\""));

        Assert.Equal("A-\"1\"", r.OrderId);
    }

    [Fact]
    public void Escaped_pooled_strings_are_decoded()
    {
        var r = ParseValid(With("currency", "\"\\u0045UR\""));

        Assert.Equal("EUR", r.Currency);
    }

    [Fact]
    public void Escaped_timestamp_is_decoded()
    {
        var r = ParseValid(With("event_ts", "\"2026-01-25T08:25:41\\u005A\""));

        Assert.Equal(new DateTime(2026, 1, 25, 8, 25, 41, DateTimeKind.Utc), r.EventTs);
    }

    [Fact]
    public void Duplicate_keys_last_one_wins()
    {
        var line = ValidLine[..^1] + ""","qty":5,"order_id":"O-2","currency":null}""";

        var r = ParseValid(line);

        Assert.Equal(5, r.Qty);
        Assert.Equal("O-2", r.OrderId);
        Assert.Null(r.Currency);
    }

    [Fact]
    public void Non_ascii_strings_survive()
    {
        var r = ParseValid(With("sku", "\"Größe-é-日本\""));

        Assert.Equal("Größe-é-日本", r.Sku);
    }

    [Fact]
    public void Empty_line_is_not_valid_json()
    {
        var reason = ParseInvalid("");

        Assert.StartsWith("not valid JSON", reason);
    }

    [Theory]
    [InlineData("order_id")]
    [InlineData("currency")]
    [InlineData("sku")]
    [InlineData("channel")]
    public void Invalid_utf8_in_a_string_names_the_field_and_the_byte(string field)
    {
        var bytes = Encoding.UTF8.GetBytes(ValidLine).ToList();
        var at = ValidLine.IndexOf($"\"{field}\":\"", StringComparison.Ordinal) + field.Length + 4;
        bytes.Insert(at, 0xFF); // a byte that never occurs in UTF-8

        for (var i = 0; i < 3; i++) // the same bad value again and again: same answer each time
        {
            var record = _parser.Parse(bytes.ToArray(), Key, 1, out var reason);
            Assert.Null(record);
            Assert.Equal($"{field} is not valid UTF-8: byte 0xFF at byte {at} of the line", reason);
        }
    }

    [Theory]
    [InlineData("2026-01-25T08:25:41Z")]
    [InlineData("2024-02-29T23:59:59Z")]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59Z")]
    [InlineData("2026-02-29T08:00:00Z")]
    [InlineData("2026-02-30T08:00:00Z")]
    [InlineData("2026-13-01T08:00:00Z")]
    [InlineData("2026-01-25T24:00:00Z")]
    [InlineData("2026-01-25T08:60:00Z")]
    [InlineData("2026-01-25T08:00:60Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("2026-01-2xT08:00:00Z")]
    [InlineData("2026-01-25 08:00:00Z")]
    [InlineData("2026-01-25T08:00:00.5Z")]
    [InlineData("2026-01-25T08:00:00z")]
    public void Fast_timestamp_path_agrees_with_the_general_parser(string text)
    {
        var line = $$"""{"order_id":"A","user_id":1,"event_ts":"{{text}}","arrival_ts":"2026-01-25T09:00:00+01:00","qty":1,"unit_price":1.5,"currency":"EUR","sku":"S","channel":"web"}""";
        var record = _parser.Parse(Encoding.UTF8.GetBytes(line), "k", 1, out var reason);

        var general = DateTimeOffset.TryParse(text.Replace(' ', 'T'), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None, out var expected);
        if (TryUtcSeconds(text, out var fast))
        {
            Assert.True(general);
            Assert.Equal(expected.UtcDateTime, fast);
            Assert.Equal(DateTimeKind.Utc, fast.Kind);
        }
        if (record is { } r) Assert.Equal(UtcTimestamp.FromOffset(expected), r.EventTs);
        else Assert.Contains("event_ts", reason);
    }

    private static bool TryUtcSeconds(string text, out DateTime value)
    {
        var days = default(EventTimestamp.DayCache);
        return EventTimestamp.TryParse(Encoding.UTF8.GetBytes(text), ref days, out value);
    }
}
