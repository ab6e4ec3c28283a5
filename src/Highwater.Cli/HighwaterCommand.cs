using Highwater.Manifest;
using Highwater.Stages;
using Highwater.Storage;

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
        try
        {
            var cli = CliArguments.Parse(args);
            var verbosity = cli.Get("verbosity", "normal");
            var lines = new StageLog(verbosity is "quiet" ? TextWriter.Null : stdout, verbosity is "diagnostic" or "verbose");
            var log = new ProgressStageLog(lines, stdout, ProgressStageLog.ModeFor(verbosity is "quiet", Console.IsOutputRedirected));
            var idle = IdleExitCode(cli);
            switch (cli.Command)
            {
                case "discover":
                    return (await DiscoverStage.RunAsync(Context(cli, log), ct)).IsEmpty ? idle : ExitCodes.Success;
                case "extract":
                    await ExtractStage.RunAsync(Context(cli, log), ct);
                    return ExitCodes.Success;
                case "transform":
                    await TransformStage.RunAsync(Context(cli, log), ct);
                    return ExitCodes.Success;
                case "gate":
                    await QualityGateStage.RunAsync(Context(cli, log), ct);
                    return ExitCodes.Success;
                case "publish":
                    await PublishStage.RunAsync(Context(cli, log), ct);
                    return ExitCodes.Success;
                case "run":
                {
                    var ctx = Context(cli, log);
                    var plan = await DiscoverStage.RunAsync(ctx, ct);
                    if (plan.IsEmpty) return idle;
                    await ExtractStage.RunAsync(ctx, ct);
                    await TransformStage.RunAsync(ctx, ct);
                    await QualityGateStage.RunAsync(ctx, ct);
                    await PublishStage.RunAsync(ctx, ct);
                    return ExitCodes.Success;
                }
                case "status":
                    return (await StatusReport.WriteAsync(Context(cli, log), cli.Get("format", "text"), stdout, ct)).UpToDate ? idle : ExitCodes.Success;
                case "plan":
                    return (await Reporting.RunPlanPreview.WriteAsync(Context(cli, log), cli.Get("format", "text"), stdout, ct)).NothingToDo ? idle : ExitCodes.Success;
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
        catch (Exception e)
        {
            var (code, family) = Classify(e);
            stderr.WriteLine($"highwater: {family}: {e.Message}");
            if (code == ExitCodes.Unexpected) stderr.WriteLine(e.ToString());
            return code;
        }
    }

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
        Contracts.ContractDefinitionException => (ExitCodes.Configuration, "contract error"),
        Contracts.GateFailedException => (ExitCodes.QualityGateFailed, "quality gate failed"),
        StorageException => (ExitCodes.Storage, "storage error"),
        DataException => (ExitCodes.Data, "data error"),
        PipelineStateException => (ExitCodes.PipelineState, "pipeline state"),
        _ => (ExitCodes.Unexpected, "unexpected error"),
    };

    private static PipelineContext Context(CliArguments cli, IStageLog log)
    {
        var landing = StorageLocation.Parse(cli.Get("landing", "samples/landing"), "--landing");
        var users = StorageLocation.Parse(cli.Get("users", "samples/users"), "--users");
        var warehouse = StorageLocation.Parse(cli.Get("warehouse", "warehouse"), "--warehouse");
        if (!landing.IsS3 && !Directory.Exists(landing.Path))
            throw new ConfigurationException($"--landing={landing.Text}: the folder {landing.Path} does not exist.");
        if (!users.IsS3 && !Directory.Exists(users.Path))
            throw new ConfigurationException($"--users={users.Text}: the folder {users.Path} does not exist.");
        var s3 = landing.IsS3 || users.IsS3 || warehouse.IsS3 ? S3CliOptions.Build(cli) : null;
        return new PipelineContext
        {
            Landing = ObjectStoreFactory.Open(landing, s3),
            Users = ObjectStoreFactory.Open(users, s3),
            Warehouse = ObjectStoreFactory.Open(warehouse, s3),
            LookbackDays = cli.GetInt("lookback-days", PipelineContext.DefaultLookbackDays, 0, 36_500),
            Work = new WorkArea(cli.Get("work", ".highwater")),
            ContractsDir = Path.GetFullPath(cli.Get("contracts", "data-contracts")),
            Log = log,
        };
    }
}
