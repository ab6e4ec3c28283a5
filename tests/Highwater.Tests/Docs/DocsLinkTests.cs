using System.Text.RegularExpressions;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Docs;

/// <summary>
/// The README is the front door (at most 10 KB) and every relative link in it and in docs/ reaches an existing file
/// and, where it names one, an existing heading (GitHub's anchor rule: lower case, punctuation dropped, spaces as '-').
/// </summary>
public sealed partial class DocsLinkTests
{
    public static TheoryData<string> Documents()
    {
        var data = new TheoryData<string> { "README.md", "benchmarks/README.md" };
        foreach (var file in Directory.GetFiles(RepoRoot.Combine("docs"), "*.md"))
            data.Add("docs/" + Path.GetFileName(file));
        return data;
    }

    [Fact]
    public void Readme_is_at_most_10_KB()
    {
        var bytes = new FileInfo(RepoRoot.Combine("README.md")).Length;
        Assert.True(bytes <= 10 * 1024, $"README.md is {bytes} bytes; move depth into docs/.");
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_relative_link_reaches_a_file_and_heading(string document)
    {
        var path = RepoRoot.Combine(document.Split('/'));
        var text = File.ReadAllText(path);
        var broken = new List<string>();
        foreach (Match link in Link().Matches(text))
        {
            var target = link.Groups[1].Value;
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
            var hash = target.IndexOf('#');
            var file = hash < 0 ? target : target[..hash];
            var anchor = hash < 0 ? null : target[(hash + 1)..];
            var targetPath = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, file));
            if (!File.Exists(targetPath) && !Directory.Exists(targetPath)) { broken.Add($"{target}: no such file"); continue; }
            if (anchor is not null && !Anchors(File.ReadAllText(targetPath)).Contains(anchor))
                broken.Add($"{target}: no heading with that anchor");
        }
        Assert.True(broken.Count == 0, $"{document}: {string.Join("; ", broken)}");
    }

    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in markdown.Split('\n'))
        {
            if (!line.StartsWith('#')) continue;
            var title = line.TrimStart('#').Trim().ToLowerInvariant();
            anchors.Add(new string(title.Where(c => char.IsLetterOrDigit(c) || c is '-' or '_' or ' ').ToArray()).Replace(' ', '-'));
        }
        return anchors;
    }

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();
}
