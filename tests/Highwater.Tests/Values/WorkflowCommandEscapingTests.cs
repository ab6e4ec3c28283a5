using CsCheck;
using Highwater.Cli;
using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.QualityGate;
using Highwater.Tests.Contracts;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Values;

/// <summary>
/// A landed value cannot become a GitHub Actions workflow command: everything we print (console, stderr, step summary
/// Markdown, annotations) escapes values as GitHub documents, so no printed line starts with <c>::</c> unless we meant it.
/// </summary>
public sealed class WorkflowCommandEscapingTests : IDisposable
{
    private const string Hostile = "x\n::warning title=pwned::owned\r\n::add-mask::secret\n::stop-commands::tok\n100%";
    private static readonly DateOnly Day1 = new(2026, 1, 25);
    private static readonly DateOnly Day2 = new(2026, 1, 26);
    private readonly PipelineHarness _h = new();
    private readonly ContractFixtures _fx = new();

    private static DateTime At(DateOnly day, int hour) => day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);

    /// <summary>Lines a runner would read as commands: after leading whitespace, starting with "::".</summary>
    private static List<string> Commands(string output) =>
        output.Split('\n').Select(l => l.TrimStart()).Where(l => l.StartsWith("::", StringComparison.Ordinal)).ToList();

    [Fact]
    public void Data_and_property_escape_as_github_documents_and_read_back()
    {
        Assert.Equal("a%25b%0Dc%0Ad:e,f", WorkflowCommandEscaping.Data("a%b\rc\nd:e,f"));
        Assert.Equal("a%25b%0Dc%0Ad%3Ae%2Cf", WorkflowCommandEscaping.Property("a%b\rc\nd:e,f"));
        Gen.String.Sample(s =>
        {
            var data = WorkflowCommandEscaping.Data(s);
            Assert.DoesNotContain('\n', data);
            Assert.DoesNotContain('\r', data);
            Assert.Equal(s, data.Replace("%0A", "\n").Replace("%0D", "\r").Replace("%25", "%"));
            var property = WorkflowCommandEscaping.Property(s);
            Assert.DoesNotContain(':', property);
            Assert.DoesNotContain(',', property);
        });
    }

    [Fact]
    public async Task Gate_samples_are_escaped_in_console_text_markdown_and_annotations()
    {
        var contract = ContractFixtures.SalesContract("- name: sku_shape\n  column: sku\n  pattern: '^[a-z]+-[0-9]+$'");
        var file = await _fx.WriteSalesAsync("2024-03-01", [new SalesRow { Sku = Hostile }]);
        var report = await new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None);
        Assert.False(report.Passed);

        var escaped = WorkflowCommandEscaping.Data(Hostile);
        Assert.Empty(Commands(report.ToConsoleText()));
        Assert.Contains(escaped, report.ToConsoleText());
        Assert.Empty(Commands(report.ToMarkdown()));
        Assert.Contains(escaped, report.ToMarkdown());
        Assert.Empty(Commands(new GateFailedException(report).Message));
        // One annotation, one line; the sample inside is escaped as a value, then as the command's data.
        var annotation = Assert.Single(report.GitHubAnnotations());
        Assert.DoesNotContain('\n', annotation);
        Assert.StartsWith("::error title=Data contract sales_mart%3A sku_shape::", annotation);
        Assert.Contains(WorkflowCommandEscaping.Data(escaped), annotation);
        Assert.Single(Commands(annotation));
    }

    [Fact]
    public async Task A_run_over_a_hostile_value_and_key_prints_no_command_and_publishes_nothing()
    {
        EventFixtures.Land(_h.Landing, Day1, "base.json", [EventFixtures.Event("B-1", 1001, At(Day1, 8), At(Day1, 9), 2, 1.50m)]);
        Assert.Equal(0, (await _h.CliAsync("run")).Code);
        var before = PublishedWarehouse.Of(_h.WarehouseRoot);
        // The value breaks the currency check (an error); the file name carries a command too (diagnostic lines name it).
        EventFixtures.Land(_h.Landing, Day2, "a\n::warning::key.json", [EventFixtures.Event("O-1", 1001, At(Day2, 8), At(Day2, 9), 1, 1.00m, currency: Hostile)]);

        var plan = await _h.CliAsync("plan");
        Assert.Contains("a%0A::warning::key.json", plan.Out);
        Assert.Empty(Commands(plan.Out));

        var run = await _h.CliAsync("run", "--verbosity=diagnostic");

        Assert.Equal(ExitCodes.QualityGateFailed, run.Code);
        Assert.Contains("currency_iso_code", run.Err);
        Assert.Contains(WorkflowCommandEscaping.Data(Hostile), run.Err);
        Assert.Contains("a%0A::warning::key.json", run.Out);
        Assert.Empty(Commands(run.Out));
        Assert.Empty(Commands(run.Err));
        Assert.Empty(Commands(File.ReadAllText(Path.Combine(_h.WorkRoot, "gate", "sales_mart.report.md"))));
        Assert.Equal(before, PublishedWarehouse.Of(_h.WarehouseRoot));
    }

    public void Dispose()
    {
        _fx.Dispose();
        _h.Dispose();
    }
}
