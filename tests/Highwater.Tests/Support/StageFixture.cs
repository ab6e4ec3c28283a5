using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Tests.Support;

/// <summary>
/// A landing zone, warehouse and work area in a temp folder (removed on dispose), and a pipeline
/// context over them. The user dimension is the shipped sample.
/// </summary>
public sealed class StageFixture : IDisposable
{
    private readonly TempFolder _temp;

    public StageFixture(string prefix, IObjectStore? landing = null)
    {
        _temp = new TempFolder(prefix);
        LandingRoot = _temp.Combine("landing");
        WarehouseRoot = _temp.Combine("warehouse");
        Directory.CreateDirectory(LandingRoot);
        Directory.CreateDirectory(WarehouseRoot);
        LandingStore = new LocalFolderStore(LandingRoot);
        Warehouse = new LocalFolderStore(WarehouseRoot);
        Work = new WorkArea(_temp.Combine("work"));
        Clock = new ManualClock(new DateTimeOffset(2026, 2, 1, 6, 0, 0, TimeSpan.Zero));
        Context = Build(landing ?? LandingStore);
    }

    public string LandingRoot { get; }
    public string WarehouseRoot { get; }
    public LocalFolderStore LandingStore { get; }
    public LocalFolderStore Warehouse { get; }
    public WorkArea Work { get; }
    public ManualClock Clock { get; }
    public PipelineContext Context { get; private set; }

    /// <summary>Uses another landing store (for example a decorator over <see cref="LandingStore"/>).</summary>
    public void UseLanding(IObjectStore landing) => Context = Build(landing);

    private PipelineContext Build(IObjectStore landing) => new()
    {
        Landing = landing,
        Users = new LocalFolderStore(RepoRoot.Combine("samples", "users")),
        Warehouse = Warehouse,
        Work = Work,
        ContractsDir = RepoRoot.Combine("data-contracts"),
        Clock = Clock,
    };

    /// <summary>Writes a landed file (text as given) under the landing root and returns its key.</summary>
    public string Land(string key, string text)
    {
        var path = Path.Combine(LandingRoot, key.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return key;
    }

    public string Land(string key, byte[] bytes)
    {
        var path = Path.Combine(LandingRoot, key.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return key;
    }

    public string LandingPath(string key) => Path.Combine(LandingRoot, key.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Saves a manifest that lists the given landed files as processed (as they are now).</summary>
    public async Task<HighWatermarkManifest> SaveManifestListingAsync(long version, params string[] keys)
    {
        var manifest = new HighWatermarkManifest { Version = version, LastRunId = "run-test" };
        foreach (var key in keys)
        {
            var head = await LandingStore.HeadAsync(key) ?? throw new InvalidOperationException($"{key} not landed");
            manifest.Files[key] = new ProcessedFile { ETag = head.ETag, Size = head.Size, Arrival = head.LastModified, RunId = "run-test" };
        }
        await manifest.SaveAsync(Warehouse);
        return manifest;
    }

    public void Dispose() => _temp.Dispose();
}
