using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.EndToEnd;

/// <summary>
/// data-contracts/ is the one place that says what good data is: editing only a YAML file tightens or
/// loosens the gate, and ValidateContracts reports a malformed contract with file, line and column.
/// </summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "build.sh")]
[Collection(BuildScriptCollection.Name)]
public sealed class ContractEditTests : IDisposable
{
    private readonly TempFolder _temp = new("contracts");
    private readonly string _contracts;

    public ContractEditTests()
    {
        _contracts = _temp.Combine("data-contracts");
        TempFolder.CopyDirectory(RepoRoot.Combine("data-contracts"), _contracts);
    }

    private BuildScript.Result Run(string target) => BuildScript.Run(
        $"--target={target}", $"--landing={RepoRoot.Combine("samples", "landing")}", $"--users={RepoRoot.Combine("samples", "users")}",
        $"--warehouse={_temp.Combine("warehouse")}", $"--work={_temp.Combine("work")}", $"--contracts={_contracts}");

    [Fact]
    public void Tightening_a_rule_in_yaml_halts_the_sample_run_and_loosening_it_lets_it_publish()
    {
        var martContract = Path.Combine(_contracts, "sales_mart.yaml");
        var original = File.ReadAllText(martContract);
        Assert.Contains("min: 1", original);
        File.WriteAllText(martContract, original.Replace("    column: qty\n    min: 1", "    column: qty\n    min: 3"));

        var halted = Run("PublishMart");
        Assert.Equal(3, halted.ExitCode);
        Assert.Contains("qty_at_least_1", halted.Output);
        Assert.False(Directory.Exists(_temp.Combine("warehouse", "gold")), halted.ToString());
        Assert.False(File.Exists(_temp.Combine("warehouse", "_highwater", "manifest.json")));

        File.WriteAllText(martContract, original);
        var published = Run("PublishMart");
        Assert.True(published.ExitCode == 0, published.ToString());
        Assert.True(Directory.Exists(_temp.Combine("warehouse", "gold", "sales_mart", "dt=2026-01-25")));
    }

    [Fact]
    public void ValidateContracts_reports_a_malformed_contract_with_file_line_and_column()
    {
        var path = Path.Combine(_contracts, "kpi_daily.yaml");
        var lines = File.ReadAllLines(path).ToList();
        var at = lines.FindIndex(l => l.TrimStart().StartsWith("- name:", StringComparison.Ordinal));
        Assert.True(at > 0);
        lines.Insert(at + 1, "    not_nul: true");
        File.WriteAllLines(path, lines);

        var result = Run("ValidateContracts");
        Assert.Equal(2, result.ExitCode);
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(path)}:{at + 2}:\d+", result.Output);
        Assert.Contains("not_nul", result.Output);

        var ok = BuildScript.Run("--target=ValidateContracts");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("4 contract(s) valid", ok.Output);
    }

    public void Dispose() => _temp.Dispose();
}
