using Highwater.Pipeline;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Discover;
using Highwater.Pipeline.Extract;
using Highwater.Pipeline.Publish;
using Highwater.Pipeline.QualityGate;
using Highwater.Pipeline.Status;
using Highwater.Pipeline.Transform;

namespace Highwater.Cli;

/// <summary>
/// The highwater CLI: one command per stage (what each Cake target runs), plus <c>run</c> (every stage
/// in one process), <c>status</c>, <c>plan</c> (a dry run) and <c>clean</c>. Maps each failure family to its exit code.
/// </summary>
public static class HighwaterCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        if (args is ["--help" or "-h" or "help"])
        {
            stdout.WriteLine(CliArguments.Usage);
            return ExitCodes.Success;
        }
        PipelineContext? context = null;
        PipelineContext ContextOf(CliArguments cli, IStageLog log) => context = Context(cli, log, ct);
        try
        {
            var cli = CliArguments.Parse(args);
            var verbosity = cli.Get("verbosity", "normal");
            var lines = new StageLog(verbosity is "quiet" ? TextWriter.Null : stdout, verbosity is "diagnostic" or "verbose");
            var log = new ProgressStageLog(lines, stdout, ProgressStageLog.ModeFor(verbosity is "quiet", Console.IsOutputRedirected));
            var idle = IdleExitCode(cli);
            using var workLock = WritesWorkArea(cli.Command) ? WorkAreaLock.Acquire(new WorkArea(cli.Get("work", ".highwater")), cli.Command) : null;
            switch (cli.Command)
            {
                case "discover":
                {
                    var ctx = ContextOf(cli, log);
                    var scope = BackfillScope(cli);
                    await RunJournal.FinishInterruptedAsync(ctx, scope?.FullRefresh == true, ct);
                    return (await DiscoverStage.RunAsync(ctx, ct, scope)).IsEmpty ? idle : ExitCodes.Success;
                }
                case "extract":
                    await ExtractStage.RunAsync(ContextOf(cli, log), ct);
                    return ExitCodes.Success;
                case "transform":
                    await TransformStage.RunAsync(ContextOf(cli, log), ct);
                    return ExitCodes.Success;
                case "gate":
                    await QualityGateStage.RunAsync(ContextOf(cli, log), ct);
                    return ExitCodes.Success;
                case "publish":
                    await PublishStage.RunAsync(ContextOf(cli, log), ct);
                    return ExitCodes.Success;
                case "run":
                {
                    var ctx = ContextOf(cli, log);
                    var scope = BackfillScope(cli);
                    await RunJournal.FinishInterruptedAsync(ctx, scope?.FullRefresh == true, ct);
                    var plan = await DiscoverStage.RunAsync(ctx, ct, scope);
                    if (plan.IsEmpty) return idle;
                    ct.ThrowIfCancellationRequested();
                    await ExtractStage.RunAsync(ctx, ct);
                    ct.ThrowIfCancellationRequested();
                    await TransformStage.RunAsync(ctx, ct);
                    ct.ThrowIfCancellationRequested();
                    await QualityGateStage.RunAsync(ctx, ct);
                    ct.ThrowIfCancellationRequested();
                    await PublishStage.RunAsync(ctx, ct);
                    return ExitCodes.Success;
                }
                case "pending":
                {
                    // For the Cake script: which stages still have work for the current batch (see BatchStage.PendingAsync),
                    // one "<stage> pending|done" line each; with --stage=<stage>, that stage's answer alone.
                    var asked = cli.Find("stage") is { } name
                        ? BatchStage.Named(name) ?? throw new ConfigurationException($"--stage={name}: use extract, transform, gate or publish.")
                        : null;
                    var ctx = ContextOf(cli, StageLog.Silent);
                    var plan = File.Exists(ctx.Work.PlanFile) ? await BatchPlan.LoadAsync(ctx.Work.PlanFile) : null;
                    var answers = await BatchStage.PendingAsync(ctx, plan,
                        new(() => HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct, rebuild: plan?.Scope?.FullRefresh == true)));
                    foreach (var (stage, pending) in answers)
                        if (asked is null) stdout.WriteLine($"{stage.Stamp} {(pending ? "pending" : "done")}");
                        else if (stage == asked) stdout.WriteLine(pending ? "pending" : "done");
                    return ExitCodes.Success;
                }
                case "status":
                    return (await StatusReport.WriteAsync(ContextOf(cli, log), cli.Get("format", "text"), stdout, ct)).UpToDate ? idle : ExitCodes.Success;
                case "plan":
                    return (await RunPlanPreview.WriteAsync(ContextOf(cli, log), cli.Get("format", "text"), stdout, ct)).NothingToDo ? idle : ExitCodes.Success;
                case "validate-contracts":
                    QualityGateStage.ValidateContracts(cli.Get("contracts", "data-contracts"), log);
                    return ExitCodes.Success;
                case "clean":
                {
                    var work = new WorkArea(cli.Get("work", ".highwater"));
                    if (Directory.Exists(work.Root)) Directory.Delete(work.Root, recursive: true);
                    stdout.WriteLine($"Clean: removed the work area {work.Root}");
                    return ExitCodes.Success;
                }
                default:
                    throw new ConfigurationException($"Unknown command '{cli.Command}'. {CliArguments.Usage}");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            stderr.WriteLine("highwater: stopped: the run was asked to stop (SIGTERM or SIGINT); the warehouse lease is released and " +
                             "nothing was left half-written (a commit already made stays made). Run again to continue.");
            return ExitCodes.Stopped;
        }
        catch (Exception e)
        {
            if (e is ObjectNotFoundException missing && context is not null
                && await PublishRace.ExplainAsync(context.Warehouse, missing, CancellationToken.None) is { } race)
                e = race;
            var (code, family) = Classify(e);
            // Messages name landed keys and values: escaped as one line, except the gate's (which escapes its samples
            // itself) and configuration errors (our own text and the operator's options, some with usage lines).
            var message = e is GateFailedException or ConfigurationException ? e.Message : WorkflowCommandEscaping.Data(e.Message);
            stderr.WriteLine($"highwater: {family}: {message}");
            if (code == ExitCodes.Unexpected) stderr.WriteLine(e.ToString().Replace(e.Message, message));
            return code;
        }
    }

    /// <summary>The commands that write the work area, which take its lock (<see cref="WorkAreaLock"/>).</summary>
    public static bool WritesWorkArea(string command) =>
        command is "discover" or "extract" or "transform" or "gate" or "publish" or "run" or "clean";

    /// <summary>
    /// The exit code for "nothing to do" (discover, run, plan, status): 0 unless --exit-code-when-idle asks for
    /// another, which may not be one of the failure codes 1-6.
    /// </summary>
    public static int IdleExitCode(CliArguments cli)
    {
        var code = cli.GetInt("exit-code-when-idle", ExitCodes.Success, 0, 125);
        if (code is > ExitCodes.Success and <= ExitCodes.PipelineState)
            throw new ConfigurationException($"--exit-code-when-idle={code}: 1-6 are failure codes; use 0 or 7-125 (e.g. {ExitCodes.SuggestedIdle}).");
        return code;
    }

    public static (int Code, string Family) Classify(Exception e) => e switch
    {
        ConfigurationException => (ExitCodes.Configuration, "configuration error"),
        ContractDefinitionException => (ExitCodes.Configuration, "contract error"),
        GateFailedException => (ExitCodes.QualityGateFailed, "quality gate failed"),
        StorageException => (ExitCodes.Storage, "storage error"),
        // The file system refused: a full disk (ENOSPC), no permission (EACCES), an I/O error. .NET's message names the path.
        IOException or UnauthorizedAccessException => (ExitCodes.Storage, "storage error"),
        DataException => (ExitCodes.Data, "data error"),
        PipelineStateException => (ExitCodes.PipelineState, "pipeline state"),
        _ => (ExitCodes.Unexpected, "unexpected error"),
    };

    /// <summary>The rebuild scope --from/--to or --full-refresh ask for, or null for an incremental run.</summary>
    public static RebuildScope? BackfillScope(CliArguments cli)
    {
        var full = cli.Find("full-refresh") is { } f && f.ToLowerInvariant() switch
        {
            "true" or "yes" or "1" => true,
            "false" or "no" or "0" => false,
            _ => throw new ConfigurationException($"--full-refresh={f}: use true or false."),
        };
        var from = Date(cli, "from");
        var to = Date(cli, "to");
        if (full)
        {
            if (from is not null || to is not null)
                throw new ConfigurationException("--full-refresh rebuilds everything: give it without --from/--to.");
            return new RebuildScope { FullRefresh = true };
        }
        if (from is null && to is null) return null;
        if (from is null || to is null)
            throw new ConfigurationException("A backfill needs both --from=YYYY-MM-DD and --to=YYYY-MM-DD (or --full-refresh).");
        if (from > to)
            throw new ConfigurationException($"--from={from:yyyy-MM-dd} is after --to={to:yyyy-MM-dd}.");
        return new RebuildScope { From = from, To = to };
    }

    private static DateOnly? Date(CliArguments cli, string name)
    {
        if (cli.Find(name) is not { } text) return null;
        return DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d)
            ? d
            : throw new ConfigurationException($"--{name}={text}: expected a date YYYY-MM-DD.");
    }

    private static PipelineContext Context(CliArguments cli, IStageLog log, CancellationToken stop = default)
    {
        var landing = StorageLocation.Parse(cli.Get("landing", "samples/landing"), "--landing");
        var users = StorageLocation.Parse(cli.Get("users", "samples/users"), "--users");
        var warehouse = StorageLocation.Parse(cli.Get("warehouse", "warehouse"), "--warehouse");
        if (!landing.IsS3 && !Directory.Exists(landing.Path))
            throw new ConfigurationException($"--landing={landing.Text}: the folder {landing.Path} does not exist.");
        if (!users.IsS3 && !Directory.Exists(users.Path))
            throw new ConfigurationException($"--users={users.Text}: the folder {users.Path} does not exist.");
        var work = new WorkArea(cli.Get("work", ".highwater"));
        var s3 = landing.IsS3 || users.IsS3 || warehouse.IsS3 ? S3CliOptions.Build(cli) : null;
        return new PipelineContext
        {
            Landing = ObjectStoreFactory.Open(landing, s3),
            Users = ObjectStoreFactory.Open(users, s3),
            Warehouse = ObjectStoreFactory.Open(warehouse, s3),
            LookbackDays = cli.GetInt("lookback-days", PipelineContext.DefaultLookbackDays, 0, 36_500),
            MartIntegers = cli.Find("mart-integers") switch
            {
                null or "delta" => Highwater.Parquet.Writing.ParquetIntegerEncoding.Delta,
                "plain" => Highwater.Parquet.Writing.ParquetIntegerEncoding.Plain,
                var other => throw new ConfigurationException($"--mart-integers={other}: use delta or plain."),
            },
            Work = work,
            LeaseDuration = TimeSpan.FromMinutes(cli.GetInt("lease-minutes", (int)WarehouseLease.DefaultDuration.TotalMinutes, 1, 7 * 24 * 60)),
            Faults = FaultInjector.FromEnvironment(work.Root, stop: stop),
            ContractsDir = Path.GetFullPath(cli.Get("contracts", "data-contracts")),
            Log = log,
        };
    }
}
