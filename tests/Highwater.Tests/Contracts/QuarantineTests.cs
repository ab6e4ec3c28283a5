using System.Text.Json;
using Highwater.Pipeline;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.QualityGate;
using Parquet;
using Xunit;

namespace Highwater.Tests.Contracts;

public sealed class QuarantineTests : IDisposable
{
    private readonly ContractFixtures _fx = new();

    public void Dispose() => _fx.Dispose();

    private static readonly SalesRow Row = new();

    private const string QuarantineQty = """
        - name: qty_positive
          column: qty
          min: 1
          severity: quarantine
        - name: one_order_per_day
          column: order_id
          unique: true
          within: [dt]
        """;

    [Fact]
    public async Task Quarantined_rows_are_removed_from_a_filtered_copy_and_written_as_ndjson()
    {
        var contract = ContractFixtures.SalesContract(QuarantineQty, "max_quarantined_fraction: 0.5");
        var dirty = await _fx.WriteSalesAsync("2024-03-01",
            [Row with { OrderId = "a" }, Row with { OrderId = "b", Qty = 0 }, Row with { OrderId = "c" }, Row with { OrderId = "d" }], rowGroupSize: 2);
        var clean = await _fx.WriteSalesAsync("2024-03-02", [Row with { OrderId = "e" }]);

        var report = await new ContractGate().EvaluateAsync(contract, [dirty, clean], _fx.Context("run-7"), CancellationToken.None);

        Assert.True(report.Passed, report.ToConsoleText());
        Assert.Equal(5, report.RowsChecked);
        Assert.Equal(1, report.RowsQuarantined);

        // The dirty file is replaced by a filtered copy under the same partition folder; the clean one is published as is.
        Assert.Equal(2, report.FilesToPublish.Count);
        var filtered = report.FilesToPublish[0];
        Assert.Equal(Path.Combine(_fx.Output, "dt=2024-03-01", "part-0.parquet"), filtered.Path);
        Assert.Equal("2024-03-01", filtered.PartitionValues["dt"]);
        Assert.Equal(clean, report.FilesToPublish[1]);
        Assert.Equal(["a", "c", "d"], await ContractFixtures.ReadStringColumnAsync(filtered.Path, "order_id"));
        await using (var reader = await ParquetReader.CreateAsync(filtered.Path))
        await using (var original = await ParquetReader.CreateAsync(dirty.Path))
            Assert.True(original.Schema.Equals(reader.Schema));

        // The quarantined row, with its reason.
        Assert.Equal(Path.Combine(_fx.Quarantine, "sales_mart", "run-7.ndjson"), report.QuarantineFile);
        var line = Assert.Single(File.ReadAllLines(report.QuarantineFile!));
        using var json = JsonDocument.Parse(line);
        Assert.Equal("2024-03-01", json.RootElement.GetProperty("dt").GetString());
        Assert.Equal("b", json.RootElement.GetProperty("order_id").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("qty").GetInt32());
        Assert.Equal(9.99m, json.RootElement.GetProperty("unit_price").GetDecimal());
        Assert.Equal("2024-03-01T10:00:00Z", json.RootElement.GetProperty("event_ts").GetString());
        Assert.Equal("qty_positive: qty=0", json.RootElement.GetProperty("_reason").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("_source_row").GetInt64());
        Assert.Equal("run-7", json.RootElement.GetProperty("_run_id").GetString());

        var check = report.Checks.Single(c => c.Name == "qty_positive");
        Assert.Equal(CheckStatus.Warn, check.Status);
        Assert.Equal(1, check.RowsQuarantined);
        Assert.Equal(5, check.RowsChecked);
        Assert.Equal(4, report.Checks.Single(c => c.Name == "one_order_per_day").RowsChecked);
    }

    [Fact]
    public async Task Without_quarantined_rows_the_input_files_are_published_unchanged()
    {
        var contract = ContractFixtures.SalesContract(QuarantineQty);
        var file = await _fx.WriteSalesAsync("2024-03-01", [Row with { OrderId = "a" }, Row with { OrderId = "b" }]);
        var report = await new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None);

        Assert.True(report.Passed);
        Assert.Equal([file], report.FilesToPublish);
        Assert.Null(report.QuarantineFile);
        Assert.False(File.Exists(Path.Combine(_fx.Output, "dt=2024-03-01", "part-0.parquet")));
        Assert.False(Directory.Exists(Path.Combine(_fx.Quarantine, "sales_mart")));
    }

    [Fact]
    public async Task Quarantined_rows_are_not_seen_by_other_checks()
    {
        // The duplicate "a" has qty 0 and is quarantined, so the unique check sees no duplicate.
        var contract = ContractFixtures.SalesContract(QuarantineQty, "max_quarantined_fraction: 0.5");
        var file = await _fx.WriteSalesAsync("2024-03-01", [Row with { OrderId = "a" }, Row with { OrderId = "a", Qty = 0 }]);
        var report = await new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, report.Checks.Single(c => c.Name == "one_order_per_day").Status);
    }

    [Fact]
    public async Task A_row_failing_several_quarantine_checks_lists_every_reason()
    {
        var contract = ContractFixtures.SalesContract("""
            - {name: qty_positive, column: qty, min: 1, severity: quarantine}
            - {name: currency_code, column: currency, pattern: '^[A-Z]{3}$', severity: quarantine}
            """, "max_quarantined_fraction: 1");
        var file = await _fx.WriteSalesAsync("2024-03-01", [Row with { Qty = -1, Currency = "euro" }]);
        var report = await new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None);
        using var json = JsonDocument.Parse(File.ReadAllLines(report.QuarantineFile!).Single());
        Assert.Equal("qty_positive: qty=-1; currency_code: currency=\"euro\"", json.RootElement.GetProperty("_reason").GetString());
        Assert.Equal(1, report.RowsQuarantined);
    }

    [Theory]
    [InlineData("0.25", 1, true)]   // 1 of 4 = 0.25: at the limit
    [InlineData("0.25", 2, false)]  // 2 of 4 = 0.5
    [InlineData("0", 1, false)]
    [InlineData("0", 0, true)]
    public async Task Gate_fails_when_the_quarantined_fraction_exceeds_the_maximum(string max, int bad, bool passes)
    {
        var contract = ContractFixtures.SalesContract(QuarantineQty, $"max_quarantined_fraction: {max}");
        var rows = Enumerable.Range(0, 4).Select(i => Row with { OrderId = $"o{i}", Qty = i < bad ? 0 : 1 }).ToArray();
        var file = await _fx.WriteSalesAsync("2024-03-01", rows);
        var report = await new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None);

        Assert.Equal(passes, report.Passed);
        var fraction = report.Checks[^1];
        Assert.Equal("max_quarantined_fraction", fraction.Name);
        Assert.Equal(passes ? CheckStatus.Pass : CheckStatus.Fail, fraction.Status);
        Assert.Equal(bad, report.RowsQuarantined);
        if (!passes)
        {
            var e = Assert.Throws<GateFailedException>(() => report.EnsurePassed());
            Assert.Contains("max_quarantined_fraction", e.Message);
        }
    }

    [Fact]
    public async Task Default_maximum_is_five_percent()
    {
        var contract = ContractFixtures.SalesContract(QuarantineQty);
        var rows = Enumerable.Range(0, 20).Select(i => Row with { OrderId = $"o{i}", Qty = i == 0 ? 0 : 1 }).ToArray();
        var file = await _fx.WriteSalesAsync("2024-03-01", rows);
        Assert.True((await new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None)).Passed);

        var more = await _fx.WriteSalesAsync("2024-03-01", rows.Select((r, i) => i < 2 ? r with { Qty = 0 } : r).ToArray(), name: "part-1.parquet");
        Assert.False((await new ContractGate().EvaluateAsync(contract, [more], _fx.Context(), CancellationToken.None)).Passed);
    }

    [Fact]
    public async Task Quarantine_checks_need_output_folders()
    {
        var contract = ContractFixtures.SalesContract(QuarantineQty);
        var file = await _fx.WriteSalesAsync("2024-03-01", [Row]);
        var e = await Assert.ThrowsAsync<ConfigurationException>(() =>
            new ContractGate().EvaluateAsync(contract, [file], new GateContext(ContractFixtures.RunTime, "r"), CancellationToken.None));
        Assert.Contains("qty_positive", e.Message);
    }

    [Fact]
    public async Task A_file_with_every_row_quarantined_is_published_as_an_empty_file()
    {
        var contract = ContractFixtures.SalesContract(QuarantineQty, "max_quarantined_fraction: 1");
        var file = await _fx.WriteSalesAsync("2024-03-01", [Row with { Qty = 0 }]);
        var report = await new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None);
        var published = Assert.Single(report.FilesToPublish);
        Assert.Empty(await ContractFixtures.ReadStringColumnAsync(published.Path, "order_id"));
    }
}
