using Xunit;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Highwater.Tests.Support;

namespace Highwater.Tests.Architecture;

/// <summary>
/// The source tree's shape, as docs/architecture.md ("Layout") states it: a folder per stage over a shared core,
/// each folder its own namespace, no stage folder using another, no cycle between folders, project folder, assembly
/// and root namespace alike, and no hand-written source file over 500 lines. A folder's dependencies are read from
/// its files' <c>using</c> directives and fully qualified names.
/// </summary>
public sealed partial class LayoutTests
{
    private const string Pipeline = "Highwater.Pipeline";
    private static readonly string PipelineRoot = RepoRoot.Combine("src", Pipeline);
    private static readonly string[] Stages = ["Discover", "Extract", "Transform", "QualityGate", "Publish"];

    [Fact]
    public void Every_file_declares_the_namespace_of_its_folder()
    {
        var wrong = SourceFiles(RepoRoot.Combine("src"))
            .Where(f => Path.GetFileName(f) != "Program.cs") // top-level statements: no namespace
            .Select(f => (File: f, Expected: ExpectedNamespace(f), Declared: NamespaceRegex().Match(File.ReadAllText(f)).Groups[1].Value))
            .Where(x => x.Declared != x.Expected)
            .Select(x => $"{Relative(x.File)}: namespace {x.Declared}, its folder says {x.Expected}")
            .ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void Project_folder_assembly_and_root_namespace_agree()
    {
        var projects = Directory.GetDirectories(RepoRoot.Combine("src")).Select(d => Path.Combine(d, Path.GetFileName(d) + ".csproj")).ToList();
        Assert.All(projects, p => Assert.True(File.Exists(p), $"{Relative(p)} is missing: a project's file is named after its folder"));
        foreach (var project in projects)
        {
            var name = Path.GetFileNameWithoutExtension(project);
            var properties = XDocument.Load(project).Descendants("PropertyGroup").Elements().ToDictionary(e => e.Name.LocalName, e => e.Value);
            Assert.Equal(name, properties.GetValueOrDefault("RootNamespace", name));
            // An executable's assembly is named after the command users type; a library's after its folder.
            if (properties.GetValueOrDefault("OutputType") != "Exe")
                Assert.Equal(name, properties.GetValueOrDefault("AssemblyName", name));
        }
    }

    [Fact]
    public void A_stage_folder_never_depends_on_another_stage_and_the_core_on_no_stage()
    {
        var graph = FolderGraph();
        var wrong = new List<string>();
        foreach (var (folder, uses) in graph)
        foreach (var used in uses)
        {
            var from = TopFolder(folder);
            var to = TopFolder(used);
            if (Stages.Contains(from) && Stages.Contains(to) && from != to) wrong.Add($"{folder} uses {used}: a stage uses another stage");
            if (from == "Core" && to != "Core") wrong.Add($"{folder} uses {used}: the core uses a folder above it");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.All(Stages, s => Assert.True(Directory.Exists(Path.Combine(PipelineRoot, s)), $"no folder for stage {s}"));
    }

    [Fact]
    public void No_cycle_between_folders()
    {
        var graph = FolderGraph();
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, $"folder cycle: {string.Join(" -> ", cycle ?? [])}");
    }

    [Fact]
    public void The_cycle_finder_finds_a_cycle()
    {
        var graph = new Dictionary<string, HashSet<string>>
        {
            ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"], ["D"] = ["A"],
        };
        Assert.Equal(["A", "B", "C", "A"], FindCycle(graph));
        graph["C"].Clear();
        Assert.Null(FindCycle(graph));
    }

    [Fact]
    public void No_hand_written_source_file_is_over_500_lines()
    {
        var roots = new[] { "src", "benchmarks", "tests" }.Select(r => RepoRoot.Combine(r));
        var long_ = roots.SelectMany(SourceFiles)
            .Select(f => (File: f, Lines: File.ReadLines(f).Count()))
            .Where(x => x.Lines > 500)
            .Select(x => $"{Relative(x.File)}: {x.Lines} lines")
            .ToList();
        Assert.True(long_.Count == 0, string.Join("\n", long_));
    }

    /// <summary>Folder (relative to src/Highwater.Pipeline, '/'-separated) → the folders its files use.</summary>
    private static Dictionary<string, HashSet<string>> FolderGraph()
    {
        var folders = SourceFiles(PipelineRoot).Select(FolderOf).ToHashSet(StringComparer.Ordinal);
        var graph = folders.ToDictionary(f => f, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var file in SourceFiles(PipelineRoot))
        {
            var folder = FolderOf(file);
            foreach (Match m in QualifiedRegex().Matches(File.ReadAllText(file)))
            {
                // The longest folder the qualified name starts with: Highwater.Pipeline.Core.State.BatchPlan → Core/State.
                var parts = m.Groups[1].Value.Split('.');
                var used = Enumerable.Range(1, parts.Length).Reverse().Select(n => string.Join('/', parts.Take(n)))
                    .FirstOrDefault(folders.Contains);
                if (used is not null && used != folder) graph[folder].Add(used);
            }
        }
        return graph;
    }

    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the path, 2 done
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            if (state.GetValueOrDefault(node) == 2) return null;
            if (state.GetValueOrDefault(node) == 1) return [.. path.Skip(path.IndexOf(node)), node];
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node, []).Order(StringComparer.Ordinal))
                if (Visit(next) is { } cycle) return cycle;
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        return graph.Keys.Order(StringComparer.Ordinal).Select(Visit).FirstOrDefault(c => c is not null);
    }

    private static IEnumerable<string> SourceFiles(string root) =>
        Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj"))
            .Order(StringComparer.Ordinal);

    private static string FolderOf(string file) => Path.GetRelativePath(PipelineRoot, Path.GetDirectoryName(file)!).Replace('\\', '/');

    private static string TopFolder(string folder) => folder.Split('/')[0];

    private static string ExpectedNamespace(string file)
    {
        var relative = Path.GetRelativePath(RepoRoot.Combine("src"), Path.GetDirectoryName(file)!);
        return relative.Replace(Path.DirectorySeparatorChar, '.');
    }

    private static string Relative(string path) => Path.GetRelativePath(RepoRoot.Path, path);

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex NamespaceRegex();

    [GeneratedRegex(@"\bHighwater\.Pipeline\.((?:[A-Z]\w*)(?:\.[A-Z]\w*)*)")]
    private static partial Regex QualifiedRegex();
}
