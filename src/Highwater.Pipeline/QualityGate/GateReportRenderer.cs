using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Highwater.Pipeline.Core.Contracts;
using static Highwater.Pipeline.Core.Logging.WorkflowCommandEscaping;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// Renders a <see cref="GateReport"/> as JSON, Markdown, plain console text and GitHub annotations. Deterministic output.
/// Every printed form escapes samples (landed values) with <see cref="WorkflowCommandEscaping"/>; names and
/// details come from the contract and our own text. JSON escapes values itself.
/// </summary>
internal static class GateReportRenderer
{
    public static string Json(GateReport r)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("dataset", r.Dataset);
            w.WriteString("contract_version", r.ContractVersion);
            w.WriteString("run_id", r.RunId);
            w.WriteString("run_time", r.RunTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
            w.WriteBoolean("passed", r.Passed);
            w.WriteNumber("rows_checked", r.RowsChecked);
            w.WriteNumber("rows_quarantined", r.RowsQuarantined);
            w.WriteNumber("quarantined_fraction", Math.Round(r.QuarantinedFraction, 6));
            w.WriteNumber("max_quarantined_fraction", r.MaxQuarantinedFraction);
            w.WriteStartArray("checks");
            foreach (var c in r.Checks)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("type", c.Type);
                w.WriteStartArray("columns");
                foreach (var col in c.Columns) w.WriteStringValue(col);
                w.WriteEndArray();
                w.WriteString("severity", Word(c.Severity));
                w.WriteString("status", Word(c.Status));
                w.WriteNumber("failing_count", c.FailingCount);
                w.WriteNumber("rows_checked", c.RowsChecked);
                w.WriteNumber("rows_quarantined", c.RowsQuarantined);
                w.WriteString("detail", c.Detail);
                w.WriteStartArray("samples");
                foreach (var s in c.Samples) w.WriteStringValue(s);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Markdown(GateReport r)
    {
        var sb = new StringBuilder();
        sb.Append($"### Data contract `{r.Dataset}` v{r.ContractVersion}: {(r.Passed ? "PASSED" : "FAILED")}\n\n");
        sb.Append($"Run `{r.RunId}` at {Time(r)} · {r.RowsChecked} rows checked · {r.RowsQuarantined} quarantined ({Percent(r.QuarantinedFraction)}, max {Percent(r.MaxQuarantinedFraction)})\n\n");
        sb.Append("| Check | Type | Columns | Severity | Status | Failing | Rows checked | Quarantined | Detail |\n");
        sb.Append("|---|---|---|---|---|---:|---:|---:|---|\n");
        foreach (var c in r.Checks)
        {
            sb.Append($"| {Cell(c.Name)} | {c.Type} | {Cell(string.Join(", ", c.Columns))} | {Word(c.Severity)} | {Badge(c.Status)} | {c.FailingCount} | {c.RowsChecked} | {c.RowsQuarantined} | {Cell(c.Detail)} |\n");
        }

        var withSamples = r.Checks.Where(c => c.Samples.Count > 0).ToList();
        if (withSamples.Count > 0)
        {
            sb.Append("\n#### Samples\n");
            foreach (var c in withSamples)
            {
                sb.Append($"\n**{Cell(c.Name)}** ({Word(c.Status)}, {c.FailingCount} failing)\n\n");
                foreach (var s in c.Samples) sb.Append("- `").Append(Data(s).Replace("`", "'")).Append("`\n");
            }
        }

        return sb.ToString();
    }

    public static string Console(GateReport r)
    {
        string[] header = ["STATUS", "CHECK", "TYPE", "COLUMNS", "SEVERITY", "FAILING", "CHECKED", "QUARANTINED"];
        var rows = r.Checks.Select(c => new[]
        {
            Word(c.Status).ToUpperInvariant(), c.Name, c.Type, string.Join(",", c.Columns), Word(c.Severity),
            c.FailingCount.ToString(CultureInfo.InvariantCulture), c.RowsChecked.ToString(CultureInfo.InvariantCulture),
            c.RowsQuarantined.ToString(CultureInfo.InvariantCulture),
        }).ToList();
        var widths = header.Select((h, i) => rows.Select(x => x[i].Length).Append(h.Length).Max()).ToArray();

        var sb = new StringBuilder();
        sb.Append($"{r.Dataset} v{r.ContractVersion} run {r.RunId} at {Time(r)}: {(r.Passed ? "PASSED" : "FAILED")} ({r.RowsChecked} rows, {r.RowsQuarantined} quarantined)\n");
        void Line(string[] cells) =>
            sb.Append(string.Join("  ", cells.Select((x, i) => i >= 5 ? x.PadLeft(widths[i]) : x.PadRight(widths[i]))).TrimEnd()).Append('\n');
        Line(header);
        foreach (var row in rows) Line(row);
        foreach (var c in r.Checks.Where(c => c.Status is CheckStatus.Fail or CheckStatus.Warn))
        {
            sb.Append($"{Word(c.Status).ToUpperInvariant()} {c.Name}: {c.FailingCount} failing{(c.Detail.Length > 0 ? $" ({c.Detail})" : "")}\n");
            foreach (var s in c.Samples) sb.Append("    ").Append(Data(s)).Append('\n');
        }

        return sb.ToString();
    }

    public static IReadOnlyList<string> GitHub(GateReport r)
    {
        var lines = new List<string>();
        foreach (var c in r.Checks.Where(c => c.Status is CheckStatus.Fail or CheckStatus.Warn))
        {
            string level = c.Status == CheckStatus.Fail ? "error" : "warning";
            string title = $"Data contract {r.Dataset}: {c.Name}";
            var message = new StringBuilder($"{c.Type}{(c.Columns.Count > 0 ? " on " + string.Join(", ", c.Columns) : "")}: {c.FailingCount} failing");
            if (c.Detail.Length > 0) message.Append($" ({c.Detail})");
            // Each sample is escaped once as a value (one line) and the message again as the command's data.
            if (c.Samples.Count > 0) message.Append("\nSamples:\n").Append(string.Join("\n", c.Samples.Select(Data)));
            lines.Add($"::{level} title={Property(title)}::{Data(message.ToString())}");
        }

        return lines;
    }

    private static string Time(GateReport r) => r.RunTime.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Percent(double f) => (f * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Cell(string s) => s.Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");

    private static string Badge(CheckStatus s) => s switch
    {
        CheckStatus.Pass => "✅ pass",
        CheckStatus.Fail => "❌ fail",
        CheckStatus.Warn => "⚠️ warn",
        _ => "⏭️ skipped",
    };

    public static string Word(CheckSeverity s) => s switch
    {
        CheckSeverity.Error => "error",
        CheckSeverity.Warn => "warn",
        _ => "quarantine",
    };

    public static string Word(CheckStatus s) => s switch
    {
        CheckStatus.Pass => "pass",
        CheckStatus.Fail => "fail",
        CheckStatus.Warn => "warn",
        _ => "skipped",
    };
}
