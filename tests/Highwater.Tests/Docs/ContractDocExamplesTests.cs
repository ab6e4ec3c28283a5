using Highwater.Contracts;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Docs;

/// <summary>The contract examples in docs/contracts.md are real: they load with the contract loader as written.</summary>
public sealed class ContractDocExamplesTests
{
    [Fact]
    public void Every_check_example_in_the_contracts_doc_loads()
    {
        var doc = File.ReadAllText(RepoRoot.Combine("docs", "contracts.md"));
        var section = doc[doc.IndexOf("One example per check type", StringComparison.Ordinal)..];
        var start = section.IndexOf("```yaml\n", StringComparison.Ordinal) + 8;
        var checks = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];

        var sales = File.ReadAllText(RepoRoot.Combine("data-contracts", "sales_mart.yaml"));
        var header = sales[..sales.IndexOf("\nchecks:", StringComparison.Ordinal)];
        var contract = ContractLoader.Parse(header + "\n" + checks, "docs/contracts.md");

        var types = contract.Checks.Select(c => c.Type).ToHashSet();
        foreach (var type in new[] { "not_null", "unique", "accepted_values", "min", "max", "pattern", "length", "row_count", "freshness", "references", "compare" })
            Assert.Contains(type, types);
        Assert.Equal(CheckSeverity.Quarantine, contract.Checks.Single(c => c.Type == "compare").Severity);
    }
}
