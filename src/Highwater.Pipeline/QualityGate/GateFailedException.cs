using System.Text;
using Highwater.Pipeline.Core.Logging;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// A dataset broke its contract; the message names each failing rule, its count and sample rows (escaped with
/// <see cref="WorkflowCommandEscaping"/>: one line each, never a workflow command).
/// </summary>
public sealed class GateFailedException : Exception
{
    public GateFailedException(GateReport report) : base(Describe(report)) => Report = report;

    public GateReport Report { get; }

    private static string Describe(GateReport report)
    {
        var failures = report.Failures.ToList();
        var sb = new StringBuilder();
        sb.Append($"Data contract '{report.Dataset}' v{report.ContractVersion} failed for run {report.RunId}: ")
          .Append(failures.Count).Append(failures.Count == 1 ? " rule" : " rules").Append(" broken");
        foreach (var f in failures)
        {
            sb.AppendLine();
            sb.Append($"- {f.Name} ({f.Type}{(f.Columns.Count > 0 ? " " + string.Join(", ", f.Columns) : "")}): {f.FailingCount} failing");
            if (f.Detail.Length > 0) sb.Append($" [{f.Detail}]");
            foreach (var s in f.Samples)
            {
                sb.AppendLine();
                sb.Append("    ").Append(WorkflowCommandEscaping.Data(s));
            }
        }

        return sb.ToString();
    }
}
