using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Discover;
using Highwater.Pipeline.Extract;
using Highwater.Pipeline.Publish;
using Highwater.Pipeline.QualityGate;
using Highwater.Pipeline.Transform;

namespace Highwater.Tests.Support;

/// <summary>
/// Runs the stages in process over a landing folder, the sample users and a warehouse store of a test's
/// choosing (for example one that fails on purpose), as the CLI's <c>run</c> command does. A test can put
/// the landing zone or the user dimension in another store (for example S3) with <see cref="LandingStore"/>
/// and <see cref="UsersStore"/>.
/// </summary>
public sealed class PipelineHarness : IDisposable
{
    private readonly TempFolder _temp = new("pipeline");

    public PipelineHarness()
    {
        Directory.CreateDirectory(Landing);
        Directory.CreateDirectory(WarehouseRoot);
    }

    public string Landing => _temp.Combine("landing");
    public string WarehouseRoot => _temp.Combine("warehouse");
    public string WorkRoot => _temp.Combine("work");
    public StringWriter Output { get; } = new();

    /// <summary>The landing store; null: the local <see cref="Landing"/> folder.</summary>
    public IObjectStore? LandingStore { get; set; }

    /// <summary>The user dimension store; null: the shipped samples/users folder.</summary>
    public IObjectStore? UsersStore { get; set; }

    /// <summary>The user dimension folder <see cref="CliAsync"/> passes as --users; null: the shipped samples/users folder.</summary>
    public string? UsersFolder { get; set; }

    /// <summary>Discover's lookback window in days (the CLI's --lookback-days).</summary>
    public int LookbackDays { get; set; } = PipelineContext.DefaultLookbackDays;

    /// <summary>The warehouse runs use when none is given (a local folder unless a test sets another, e.g. S3).</summary>
    public IObjectStore? DefaultWarehouse { get; set; }

    /// <summary>The clock stages read; the system clock unless a test fixes it.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>The work area runs use when none is given.</summary>
    public string? WorkOverride { get; set; }

    /// <summary>The data contracts to gate with (default: the repository's data-contracts/).</summary>
    public string? ContractsOverride { get; set; }

    /// <summary>
    /// A fresh copy of the repository's data contracts beside the work area, with each line of sales_mart.yaml passed through
    /// <paramref name="editMart"/> and <paramref name="martChecks"/> appended to its checks; its folder (not put in force).
    /// </summary>
    public string CopyContracts(string martChecks = "", Func<string, string>? editMart = null)
    {
        var dir = WorkRoot + "-contracts";
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        TempFolder.CopyDirectory(RepoRoot.Combine("data-contracts"), dir);
        var mart = Path.Combine(dir, "sales_mart.yaml");
        if (editMart is not null) File.WriteAllLines(mart, File.ReadAllLines(mart).Select(editMart));
        File.AppendAllText(mart, martChecks);
        return dir;
    }

    public PipelineContext Context(IObjectStore? warehouse = null, FaultInjector? faults = null, string? work = null) => new()
    {
        Landing = LandingStore ?? new LocalFolderStore(Landing),
        Users = UsersStore ?? new LocalFolderStore(RepoRoot.Combine("samples", "users")),
        Warehouse = warehouse ?? DefaultWarehouse ?? new LocalFolderStore(WarehouseRoot),
        Work = new WorkArea(work ?? WorkOverride ?? WorkRoot),
        ContractsDir = ContractsOverride ?? RepoRoot.Combine("data-contracts"),
        LookbackDays = LookbackDays,
        Log = new StageLog(Output, diagnostic: true),
        Faults = faults ?? FaultInjector.None,
        Clock = Clock,
    };

    /// <summary>
    /// As the CLI's <c>run</c>: finish interrupted runs, then Discover, Extract, Transform, QualityGate and PublishMart;
    /// returns false when nothing was new.
    /// </summary>
    public async Task<bool> RunAsync(IObjectStore? warehouse = null, FaultInjector? faults = null, RebuildScope? scope = null)
    {
        var ctx = Context(warehouse, faults);
        await RunJournal.FinishInterruptedAsync(ctx, scope?.FullRefresh == true, default);
        var plan = await DiscoverStage.RunAsync(ctx, default, scope);
        if (plan.IsEmpty) return false;
        await ExtractStage.RunAsync(ctx);
        await TransformStage.RunAsync(ctx);
        await QualityGateStage.RunAsync(ctx);
        await PublishStage.RunAsync(ctx);
        return true;
    }

    /// <summary>
    /// The <c>highwater</c> CLI run in process with <paramref name="args"/> and this harness's landing folder, the sample
    /// users, its warehouse and work folders and its contracts (<see cref="ContractsOverride"/> or the repository's); its exit code and what it wrote.
    /// </summary>
    public async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await Highwater.Cli.HighwaterCommand.RunAsync(
            [.. args, $"--landing={Landing}", $"--users={UsersFolder ?? RepoRoot.Combine("samples", "users")}",
             $"--warehouse={WarehouseRoot}", $"--work={WorkRoot}", $"--contracts={ContractsOverride ?? RepoRoot.Combine("data-contracts")}"],
            stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose() => _temp.Dispose();
}
