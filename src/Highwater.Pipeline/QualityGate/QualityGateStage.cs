using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// QualityGate: evaluates the rebuilt sales_mart partitions, then their daily KPIs, against the YAML
/// contracts in <c>data-contracts/</c>. Writes the reports (JSON and Markdown) to the work area, appends the
/// Markdown to <c>$GITHUB_STEP_SUMMARY</c> and prints <c>::error</c>/<c>::warning</c> annotations when running in
/// GitHub Actions. An error-level failure throws <see cref="GateFailedException"/>: the stage stamp is not set,
/// so PublishMart refuses the batch and nothing reaches gold/. Rows set aside by quarantine checks are removed
/// from the files to publish, and the KPIs of those partitions are recomputed from what remains, as kpi_daily's contract declares them.
/// </summary>
public static class QualityGateStage
{
    public const string UsersDataset = "users";

    public static async Task<GateVerdict?> RunAsync(PipelineContext ctx, CancellationToken ct = default)
    {
        if (await BatchStage.Gate.OpenAsync(ctx) is not { } plan) return null;

        var started = ctx.Clock.GetTimestamp();
        ctx.Work.ClearStamp(StageNames.Publish);
        var contracts = ContractLoader.LoadAll(ctx.ContractsDir);
        var kpis = DailyKpi.From(contracts);
        var transform = TransformSummary.Load(ctx.Work.TransformSummaryFile);
        WorkArea.ResetDirectory(ctx.Work.GateDir);
        var users = await LocalFilesAsync(ctx.Users, Path.Combine(ctx.Work.GateDir, "users"), ct);
        var context = new GateContext(ctx.Clock.GetUtcNow(), plan.RunId)
        {
            ResolveDataset = name => name == UsersDataset
                ? users
                : throw new ConfigurationException($"A references check names dataset '{name}'; the gate can resolve only '{UsersDataset}'."),
            OutputFolder = Path.Combine(ctx.Work.GateDir, "filtered", Schemas.SalesMart.Dataset),
            QuarantineFolder = Path.Combine(ctx.Work.QuarantineDir, "gate"),
        };

        var martFiles = transform.Partitions.Where(p => p.MartFile is not null)
            .Select(p => new DatasetFile(p.MartFile!, Partition(p.Dt))).ToList();
        var mart = await new ContractGate().EvaluateAsync(Contract(contracts, Schemas.SalesMart.Dataset), martFiles, context, ct);
        Report(ctx, mart);

        var verdict = new GateVerdict { BatchId = plan.BatchId, QuarantinedRows = mart.RowsQuarantined };
        if (mart.Passed)
        {
            // The files to publish: the gate's (filtered where rows were quarantined), KPIs recomputed for those.
            var publish = mart.FilesToPublish.ToDictionary(f => f.PartitionValues["dt"], f => f.Path, StringComparer.Ordinal);
            var kpiFiles = new List<DatasetFile>();
            foreach (var p in transform.Partitions)
            {
                var file = publish.GetValueOrDefault(p.Dt);
                var kpi = p.KpiFile;
                // A file the gate left as it was keeps Transform's row count and KPIs; only a filtered one is read back.
                var rowCount = p.Rows;
                if (file is not null && file != p.MartFile)
                {
                    var rows = new PartitionColumns(DatasetColumns.Mart(Contract(contracts, Schemas.SalesMart.Dataset)));
                    await using (var s = File.OpenRead(file)) await MartPartitionFile.ReadAsync(s, file, rows);
                    rowCount = rows.Count;
                    // The gate's copy is written by Parquet.Net, whose timestamp statistics are wrong (a reader that
                    // prunes row groups by them, as DuckDB does, would drop rows): publish it as the mart's own writer
                    // writes every other mart file, in the same row order.
                    if (rows.Count > 0)
                        await using (var m = WorkArea.CreateFile(file)) await MartPartitionFile.WriteAsync(m, rows, integers: ctx.MartIntegers);
                    kpi = Path.Combine(ctx.Work.GateDir, "filtered", Schemas.KpiDaily.Dataset, $"dt={p.Dt}", "part.parquet");
                    await using var k = WorkArea.CreateFile(kpi); // a fresh file: PublishMart may hard-link it
                    await KpiPartitionFile.WriteAsync(k, kpis.Compute(rows), p.Dt);
                }
                if (file is null || rowCount == 0) { file = kpi = null; rowCount = 0; } // every row quarantined: the partition empties
                verdict.MartFiles[p.Dt] = file;
                verdict.KpiFiles[p.Dt] = kpi;
                verdict.MartRows[p.Dt] = rowCount;
                if (kpi is not null) kpiFiles.Add(new DatasetFile(kpi, Partition(p.Dt)));
            }
            var kpiReport = await new ContractGate().EvaluateAsync(Contract(contracts, Schemas.KpiDaily.Dataset), kpiFiles,
                context with { OutputFolder = Path.Combine(ctx.Work.GateDir, "filtered-kpi") }, ct);
            Report(ctx, kpiReport);
            verdict.Passed = kpiReport.Passed;
            verdict.Save(ctx.Work);
            kpiReport.EnsurePassed();
        }
        else
        {
            verdict.Save(ctx.Work);
            mart.EnsurePassed();
        }

        ctx.Work.MarkDone(StageNames.Gate, plan.BatchId);
        StageMetrics.Record(ctx, StageNames.Gate, plan.BatchId, started, rowsIn: mart.RowsChecked, rowsOut: verdict.MartRows.Values.Sum(),
            quarantined: mart.RowsQuarantined, partitions: verdict.MartRows.Count);
        ctx.Log.Info($"QualityGate: passed for batch {plan.BatchId}: {mart.RowsChecked:N0} rows checked, {mart.RowsQuarantined:N0} quarantined, " +
                     $"{mart.Checks.Count(c => c.Status == CheckStatus.Warn)} warning(s) in {ctx.Clock.GetElapsedTime(started).TotalSeconds:F2} s");
        return verdict;
    }

    /// <summary>
    /// Loads every contract and reports how many are valid; throws with file, line and column otherwise, or with file and
    /// column when kpi_daily's file cannot hold what its contract declares (<see cref="DailyKpi.From(DataContract, DataContract?)"/>).
    /// </summary>
    public static void ValidateContracts(string contractsDir, IStageLog log)
    {
        var contracts = ContractLoader.LoadAll(contractsDir);
        DailyKpi.From(contracts);
        log.Info($"ValidateContracts: {contracts.Count} contract(s) valid in {Path.GetFullPath(contractsDir)}: " +
                 string.Join(", ", contracts.Values.Select(c => $"{c.Dataset} v{c.Version} ({c.Checks.Count} checks)")));
    }

    private static DataContract Contract(IReadOnlyDictionary<string, DataContract> contracts, string dataset) =>
        contracts.TryGetValue(dataset, out var c) ? c
            : throw new ConfigurationException($"No data contract for '{dataset}' in data-contracts/ (expected {dataset}.yaml).");

    private static Dictionary<string, string> Partition(string dt) => new(StringComparer.Ordinal) { ["dt"] = dt };

    private static void Report(PipelineContext ctx, GateReport report)
    {
        var stem = Path.Combine(ctx.Work.GateDir, report.Dataset);
        File.WriteAllText(stem + ".report.json", report.ToJson());
        File.WriteAllText(stem + ".report.md", report.ToMarkdown());
        ctx.Log.Info(report.ToConsoleText().TrimEnd());
        foreach (var check in report.Checks.Where(c => c.RowGroupsByStatistics > 0))
            ctx.Log.Diagnostic($"  {report.Dataset}.{check.Name}: {check.RowGroupsByStatistics:N0} row group(s) passed by their footer statistics, not decoded for it");
        if (Environment.GetEnvironmentVariable("GITHUB_ACTIONS") == "true")
        {
            foreach (var line in report.GitHubAnnotations()) ctx.Log.Info(line);
            var summary = Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY");
            if (!string.IsNullOrEmpty(summary)) File.AppendAllText(summary, report.ToMarkdown() + Environment.NewLine);
        }
    }

    /// <summary>The Parquet files of a store as local paths (downloaded into <paramref name="cache"/> when remote).</summary>
    private static async Task<IReadOnlyList<DatasetFile>> LocalFilesAsync(IObjectStore store, string cache, CancellationToken ct)
    {
        var files = new List<DatasetFile>();
        var empty = new Dictionary<string, string>();
        await foreach (var obj in store.ListAsync("", null, ct))
        {
            if (!UserDimensionFiles.IsDataFile(obj.Key)) continue;
            if (store is LocalFolderStore local)
            {
                files.Add(new DatasetFile(Path.Combine(local.Root, obj.Key), empty));
                continue;
            }
            var path = Path.Combine(cache, obj.Key.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using (var body = await store.OpenReadAsync(obj.Key, ct))
            await using (var file = File.Create(path))
                await body.CopyToAsync(file, ct);
            files.Add(new DatasetFile(path, empty));
        }
        return files;
    }
}
