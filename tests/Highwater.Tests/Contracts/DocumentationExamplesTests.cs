using System.Text.RegularExpressions;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Contracts;

/// <summary>Every YAML example in docs/contracts.md loads, so the documentation cannot drift from the loader.</summary>
public sealed class DocumentationExamplesTests
{
    public static TheoryData<int, string> YamlExamples()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", "contracts.md"));
        var data = new TheoryData<int, string>();
        int i = 0;
        foreach (Match m in Regex.Matches(doc, "```yaml\n(.*?)```", RegexOptions.Singleline))
            data.Add(i++, m.Groups[1].Value);
        return data;
    }

    [Fact]
    public void The_documentation_has_an_example_for_every_check_type()
    {
        var examples = YamlExamples().Select(row => (string)row[1]).ToList();
        foreach (var type in new[] { "not_null", "unique", "accepted_values", "min", "max", "pattern", "length", "row_count", "freshness", "references", "compare" })
            Assert.Contains(examples, e => Regex.IsMatch(e, $@"(^|\s|-\s){type}:", RegexOptions.Multiline));
    }

    [Theory]
    [MemberData(nameof(YamlExamples))]
    public void Yaml_example_loads(int index, string yaml)
    {
        Assert.True(index >= 0);
        if (yaml.StartsWith("- ", StringComparison.Ordinal))
        {
            var contract = ContractFixtures.SalesContract(yaml.TrimEnd());
            Assert.NotEmpty(contract.Checks);
            foreach (var check in contract.Checks.OfType<ReferencesCheck>())
                Assert.Equal("users", check.ReferencedDataset);
        }
        else
        {
            var contract = ContractLoader.Parse(yaml, "docs/contracts.md");
            Assert.Equal("sales_mart", contract.Dataset);
        }
    }
}
