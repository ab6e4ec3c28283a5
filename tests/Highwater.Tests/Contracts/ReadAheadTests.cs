using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.QualityGate;
using Xunit;

namespace Highwater.Tests.Contracts;

/// <summary>
/// The gate decodes row groups ahead on other threads, in arrays reused from row group to row group; the report, the
/// samples, the quarantine and the filtered files must be exactly those of a pass that reads one row group at a time
/// and scans every row (no check settled by footer statistics).
/// </summary>
public sealed class ReadAheadTests : IDisposable
{
    private readonly ContractFixtures _fx = new();

    public void Dispose() => _fx.Dispose();

    private const string Checks = """
        - name: order_id_not_null
          column: order_id
          not_null: true
        - name: order_id_unique_per_day
          column: order_id
          unique: true
          within: [dt]
        - name: qty_at_least_1
          column: qty
          min: 1
        - name: unit_price_not_negative
          column: unit_price
          min: 0
        - name: currency_iso_code
          column: currency
          pattern: '^[A-Z]{3}$'
        - name: channel_known
          column: channel
          accepted_values: [web, app, store, marketplace]
          severity: quarantine
        - name: arrival_after_event
          compare: {left: arrival_ts, op: ">=", right: event_ts}
          severity: warn
        - name: user_exists
          column: user_id
          references: {dataset: users, column: user_id}
          severity: quarantine
        """;

    /// <summary>Rows with failures of every check scattered over files and row groups (row groups of 1,024 rows are pooled).</summary>
    private static List<SalesRow> Rows(int day, int count)
    {
        var row = new SalesRow();
        return Enumerable.Range(0, count).Select(i => row with
        {
            OrderId = i % 997 == 5 ? null : i % 613 == 7 ? $"O-{day}-{i - 1}" : $"O-{day}-{i}",
            UserId = i % 809 == 3 ? 900_000 + i : 1 + i % 5_000,
            EventTs = new DateTime(2024, 3, day, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i * 7),
            ArrivalTs = new DateTime(2024, 3, day, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i * 7 + (i % 701 == 11 ? -60 : 30)),
            Qty = i % 401 == 9 ? 0 : i % 523 == 1 ? null : 1 + i % 4,
            UnitPrice = i % 919 == 2 ? -1m : 1.5m + i % 10,
            Currency = i % 853 == 4 ? "eur" : (i % 3) switch { 0 => "EUR", 1 => "USD", _ => "GBP" },
            Channel = i % 677 == 8 ? "fax" : i % 2 == 0 ? "web" : "app",
            Sku = $"sku-{i % 50}",
        }).ToList();
    }

    [Fact]
    public async Task Reading_ahead_gives_the_report_quarantine_and_filtered_files_of_a_one_at_a_time_pass()
    {
        var contract = ContractFixtures.SalesContract(Checks, "max_quarantined_fraction: 0.5");
        await _fx.WriteUsersAsync(Enumerable.Range(1, 5_000).Select(i => (long)i).ToArray());
        var files = new List<DatasetFile>
        {
            await _fx.WriteSalesAsync("2024-03-01", Rows(1, 3_000), rowGroupSize: 1_024),
            await _fx.WriteSalesAsync("2024-03-02", Rows(2, 2_500), rowGroupSize: 1_024),
            // A second file of day 1: its duplicates of the first file's order_ids fail.
            await _fx.WriteSalesAsync("2024-03-01", Rows(1, 2_100).Skip(900).ToList(), rowGroupSize: 1_024, name: "part-1.parquet"),
            await _fx.WriteSalesAsync("2024-03-03", Rows(3, 1_024), rowGroupSize: 1_024),
        };

        var sequential = await _fx.RunGateAsync(contract, files, new ContractGate { Lookahead = 1, ReuseColumnArrays = false, UseStatistics = false }, "seq");
        var ahead = await _fx.RunGateAsync(contract, files, new ContractGate { Lookahead = 4 }, "ahead");

        Assert.False(sequential.Report.Passed);
        Assert.All(sequential.Report.Checks.Where(c => c.Type is not ("schema" or "quarantined_fraction")), c => Assert.True(c.FailingCount > 0, c.Name));
        ContractFixtures.AssertSameRun(sequential, ahead);
        Assert.Contains(sequential.Outputs.Keys, k => k.EndsWith(".ndjson", StringComparison.Ordinal));
        Assert.Equal(4, sequential.Outputs.Keys.Count(k => k.EndsWith(".parquet", StringComparison.Ordinal)));
    }
}

public sealed class ColumnBufferPoolTests
{
    [Fact]
    public void Arrays_of_the_longest_length_come_back_cleared_where_they_held_references_or_nullables()
    {
        var pool = new ColumnBufferPool();
        var strings = pool.Rent<string?>(2_048);
        var decimals = pool.Rent<decimal?>(2_048);
        strings[7] = "x";
        decimals[9] = 1m;
        pool.Return(strings);
        pool.Return(decimals);

        var again = pool.Rent<string?>(2_048);
        var againDecimals = pool.Rent<decimal?>(2_048);

        Assert.Same(strings, again);
        Assert.Null(again[7]);
        Assert.Same(decimals, againDecimals);
        Assert.Null(againDecimals[9]);
        Assert.NotSame(again, pool.Rent<string?>(2_048)); // handed out once
    }

    [Fact]
    public void Shorter_arrays_are_not_kept_and_a_cleared_rent_is_cleared()
    {
        var pool = new ColumnBufferPool();
        var full = pool.Rent<long>(4_096);
        var last = pool.Rent<long>(3_000); // a file's last row group
        pool.Return(last);
        Assert.NotSame(last, pool.Rent<long>(3_000));

        var mask = pool.Rent<bool>(4_096);
        mask[5] = true;
        pool.Return(mask);
        var cleared = pool.RentCleared<bool>(4_096);
        Assert.Same(mask, cleared);
        Assert.False(cleared[5]);
        Assert.Equal(4_096, full.Length);
    }
}
