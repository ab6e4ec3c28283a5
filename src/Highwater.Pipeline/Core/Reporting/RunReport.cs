using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Pipeline.Core.Reporting;

/// <summary>
/// The report of one published run: files picked up, rows in/out/quarantined and duration per stage, gate
/// results per check, partitions rewritten, and daily revenue and orders over the mart's recent partitions.
/// Written by PublishMart as <c>reports/&lt;run id&gt;/report.json</c> and <c>report.html</c> in the warehouse (through
/// the object store, so S3 too) and as a local copy in the work area's <c>reports/&lt;run id&gt;/</c>.
/// </summary>
public sealed class RunReport
{
    public string RunId { get; set; } = "";
    public string BatchId { get; set; } = "";
    public DateTimeOffset GeneratedAt { get; set; }
    public string Landing { get; set; } = "";
    public string Warehouse { get; set; } = "";
    public long ManifestVersion { get; set; }
    public DateTimeOffset? Watermark { get; set; }
    public List<ReportFile> Files { get; set; } = [];

    /// <summary>What Discover listed and did not take, and future-dated folders (null: nothing to note).</summary>
    public LandingNotes? Notes { get; set; }
    public List<StageMetrics> Stages { get; set; } = [];
    public List<ReportGate> Gate { get; set; } = [];
    public List<ReportPartition> Partitions { get; set; } = [];
    public List<DailyPoint> Daily { get; set; } = [];

    public static string WarehousePrefix(string runId) => $"reports/{runId}/";

    public static string LocalFolder(WorkArea work, string runId) => Path.Combine(work.Root, "reports", runId);

    public string ToJson() => JsonSerializer.Serialize(this, ReportJson.Default.RunReport);

    public static RunReport FromJson(string json) =>
        JsonSerializer.Deserialize(json, ReportJson.Default.RunReport) ?? throw new JsonException("empty run report");

    public string ToHtml() => RunReportHtml.Render(this);

    /// <summary>A short Markdown summary for the CI job summary: the headline numbers and where the report is.</summary>
    public string ToMarkdown(string htmlLocation)
    {
        var md = new StringBuilder();
        md.AppendLine($"### Highwater run `{RunId}`");
        md.AppendLine();
        md.AppendLine($"{Files.Count} file(s) picked up, {Partitions.Count} partition(s) rewritten ({string.Join(", ", Partitions.Select(p => "dt=" + p.Dt))}), manifest v{ManifestVersion}.");
        md.AppendLine();
        if (Notes is not null)
            foreach (var line in new[] { Notes.DescribeFuture(), Notes.DescribeIgnored(), Notes.DescribeHidden() })
                if (line is not null) md.AppendLine($"- {line}");
        if (Notes is { IsEmpty: false }) md.AppendLine();
        md.AppendLine("| stage | rows in | rows out | quarantined | seconds |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var s in Stages)
            md.AppendLine($"| {s.Stage} | {s.RowsIn:N0} | {s.RowsOut:N0} | {s.Quarantined:N0} | {s.DurationSeconds:F2} |");
        md.AppendLine();
        md.AppendLine($"Run report: `{htmlLocation}` (also in the `run-report-*` artifact).");
        return md.ToString();
    }
}

public sealed record ReportFile(string Key, long Size, bool Reuploaded);

public sealed record ReportPartition(string Dt, long HeldRows, long BatchRows, long Rows, long PublishedRows);

public sealed record ReportCheck(string Name, string Type, string Severity, string Status, long FailingCount, string Detail);

public sealed record ReportGate(string Dataset, bool Passed, long RowsChecked, long RowsQuarantined, List<ReportCheck> Checks);

/// <summary>Builds the run report from the work area and the committed manifest, and writes it.</summary>
public static class RunReportWriter
{
    /// <summary>
    /// Called by PublishMart once the manifest is committed: records the publish stage's metrics and writes the
    /// report. A report that cannot be written is a warning, never a failed run: the data is already published.
    /// </summary>
    public static async Task<RunReport?> AfterPublishAsync(PipelineContext ctx, BatchPlan plan, HighWatermarkManifest manifest,
        TransformSummary transform, GateVerdict verdict, long started, CancellationToken ct)
    {
        var rows = verdict.MartRows.Values.Sum();
        StageMetrics.Record(ctx, StageNames.Publish, plan.BatchId, started, files: plan.Files.Count, bytes: plan.TotalBytes,
            rowsIn: rows, rowsOut: rows, partitions: transform.Partitions.Count);
        try
        {
            var report = await BuildAsync(ctx, plan, manifest, transform, verdict, ct);
            await WriteAsync(ctx, report, ct);
            return report;
        }
        catch (Exception e) when (e is IOException or StorageException or JsonException or DataException or UnauthorizedAccessException)
        {
            ctx.Log.Warn($"the run report was not written: {e.Message}");
            return null;
        }
    }

    public static async Task<RunReport> BuildAsync(PipelineContext ctx, BatchPlan plan, HighWatermarkManifest manifest,
        TransformSummary transform, GateVerdict verdict, CancellationToken ct)
    {
        return new RunReport
        {
            RunId = plan.RunId,
            BatchId = plan.BatchId,
            GeneratedAt = ctx.Clock.GetUtcNow(),
            Landing = plan.Landing,
            Warehouse = plan.Warehouse,
            ManifestVersion = manifest.Version,
            Watermark = manifest.Watermark,
            Files = plan.Files.Select(f => new ReportFile(f.Key, f.Size, f.PreviousETag is not null)).ToList(),
            Notes = plan.Notes,
            Stages = StageMetrics.ReadAll(ctx.Work, plan.BatchId),
            Gate = ReadGate(ctx.Work),
            Partitions = transform.Partitions
                .Select(p => new ReportPartition(p.Dt, p.HeldRows, p.BatchRows, p.Rows, verdict.MartRows.GetValueOrDefault(p.Dt)))
                .ToList(),
            Daily = await DailyTotals.ReadAsync(ctx.Warehouse, manifest, DailyTotals.DefaultDays, ct),
        };
    }

    /// <summary>Writes report.json and report.html to the warehouse and the work area; returns the local HTML path.</summary>
    public static async Task<string> WriteAsync(PipelineContext ctx, RunReport report, CancellationToken ct)
    {
        var json = report.ToJson();
        var html = report.ToHtml();
        var prefix = RunReport.WarehousePrefix(report.RunId);
        foreach (var (name, text) in new[] { ("report.json", json), ("report.html", html) })
        {
            using var body = new MemoryStream(Encoding.UTF8.GetBytes(text));
            await ctx.Warehouse.PutAsync(prefix + name, body, ct);
        }
        var local = RunReport.LocalFolder(ctx.Work, report.RunId);
        Directory.CreateDirectory(local);
        var htmlPath = Path.Combine(local, "report.html");
        WorkArea.WriteAtomically(Path.Combine(local, "report.json"), json);
        WorkArea.WriteAtomically(htmlPath, html);
        var markdown = report.ToMarkdown($"{ctx.Warehouse.Description}/{prefix}report.html");
        WorkArea.WriteAtomically(Path.Combine(local, "summary.md"), markdown);
        if (Environment.GetEnvironmentVariable("GITHUB_ACTIONS") == "true"
            && Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY") is { Length: > 0 } summary)
            File.AppendAllText(summary, markdown + Environment.NewLine);
        ctx.Log.Info($"  run report: {ctx.Warehouse.Description}/{prefix}report.html (local copy {htmlPath})");
        return htmlPath;
    }

    /// <summary>The gate's per-dataset reports from the work area (gate/&lt;dataset&gt;.report.json).</summary>
    public static List<ReportGate> ReadGate(WorkArea work)
    {
        var result = new List<ReportGate>();
        if (!Directory.Exists(work.GateDir)) return result;
        foreach (var file in Directory.EnumerateFiles(work.GateDir, "*.report.json").Order(StringComparer.Ordinal))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var root = doc.RootElement;
            var checks = root.GetProperty("checks").EnumerateArray().Select(c => new ReportCheck(
                c.GetProperty("name").GetString() ?? "", c.GetProperty("type").GetString() ?? "",
                c.GetProperty("severity").GetString() ?? "", c.GetProperty("status").GetString() ?? "",
                c.GetProperty("failing_count").GetInt64(), c.GetProperty("detail").GetString() ?? "")).ToList();
            result.Add(new ReportGate(root.GetProperty("dataset").GetString() ?? Path.GetFileName(file), root.GetProperty("passed").GetBoolean(),
                root.GetProperty("rows_checked").GetInt64(), root.GetProperty("rows_quarantined").GetInt64(), checks));
        }
        // sales_mart is checked first, then its KPIs: keep the pipeline's order.
        return result.OrderBy(g => g.Dataset == Schemas.SalesMart.Dataset ? 0 : 1).ThenBy(g => g.Dataset, StringComparer.Ordinal).ToList();
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RunReport))]
internal sealed partial class ReportJson : JsonSerializerContext;
