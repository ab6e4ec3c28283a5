using System.Text.RegularExpressions;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Architecture;

/// <summary>
/// Unit tests run with <c>--filter Kind!=Integration</c>: every test class that starts build.sh, the CLI as a process,
/// s3rver, chromium, actionlint or the AWS CLI says so with <c>[Trait("Kind", "Integration")]</c> and a
/// <c>[Trait("Needs", …)]</c> per tool.
/// </summary>
public sealed partial class TestKindTests
{
    private static readonly (string Needs, Regex Marker)[] Markers =
    [
        ("build.sh", new(@"BuildScript\.(Run|StartInOwnProcessGroup)\b")),
        ("s3rver", new(@"\bS3rverFixture\b")),
        ("chromium", new("/usr/bin/chromium")),
        ("actionlint", new("actionlint")),
        ("awscli", new(@"\bAwsCli\.")),
        ("cli", new(@"ProcessStartInfo\(Path\.Combine\(AppContext\.BaseDirectory, ""highwater""\)")),
    ];

    [Fact]
    public void Every_test_class_that_starts_an_outside_tool_is_marked_integration()
    {
        var root = RepoRoot.Combine("tests", "Highwater.Tests");
        var missing = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.StartsWith("Support/") || relative.StartsWith("Architecture/") || relative.Contains("/obj/") || relative.Contains("/bin/")) continue;
            var text = File.ReadAllText(file);
            if (!TestClassRegex().IsMatch(text)) continue;
            foreach (var (needs, marker) in Markers)
                if (marker.IsMatch(text) && !text.Contains($"[Trait(\"Needs\", \"{needs}\")]"))
                    missing.Add($"{relative}: uses {needs} without [Trait(\"Needs\", \"{needs}\")]");
            if (Markers.Any(m => m.Marker.IsMatch(text)) && !text.Contains("[Trait(\"Kind\", \"Integration\")]"))
                missing.Add($"{relative}: without [Trait(\"Kind\", \"Integration\")]");
        }
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    [GeneratedRegex(@"^(public|internal) (sealed |abstract )?(partial )?class \w+Tests\b", RegexOptions.Multiline)]
    private static partial Regex TestClassRegex();
}
