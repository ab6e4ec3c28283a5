namespace Highwater.Tests.Storage;

/// <summary>Finds the repository checkout the tests run from.</summary>
internal static class RepositoryRoot
{
    /// <summary>The folder holding Highwater.slnx, found by walking up from the test binaries.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Highwater.slnx")))
                return dir.FullName;
        throw new InvalidOperationException($"No Highwater.slnx above {AppContext.BaseDirectory}: run the tests from a Highwater checkout.");
    }
}
