using System.Globalization;
using System.Net;
using System.Text;

namespace Highwater.Pipeline.Core.Reporting;

/// <summary>
/// Renders a <see cref="RunReport"/> as one self-contained HTML page: inline CSS and an inline SVG chart, no
/// scripts, no fonts or images to fetch, so it opens the same from an artifact, a bucket or a file share.
/// The chart has one bar (revenue) and one point (orders) per day, marked <c>class="bar"</c> / <c>class="point"</c>
/// with <c>data-dt</c>, each with a native SVG tooltip.
/// </summary>
public static class RunReportHtml
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private const string Css = """
        :root { color-scheme: light; --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --bar:#2f80ed; --pt:#e8590c; --ok:#2b8a3e; --warn:#b7791f; --fail:#c92a2a; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); margin: 0; background: #f5f7fa; }
        main { max-width: 1180px; margin: 0 auto; padding: 24px; }
        h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
        .sub { color: var(--muted); margin: 0 0 16px; }
        .cards { display: flex; flex-wrap: wrap; gap: 12px; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 150px; }
        .card b { display: block; font-size: 20px; } .card span { color: var(--muted); font-size: 12px; }
        section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-top: 16px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: 12px; color: var(--muted); font-weight: 600; }
        td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
        code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
        .pass { color: var(--ok); font-weight: 600; } .warn { color: var(--warn); font-weight: 600; } .fail { color: var(--fail); font-weight: 600; }
        .legend { display: flex; gap: 16px; color: var(--muted); font-size: 12px; margin: 4px 0; }
        .sw { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
        svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: var(--muted); }
        .empty { color: var(--muted); font-style: italic; }
        """;

    public static string Render(RunReport r)
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append($"<title>Highwater run {E(r.RunId)}</title>\n<style>\n{Css}\n</style>\n</head>\n<body>\n<main>\n");
        h.Append($"<h1>Highwater run <code>{E(r.RunId)}</code></h1>\n");
        h.Append($"<p class=\"sub\">batch {E(r.BatchId)} · generated {r.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", Inv)} · " +
                 $"landing <code>{E(r.Landing)}</code> → warehouse <code>{E(r.Warehouse)}</code></p>\n");

        var gatePassed = r.Gate.Count > 0 && r.Gate.All(g => g.Passed);
        h.Append("<div class=\"cards\">\n");
        Card(h, N(r.Files.Count), "files picked up");
        Card(h, N(r.Partitions.Count), "partitions rewritten");
        Card(h, N(r.Partitions.Sum(p => p.PublishedRows)), "rows in rewritten partitions");
        Card(h, N(r.Stages.Sum(s => s.Quarantined)), "rows quarantined");
        Card(h, r.Gate.Count == 0 ? "n/a" : gatePassed ? "<span class=\"pass\">passed</span>" : "<span class=\"fail\">failed</span>", "quality gate", raw: true);
        Card(h, "v" + N(r.ManifestVersion), "manifest version");
        Card(h, r.Stages.Sum(s => s.DurationSeconds).ToString("F1", Inv) + " s", "stage time");
        h.Append("</div>\n");

        h.Append("<section id=\"daily\">\n<h2>Daily revenue and orders</h2>\n");
        Chart(h, r.Daily);
        h.Append("</section>\n");

        h.Append("<section id=\"stages\">\n<h2>Stages</h2>\n<table>\n<thead><tr><th>stage</th><th class=\"n\">files</th><th class=\"n\">rows in</th>" +
                 "<th class=\"n\">rows out</th><th class=\"n\">quarantined</th><th class=\"n\">partitions</th><th class=\"n\">seconds</th><th>started (UTC)</th></tr></thead>\n<tbody>\n");
        foreach (var s in r.Stages)
            h.Append($"<tr><td>{E(s.Stage)}</td><td class=\"n\">{N(s.Files)}</td><td class=\"n\">{N(s.RowsIn)}</td><td class=\"n\">{N(s.RowsOut)}</td>" +
                     $"<td class=\"n\">{N(s.Quarantined)}</td><td class=\"n\">{N(s.Partitions)}</td><td class=\"n\">{s.DurationSeconds.ToString("F2", Inv)}</td>" +
                     $"<td>{s.StartedAt.UtcDateTime.ToString("HH:mm:ss", Inv)}</td></tr>\n");
        h.Append("</tbody>\n</table>\n</section>\n");

        h.Append("<section id=\"gate\">\n<h2>Quality gate</h2>\n");
        if (r.Gate.Count == 0) h.Append("<p class=\"empty\">No gate report in the work area.</p>\n");
        foreach (var g in r.Gate)
        {
            h.Append($"<p><b>{E(g.Dataset)}</b>: {Status(g.Passed ? "pass" : "fail")} · {N(g.RowsChecked)} rows checked, {N(g.RowsQuarantined)} quarantined</p>\n");
            h.Append("<table>\n<thead><tr><th>check</th><th>type</th><th>severity</th><th>status</th><th class=\"n\">failing</th><th>detail</th></tr></thead>\n<tbody>\n");
            foreach (var c in g.Checks)
                h.Append($"<tr><td>{E(c.Name)}</td><td>{E(c.Type)}</td><td>{E(c.Severity)}</td><td>{Status(c.Status)}</td>" +
                         $"<td class=\"n\">{N(c.FailingCount)}</td><td>{E(c.Detail)}</td></tr>\n");
            h.Append("</tbody>\n</table>\n");
        }
        h.Append("</section>\n");

        h.Append("<section id=\"partitions\">\n<h2>Partitions rewritten</h2>\n<table>\n<thead><tr><th>dt</th><th class=\"n\">rows held before</th>" +
                 "<th class=\"n\">rows from this batch</th><th class=\"n\">rows after merge</th><th class=\"n\">rows published</th></tr></thead>\n<tbody>\n");
        foreach (var p in r.Partitions)
            h.Append($"<tr><td>{E(p.Dt)}</td><td class=\"n\">{N(p.HeldRows)}</td><td class=\"n\">{N(p.BatchRows)}</td><td class=\"n\">{N(p.Rows)}</td><td class=\"n\">{N(p.PublishedRows)}</td></tr>\n");
        h.Append("</tbody>\n</table>\n</section>\n");

        h.Append("<section id=\"files\">\n<h2>Files picked up</h2>\n<table>\n<thead><tr><th>key</th><th class=\"n\">bytes</th><th>kind</th></tr></thead>\n<tbody>\n");
        foreach (var f in r.Files)
            h.Append($"<tr><td><code>{E(f.Key)}</code></td><td class=\"n\">{N(f.Size)}</td><td>{(f.Reuploaded ? "re-uploaded" : "new")}</td></tr>\n");
        h.Append("</tbody>\n</table>\n</section>\n");

        if (r.Notes is { IsEmpty: false } notes)
        {
            h.Append("<section id=\"landing\">\n<h2>Landing zone notes</h2>\n");
            foreach (var line in new[] { notes.DescribeFuture(), notes.DescribeHidden() })
                if (line is not null) h.Append($"<p>{E(line)}</p>\n");
            if (notes.IgnoredCount > 0)
            {
                h.Append($"<p>{N(notes.IgnoredCount)} file(s) ignored{(notes.IgnoredCount > notes.Ignored.Count ? $" (the first {N(notes.Ignored.Count)} listed)" : "")}:</p>\n");
                h.Append("<table>\n<thead><tr><th>key</th><th>why</th></tr></thead>\n<tbody>\n");
                foreach (var k in notes.Ignored) h.Append($"<tr><td><code>{E(k.Key)}</code></td><td>{E(k.Reason)}</td></tr>\n");
                h.Append("</tbody>\n</table>\n");
            }
            h.Append("</section>\n");
        }

        h.Append("</main>\n</body>\n</html>\n");
        return h.ToString();
    }

    /// <summary>Bars: revenue per day (left axis); line with points: orders per day (right axis).</summary>
    private static void Chart(StringBuilder h, IReadOnlyList<DailyPoint> days)
    {
        if (days.Count == 0)
        {
            h.Append("<p class=\"empty\">No kpi_daily partitions published yet.</p>\n");
            return;
        }
        var currencies = days.SelectMany(d => d.RevenueByCurrency.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var revenueLabel = currencies.Count == 1 ? $"revenue ({E(currencies[0])})" : $"revenue (nominal sum of {E(string.Join(", ", currencies))})";
        h.Append($"<div class=\"legend\"><span><i class=\"sw\" style=\"background:var(--bar)\"></i>{revenueLabel}, left axis</span>" +
                 "<span><i class=\"sw\" style=\"background:var(--pt);border-radius:50%\"></i>orders, right axis</span>" +
                 $"<span>{days.Count} day(s): {E(days[0].Dt)} – {E(days[^1].Dt)}</span></div>\n");

        const double width = 1100, height = 320, left = 70, right = 60, top = 16, bottom = 56;
        var plotW = width - left - right;
        var plotH = height - top - bottom;
        var maxRevenue = NiceMax((double)days.Max(d => d.Revenue));
        var maxOrders = NiceMax(days.Max(d => d.Orders));
        if (maxOrders >= 4) maxOrders = Math.Ceiling(maxOrders / 4) * 4; // whole-number ticks
        var slot = plotW / days.Count;
        var barW = Math.Max(2, Math.Min(48, slot * 0.6));

        h.Append(Inv, $"<svg id=\"daily-chart\" role=\"img\" aria-label=\"Daily revenue and orders\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"100%\" preserveAspectRatio=\"xMidYMid meet\">\n");
        for (var i = 0; i <= 4; i++)
        {
            var y = top + plotH - plotH * i / 4;
            h.Append(Inv, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{y:F1}\" y2=\"{y:F1}\" stroke=\"#d9e2ec\"/>");
            h.Append(Inv, $"<text x=\"{left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Compact(maxRevenue * i / 4)}</text>");
            h.Append(Inv, $"<text x=\"{width - right + 6}\" y=\"{y + 4:F1}\" text-anchor=\"start\">{Compact(maxOrders * i / 4)}</text>\n");
        }
        var labelEvery = Math.Max(1, (int)Math.Ceiling(days.Count / 15.0));
        var points = new List<(double X, double Y, DailyPoint D)>();
        for (var i = 0; i < days.Count; i++)
        {
            var d = days[i];
            var cx = left + slot * (i + 0.5);
            var bh = maxRevenue == 0 ? 0 : plotH * (double)d.Revenue / maxRevenue;
            var byCurrency = string.Join(", ", d.RevenueByCurrency.Select(c => $"{c.Key} {c.Value.ToString("N2", Inv)}"));
            h.Append(Inv, $"<rect class=\"bar\" data-dt=\"{E(d.Dt)}\" data-revenue=\"{d.Revenue.ToString(Inv)}\" x=\"{cx - barW / 2:F1}\" y=\"{top + plotH - bh:F1}\" width=\"{barW:F1}\" height=\"{bh:F1}\" fill=\"#2f80ed\" rx=\"2\">");
            h.Append($"<title>{E(d.Dt)}: revenue {E(byCurrency)}</title></rect>\n");
            points.Add((cx, top + plotH - (maxOrders == 0 ? 0 : plotH * d.Orders / maxOrders), d));
            if (i % labelEvery == 0)
                h.Append(Inv, $"<text x=\"{cx:F1}\" y=\"{top + plotH + 16:F1}\" text-anchor=\"end\" transform=\"rotate(-35 {cx:F1} {top + plotH + 16:F1})\">{E(d.Dt)}</text>\n");
        }
        if (points.Count > 1)
            h.Append($"<polyline fill=\"none\" stroke=\"#e8590c\" stroke-width=\"2\" points=\"{string.Join(" ", points.Select(p => string.Create(Inv, $"{p.X:F1},{p.Y:F1}")))}\"/>\n");
        foreach (var (x, y, d) in points)
            h.Append(Inv, $"<circle class=\"point\" data-dt=\"{E(d.Dt)}\" data-orders=\"{d.Orders}\" cx=\"{x:F1}\" cy=\"{y:F1}\" r=\"4\" fill=\"#e8590c\"><title>{E(d.Dt)}: {d.Orders} orders</title></circle>\n");
        h.Append(Inv, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{top + plotH}\" y2=\"{top + plotH}\" stroke=\"#9aa5b1\"/>\n");
        h.Append("</svg>\n");

        h.Append("<table>\n<thead><tr><th>dt</th><th class=\"n\">orders</th><th class=\"n\">revenue</th><th>by currency</th></tr></thead>\n<tbody>\n");
        foreach (var d in days.AsEnumerable().Reverse())
            h.Append($"<tr><td>{E(d.Dt)}</td><td class=\"n\">{N(d.Orders)}</td><td class=\"n\">{d.Revenue.ToString("N2", Inv)}</td>" +
                     $"<td>{E(string.Join(", ", d.RevenueByCurrency.Select(c => $"{c.Key} {c.Value.ToString("N2", Inv)}")))}</td></tr>\n");
        h.Append("</tbody>\n</table>\n");
    }

    private static void Card(StringBuilder h, string value, string label, bool raw = false) =>
        h.Append($"<div class=\"card\"><b>{(raw ? value : E(value))}</b><span>{E(label)}</span></div>\n");

    private static string Status(string status)
    {
        var css = status switch { "pass" => "pass", "warn" => "warn", _ when status.StartsWith("fail", StringComparison.Ordinal) => "fail", _ => "" };
        return $"<span class=\"{css}\">{E(status)}</span>";
    }

    private static double NiceMax(double value)
    {
        if (value <= 0) return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
            if (step * magnitude >= value) return step * magnitude;
        return 10 * magnitude;
    }

    private static string Compact(double v) => v >= 10_000 ? (v / 1000).ToString("0.#", Inv) + "k" : v.ToString(v % 1 == 0 ? "0" : "0.##", Inv);

    private static string N(long v) => v.ToString("N0", Inv);

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
}
