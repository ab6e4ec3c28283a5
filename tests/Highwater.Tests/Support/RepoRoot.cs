namespace Highwater.Tests.Support;

/// <summary>The repository root: the folder above the test binaries that holds Highwater.slnx.</summary>
public static class RepoRoot
{
    public static readonly string Path = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Highwater.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"No Highwater.slnx above {AppContext.BaseDirectory}.");
    }

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}
