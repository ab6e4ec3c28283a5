using System.Text.Json;
using System.Text.RegularExpressions;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.QualityGate;
using Parquet;
using Parquet.Schema;
using Xunit;

namespace Highwater.Tests.Contracts;

/// <summary>
/// The gate judges whole columns with typed loops (long, decimal, ticks, strings) and reads only the columns its
/// checks need; these pin the places where a typed path could judge differently from comparing normalised values.
/// </summary>
public sealed class TypedEvaluationTests : IDisposable
{
    private readonly ContractFixtures _fx = new();

    public void Dispose() => _fx.Dispose();

    private static readonly SalesRow Row = new();

    private async Task<GateReport> RunAsync(DataContract contract, params DatasetFile[] files) =>
        await new ContractGate().EvaluateAsync(contract, files, _fx.Context(), CancellationToken.None);

    // A bound given in code may have decimals even on an integer column; it compares by value.
    [Theory]
    [InlineData(true, "1.5", true, 2)] // qty >= 1.5 fails 0, 1
    [InlineData(true, "1.5", false, 2)] // qty > 1.5 fails 0, 1
    [InlineData(true, "2", false, 3)] // qty > 2 fails 0, 1, 2
    [InlineData(true, "-0.5", true, 0)]
    [InlineData(false, "2.5", true, 1)] // qty <= 2.5 fails 3
    [InlineData(false, "2", false, 2)] // qty < 2 fails 2, 3
    [InlineData(false, "2", true, 1)]
    [InlineData(false, "-0.5", false, 4)]
    [InlineData(true, "100000000000000000000", true, 4)] // beyond long: every value fails a min …
    [InlineData(false, "100000000000000000000", true, 0)] // … and passes a max
    [InlineData(true, "-100000000000000000000", false, 0)]
    [InlineData(false, "-100000000000000000000", false, 4)]
    public async Task A_decimal_bound_on_an_int_column_compares_by_value(bool isMin, string bound, bool inclusive, long failing)
    {
        var b = decimal.Parse(bound, System.Globalization.CultureInfo.InvariantCulture);
        ContractCheck check = isMin
            ? new MinCheck("qty", b, inclusive) { Name = "bound", Severity = CheckSeverity.Error }
            : new MaxCheck("qty", b, inclusive) { Name = "bound", Severity = CheckSeverity.Error };
        var contract = ContractFixtures.SalesContract("") with { Checks = [check] };
        var file = await _fx.WriteSalesAsync("2024-03-01",
            [Row with { Qty = null }, Row with { Qty = 0 }, Row with { Qty = 1 }, Row with { Qty = 2 }, Row with { Qty = 3 }]);

        var result = (await RunAsync(contract, file)).Checks.Single(c => c.Name == "bound");

        Assert.Equal(failing, result.FailingCount);
        Assert.Equal(5, result.RowsChecked);
    }

    private const string NumbersContract = """
        dataset: numbers
        version: "1"
        columns:
          - {name: n, type: int32, nullable: true}
          - {name: id, type: int64, nullable: true}
          - {name: price, type: "decimal(18,2)", nullable: true}
          - {name: ts, type: timestamp, nullable: true}
        checks:
          - {name: n_min, column: n, min: 2}
          - {name: n_not_null, column: n, not_null: true}
          - {name: n_accepted, column: n, accepted_values: [1, 3]}
          - {name: n_below_id, compare: {left: n, op: "<", right: id}}
          - {name: n_below_price, compare: {left: n, op: "<", right: price}}
          - {name: id_unique, column: id, unique: true}
          - {name: price_max, column: price, max: 2.5}
          - {name: ts_max, column: ts, max: "2024-01-02T00:00:00Z"}
          - {name: id_known, column: id, references: {dataset: users, column: user_id}}
        """;

    private static readonly DateTime Day1 = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Required_and_optional_columns_of_one_type_are_judged_alike()
    {
        var contract = ContractLoader.Parse(NumbersContract, "numbers.yaml");
        await _fx.WriteUsersAsync(1, 2, 3);
        var required = await _fx.WriteColumnsAsync("numbers/required.parquet",
            new ParquetSchema(new DataField<int>("n", false), new DataField<long>("id", false),
                new DecimalDataField("price", 18, 2, isNullable: false),
                new DateTimeDataField("ts", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: false)),
            new[] { 1, 2, 3, 4 }, new long[] { 1, 1, 5, 5 }, new[] { 1m, 2.5m, 3m, 2.51m },
            new[] { Day1, Day1.AddDays(1), Day1.AddDays(1).AddTicks(10), Day1 });
        var optional = await _fx.WriteColumnsAsync("numbers/optional.parquet",
            new ParquetSchema(new DataField<int?>("n", true), new DataField<long?>("id", true),
                new DecimalDataField("price", 18, 2, isNullable: true),
                new DateTimeDataField("ts", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: true)),
            new int?[] { 1, 2, 3, 4, null }, new long?[] { 1, 1, 5, 5, null }, new decimal?[] { 1m, 2.5m, 3m, 2.51m, null },
            new DateTime?[] { Day1, Day1.AddDays(1), Day1.AddDays(1).AddTicks(10), Day1, null });

        var r = await RunAsync(contract, required);
        var o = await RunAsync(contract, optional);

        var expected = new Dictionary<string, long>
        {
            ["n_min"] = 1, // 1
            ["n_not_null"] = 0,
            ["n_accepted"] = 2, // 2, 4
            ["n_below_id"] = 2, // 1 < 1, 2 < 1
            ["n_below_price"] = 3, // 1 < 1, 3 < 3, 4 < 2.51
            ["id_unique"] = 2, // the second 1 and 5
            ["price_max"] = 2, // 3, 2.51
            ["ts_max"] = 1, // one tick after midnight … as micros: the 10 ticks are 1 µs
            ["id_known"] = 2, // 5, 5
        };
        foreach (var (name, failing) in expected)
        {
            Assert.Equal((name, failing), (name, r.Checks.Single(c => c.Name == name).FailingCount));
            long optionalFailing = name == "n_not_null" ? 1 : failing; // the null row passes every other check
            Assert.Equal((name, optionalFailing), (name, o.Checks.Single(c => c.Name == name).FailingCount));
        }

        Assert.Equal(["n=null, id=null, price=null, ts=null"], o.Checks.Single(c => c.Name == "n_not_null").Samples);
        Assert.Equal("n=3, id=5, price=3.00, ts=2024-01-02T00:00:00.000001Z", r.Checks.Single(c => c.Name == "price_max").Samples[0]);
    }

    [Fact]
    public void Pattern_memo_stops_growing_at_its_capacity_and_still_judges_every_value()
    {
        var field = new DataField<string>("code", true);
        var values = Enumerable.Range(0, 100).Select(i => i % 10 == 0 ? null : i % 3 == 0 ? $"x{i}" : $"A{i}").ToArray();
        var batch = new RowBatch(new DatasetFile("mem.parquet", new Dictionary<string, string>()), [field], [values], values.Length, []);
        var evaluator = new PatternEvaluator(new PatternCheck("code", new Regex("^A")) { Name = "p", Severity = CheckSeverity.Error }, memoCapacity: 5);

        var failing = evaluator.Evaluate(batch, null, values.Length).ToList();
        var expected = Enumerable.Range(0, 100).Where(i => values[i] is { } v && !v.StartsWith('A')).ToList();
        Assert.Equal(expected, failing);
        Assert.Equal(5, evaluator.MemoCount);

        // A second pass over the same values, now mostly not remembered, judges the same.
        Assert.Equal(expected, evaluator.Evaluate(batch, null, values.Length).ToList());
        Assert.Equal(5, evaluator.MemoCount);
        Assert.Equal(2L * expected.Count, evaluator.Failing);
    }

    [Fact]
    public void Pattern_memo_holds_each_distinct_value_once()
    {
        var field = new DataField<string>("currency", true);
        string?[] values = ["EUR", "USD", "eur", "EUR", null, "usd", "EUR", "GBP"];
        var batch = new RowBatch(new DatasetFile("mem.parquet", new Dictionary<string, string>()), [field], [values], values.Length, []);
        var evaluator = new PatternEvaluator(new PatternCheck("currency", new Regex("^[A-Z]{3}$")) { Name = "p", Severity = CheckSeverity.Error });

        Assert.Equal(new[] { 2, 5 }, evaluator.Evaluate(batch, null, values.Length));
        Assert.Equal(5, evaluator.MemoCount);
    }

    [Fact]
    public async Task Unique_within_dt_keeps_each_day_apart_until_its_last_file()
    {
        var contract = ContractFixtures.SalesContract("- name: once_a_day\n  column: order_id\n  unique: true\n  within: [dt]");
        var day1a = await _fx.WriteSalesAsync("2024-03-01", [Row with { OrderId = "o-1" }, Row with { OrderId = "o-2" }, Row with { OrderId = null }]);
        var day2 = await _fx.WriteSalesAsync("2024-03-02", [Row with { OrderId = "o-1" }, Row with { OrderId = null }, Row with { OrderId = "o-2", UserId = 7 }]);
        var day1b = await _fx.WriteSalesAsync("2024-03-01",
            [Row with { OrderId = "o-3" }, Row with { OrderId = "o-2", UserId = 8 }, Row with { OrderId = null, UserId = 9 }], name: "part-1.parquet");

        // Day 1's keys outlive the day-2 file between its two files; day 2 starts from an empty key set.
        var result = (await RunAsync(contract, day1a, day2, day1b)).Checks.Single(c => c.Name == "once_a_day");

        Assert.Equal(2, result.FailingCount); // o-2 and the second null on day 1
        Assert.Equal(9, result.RowsChecked);
        Assert.StartsWith("dt=2024-03-01, order_id=\"o-2\", user_id=8, ", result.Samples[0]);
        Assert.StartsWith("dt=2024-03-01, order_id=null, user_id=9, ", result.Samples[1]);
    }

    [Fact]
    public async Task Unique_without_within_ignores_null_keys_and_spans_files()
    {
        var contract = ContractFixtures.SalesContract("- name: once\n  column: order_id\n  unique: true");
        var a = await _fx.WriteSalesAsync("2024-03-01", [Row with { OrderId = null }, Row with { OrderId = "o-1" }, Row with { OrderId = null }]);
        var b = await _fx.WriteSalesAsync("2024-03-02", [Row with { OrderId = "o-1" }, Row with { OrderId = "o-2" }]);

        var result = (await RunAsync(contract, a, b)).Checks.Single(c => c.Name == "once");

        Assert.Equal(1, result.FailingCount);
        Assert.StartsWith("dt=2024-03-02, order_id=\"o-1\", ", Assert.Single(result.Samples));
    }

    [Fact]
    public async Task A_sample_in_a_later_row_group_renders_every_column_of_its_row()
    {
        var contract = ContractFixtures.SalesContract("- name: arrival_after_event\n  compare: {left: arrival_ts, op: \">=\", right: event_ts}");
        var rows = Enumerable.Range(0, 10).Select(i => Row with
        {
            OrderId = $"o-{i}",
            UserId = i,
            ArrivalTs = i == 6 ? Row.EventTs.AddHours(-1) : Row.ArrivalTs,
        }).ToArray();
        var file = await _fx.WriteSalesAsync("2024-03-01", rows, rowGroupSize: 4);

        var result = (await RunAsync(contract, file)).Checks.Single(c => c.Name == "arrival_after_event");

        Assert.Equal(1, result.FailingCount);
        Assert.Equal(
            "dt=2024-03-01, order_id=\"o-6\", user_id=6, event_ts=2024-03-01T10:00:00Z, arrival_ts=2024-03-01T09:00:00Z, qty=2, " +
            "unit_price=9.99, total_price=19.98, currency=\"EUR\", sku=\"sku-1\", channel=\"web\", country=\"DE\", segment=\"retail\", " +
            "signup_date=2023-01-15, source_key=\"landing/2024-03-01/part-0.jsonl\"",
            Assert.Single(result.Samples));
    }

    [Fact]
    public async Task Quarantine_in_a_later_row_group_copies_the_earlier_ones_unchanged()
    {
        var contract = ContractFixtures.SalesContract(
            "- name: channel_known\n  column: channel\n  accepted_values: [web]\n  severity: quarantine", "max_quarantined_fraction: 0.5");
        var rows = Enumerable.Range(0, 10).Select(i => Row with { OrderId = $"o-{i}", Channel = i is 5 or 6 ? "fax" : "web" }).ToArray();
        var dirty = await _fx.WriteSalesAsync("2024-03-01", rows, rowGroupSize: 4);
        var clean = await _fx.WriteSalesAsync("2024-03-02", [Row]);

        var report = await RunAsync(contract, dirty, clean);

        Assert.True(report.Passed, report.ToConsoleText());
        Assert.Equal(2, report.RowsQuarantined);
        var filtered = report.FilesToPublish[0].Path;
        Assert.Equal(Path.Combine(_fx.Output, "dt=2024-03-01", "part-0.parquet"), filtered);
        Assert.Equal(["o-0", "o-1", "o-2", "o-3", "o-4", "o-7", "o-8", "o-9"], await ContractFixtures.ReadStringColumnAsync(filtered, "order_id"));
        await using (var reader = await ParquetReader.CreateAsync(filtered))
        {
            Assert.Equal(3, reader.RowGroupCount);
            Assert.Equal([4L, 2L, 2L], Enumerable.Range(0, 3).Select(g => reader.OpenRowGroupReader(g).RowCount));
        }

        // The clean file is published as it is; its output folder exists, empty, as before.
        Assert.Equal(clean, report.FilesToPublish[1]);
        Assert.Empty(Directory.GetFiles(Path.Combine(_fx.Output, "dt=2024-03-02")));

        var lines = File.ReadAllLines(report.QuarantineFile!).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([5L, 6L], lines.Select(l => l.GetProperty("_source_row").GetInt64()));
        Assert.Equal("channel_known: channel=\"fax\"", lines[0].GetProperty("_reason").GetString());
        Assert.Equal("o-5", lines[0].GetProperty("order_id").GetString());
        Assert.Equal("landing/2024-03-01/part-0.jsonl", lines[1].GetProperty("source_key").GetString());
    }
}
