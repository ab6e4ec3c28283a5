using System.Diagnostics;
using System.Text.RegularExpressions;
using Highwater.Cli;
using Highwater.Pipeline;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.QualityGate;
using Highwater.Tests.Contracts;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Values;

/// <summary>
/// Contracts that cannot hang or exhaust the gate: patterns match in linear time (constructs that need backtracking
/// are refused at load, naming file, line and column), a timeout is reported as one, and a contract file has a size cap.
/// </summary>
public sealed class HostileContractTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private readonly PipelineHarness _h = new();
    private readonly ContractFixtures _fx = new();

    private static DateTime At(DateOnly day, int hour) => day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);

    private async Task<PublishedWarehouse> PublishBaselineAsync()
    {
        EventFixtures.Land(_h.Landing, Day1, "base.json", [EventFixtures.Event("B-1", 1001, At(Day1, 8), At(Day1, 9), 2, 1.50m)]);
        var first = await _h.CliAsync("run");
        Assert.True(first.Code == 0, first.Err);
        return PublishedWarehouse.Of(_h.WarehouseRoot);
    }

    [Fact]
    public async Task A_catastrophic_pattern_over_10000_hostile_values_fails_the_gate_in_seconds_not_hours()
    {
        var before = await PublishBaselineAsync();
        // Each value takes a backtracking engine ~2^28 steps (the 1 s timeout, each): about 3 hours in all.
        EventFixtures.Land(_h.Landing, Day2, "hostile.json", Enumerable.Range(0, 10_000).Select(i =>
            EventFixtures.Event($"H-{i:D5}", 1001, At(Day2, 8), At(Day2, 9), 1, 1.00m, sku: new string('a', 28) + "!" + i)));
        _h.ContractsOverride = _h.CopyContracts("  - name: sku_all_a\n    column: sku\n    pattern: '^(a+)+$'\n");

        var clock = Stopwatch.StartNew();
        var run = await _h.CliAsync("run");
        clock.Stop();

        Assert.Equal(ExitCodes.QualityGateFailed, run.Code);
        Assert.Contains("sku_all_a", run.Out + run.Err);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the run took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(before, PublishedWarehouse.Of(_h.WarehouseRoot));
    }

    [Theory]
    [InlineData(@"^(a)\1$", "backreference")]
    [InlineData(@"^(?=a)a$", "lookaround")]
    [InlineData(@"^a(?<!b)$", "lookaround")]
    [InlineData(@"^(?>a+)$", "atomic")]
    [InlineData(@"^(?(a)a|b)$", "conditional")]
    public void A_pattern_linear_matching_cannot_run_is_refused_at_load_naming_file_line_and_column(string pattern, string construct)
    {
        var yaml = ContractFixtures.SalesYaml($"- column: sku\n  pattern: '{pattern}'");
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.Parse(yaml, "contracts/sales_mart.yaml"));
        var line = yaml.Split('\n').ToList().FindIndex(l => l.Contains("pattern:")) + 1;
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"contracts/sales_mart.yaml:{line}:{e.Column}: pattern '{pattern}' uses a construct linear-time matching cannot run", e.Message);
        Assert.Contains(construct, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_refused_pattern_exits_2_before_anything_is_published()
    {
        var before = await PublishBaselineAsync();
        EventFixtures.Land(_h.Landing, Day2, "a.json", [EventFixtures.Event("O-1", 1001, At(Day2, 8), At(Day2, 9), 1, 1.00m)]);
        _h.ContractsOverride = _h.CopyContracts("  - name: sku_twice\n    column: sku\n    pattern: '^(.)\\1$'\n");

        var run = await _h.CliAsync("run");

        Assert.Equal(ExitCodes.Configuration, run.Code);
        Assert.Matches(@"sales_mart\.yaml:\d+:\d+: pattern '\^\(\.\)\\1\$' uses a construct linear-time matching cannot run", run.Err);
        Assert.Equal(before, PublishedWarehouse.Of(_h.WarehouseRoot));
    }

    [Fact]
    public async Task A_match_that_times_out_fails_the_gate_as_a_timeout_not_as_a_failing_row()
    {
        var contract = ContractFixtures.SalesContract("- name: sku_shape\n  column: sku\n  pattern: '^[a-z]+-[0-9]+$'");
        // The same pattern with a timeout no match of a long value can meet.
        var slow = contract with
        {
            Checks = [.. contract.Checks.Select(c => c is PatternCheck p ? p with { Regex = new Regex(p.Regex.ToString(), PatternCheck.Options, TimeSpan.FromTicks(1)) } : c)],
        };
        var file = await _fx.WriteSalesAsync("2024-03-01", [new SalesRow { Sku = new string('a', 2_000_000) + "-1" }]);

        var e = await Assert.ThrowsAsync<DataException>(() => new ContractGate().EvaluateAsync(slow, [file], _fx.Context(), CancellationToken.None));

        Assert.Contains("check 'sku_shape': pattern '^[a-z]+-[0-9]+$' timed out after", e.Message);
        Assert.Contains("on a sku value of 2,000,002 characters", e.Message);
        Assert.Equal(ExitCodes.Data, HighwaterCommand.Classify(e).Code);
    }

    [Fact]
    public async Task A_contract_file_over_the_cap_exits_2_naming_the_file_and_the_cap()
    {
        var before = await PublishBaselineAsync();
        EventFixtures.Land(_h.Landing, Day2, "a.json", [EventFixtures.Event("O-1", 1001, At(Day2, 8), At(Day2, 9), 1, 1.00m)]);
        var dir = _h.CopyContracts("");
        var big = Path.Combine(dir, "sales_mart.yaml");
        using (var f = File.Open(big, FileMode.Append)) f.Write(new byte[ContractLoader.MaxFileBytes]); // the cap, plus the file's own bytes
        _h.ContractsOverride = dir;

        var run = await _h.CliAsync("run");

        Assert.Equal(ExitCodes.Configuration, run.Code);
        Assert.Contains($"data contract '{big}' is {new FileInfo(big).Length:N0} bytes; a contract file may hold at most 1,048,576 bytes (1 MiB)", run.Err);
        Assert.Equal(before, PublishedWarehouse.Of(_h.WarehouseRoot));
    }

    public void Dispose()
    {
        _fx.Dispose();
        _h.Dispose();
    }
}
