using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// Evaluates a <see cref="DataContract"/> against a batch of Parquet files in one streaming pass over their row groups:
/// schema first (metadata only), then every check, a column at a time on the columns the checks read; rows failing a
/// <c>quarantine</c> check are removed from the published files and written to the quarantine. The other columns of
/// a row group are read only to render a sample or to quarantine and copy its rows. The row groups are read and decoded
/// ahead on the other cores (<see cref="RowGroupReadAhead"/>) and judged one at a time in file order, so the result does
/// not depend on the threads. Memory is a few row groups plus what checks need (key sets for unique and references).
/// </summary>
public sealed class ContractGate
{
    /// <summary>How many row groups are read ahead of the one judged (at least one); the result does not depend on it.</summary>
    internal int Lookahead { get; init; } = RowGroupReadAhead.DefaultLookahead;

    /// <summary>
    /// Whether a check that a row group's footer statistics settle (<see cref="CheckEvaluator.IsProvenBy"/>: not_null by
    /// a null count of zero, min and max by the chunk's bounds, pattern and accepted_values by a dictionary-only chunk's
    /// dictionary) passes it without decoding its column; tests compare with a pass that scans every row.
    /// </summary>
    internal bool UseStatistics { get; init; } = true;

    /// <summary>Whether column arrays are reused from row group to row group (tests compare with a pass that allocates them).</summary>
    internal bool ReuseColumnArrays { get; init; } = true;

    public async Task<GateReport> EvaluateAsync(
        DataContract contract, IReadOnlyList<DatasetFile> files, GateContext context, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(context);

        var evaluators = contract.Checks.Select(CheckEvaluator.Create).ToList();
        var quarantining = evaluators.Where(e => e.Check.Severity == CheckSeverity.Quarantine).ToList();
        var others = evaluators.Where(e => e.Check.Severity != CheckSeverity.Quarantine).ToList();
        if (quarantining.Count > 0 && (context.OutputFolder is null || context.QuarantineFolder is null))
            throw new ConfigurationException(
                $"contract '{contract.Dataset}' has quarantine checks ({string.Join(", ", quarantining.Select(e => e.Check.Name))}); GateContext.OutputFolder and QuarantineFolder must be set");

        var rowGroupCounts = new int[files.Count];
        var schemaResult = await CheckSchemaAsync(contract, files, rowGroupCounts, ct);
        if (schemaResult.Status == CheckStatus.Fail)
        {
            return Report(contract, context, schemaResult, evaluators.Select(e => e.Skipped()).ToList(),
                fractionResult: null, rowsChecked: 0, rowsQuarantined: 0, filesToPublish: [], quarantineFile: null);
        }

        // Decoding starts now, while the checks load what they need (the referenced key set).
        await using var rowGroups = new RowGroupReadAhead(files, rowGroupCounts, contract.PartitionBy, evaluators, UseStatistics,
            Lookahead, ReuseColumnArrays ? new ColumnBufferPool() : null, ct);
        foreach (var e in evaluators)
        {
            await e.PrepareAsync(context, ct);
            e.Plan(files, contract.PartitionBy);
        }

        long totalRows = 0, quarantinedRows = 0;
        var publish = new List<DatasetFile>(files.Count);
        var outputPaths = new HashSet<string>(StringComparer.Ordinal);
        string? quarantineFile = null;

        await using (var sink = quarantining.Count > 0
                         ? new QuarantineSink(Path.Combine(context.QuarantineFolder!, contract.Dataset, SafeFileName(context.RunId) + ".ndjson"), context.RunId)
                         : null)
        {
            for (int f = 0; f < files.Count; f++)
            {
                var file = files[f];
                var outputPath = quarantining.Count > 0 ? PrepareOutput(OutputPath(contract, context.OutputFolder!, file, outputPaths)) : null;
                FilteredFileWriter? filtered = null;
                try
                {
                    var partitions = DatasetReader.Partitions(file, contract.PartitionBy);
                    long fileRow = 0;
                    for (int g = 0; g < rowGroupCounts[f]; g++)
                    {
                        ct.ThrowIfCancellationRequested();
                        // The row group, read ahead with only the columns the checks read; the rest only when a row
                        // must be rendered, quarantined or copied.
                        await using var read = await rowGroups.NextAsync()
                            ?? throw new InvalidOperationException($"row group {g} of '{file.Path}' was not read ahead");
                        var (reader, rg, batch) = (read.Reader, read.RowGroup, read.Batch);
                        int rows = batch.RowCount;

                        var keep = quarantining.Count > 0 ? await QuarantineAsync(quarantining, batch, rg, sink!, fileRow, ct) : null;
                        int kept = keep is null ? rows : keep.Count(k => k);
                        quarantinedRows += rows - kept;
                        foreach (var e in others) e.Evaluate(batch, keep, kept);

                        if (evaluators.Any(e => e.HasPendingSamples))
                        {
                            await DatasetReader.ReadAllColumnsAsync(rg, batch, ct);
                            foreach (var e in evaluators) e.RenderSamples(batch);
                        }

                        if (keep is not null && filtered is null)
                        {
                            // The first row group that loses rows: copy the row groups before it as they are.
                            filtered = await FilteredFileWriter.CreateAsync(outputPath!, reader.Schema, ct);
                            for (int previous = 0; previous < g; previous++)
                            {
                                using var prg = reader.OpenRowGroupReader(previous);
                                var whole = DatasetReader.EmptyBatch(reader, prg, file, partitions);
                                await DatasetReader.ReadAllColumnsAsync(prg, whole, ct);
                                await filtered.WriteAsync(whole, [], whole.RowCount);
                            }
                        }

                        if (filtered is not null)
                        {
                            await DatasetReader.ReadAllColumnsAsync(rg, batch, ct);
                            await filtered.WriteAsync(batch, keep ?? [], kept);
                        }

                        totalRows += rows;
                        fileRow += rows;
                    }

                    if (filtered is not null && await filtered.CompleteAsync())
                        publish.Add(file with { Path = filtered.Path });
                    else
                        publish.Add(file);
                }
                finally
                {
                    if (filtered is not null) await filtered.DisposeAsync();
                }

                foreach (var e in evaluators) e.EndFile(f);
            }

            if (sink is { Rows: > 0 }) quarantineFile = sink.Path;
        }

        long published = totalRows - quarantinedRows;
        var results = evaluators.Select(e => e.Complete(context, published)).ToList();

        CheckResult? fractionResult = null;
        if (quarantining.Count > 0)
        {
            double fraction = totalRows == 0 ? 0 : (double)quarantinedRows / totalRows;
            bool exceeded = fraction > contract.MaxQuarantinedFraction;
            var detail = FormattableString.Invariant($"{quarantinedRows} of {totalRows} rows quarantined ({fraction:P2}); max {contract.MaxQuarantinedFraction:P2}");
            fractionResult = new CheckResult
            {
                Name = "max_quarantined_fraction",
                Type = "quarantined_fraction",
                Columns = [],
                Severity = CheckSeverity.Error,
                Status = exceeded ? CheckStatus.Fail : CheckStatus.Pass,
                FailingCount = exceeded ? quarantinedRows : 0,
                Samples = exceeded ? [detail] : [],
                RowsChecked = totalRows,
                RowsQuarantined = quarantinedRows,
                Detail = detail,
            };
        }

        return Report(contract, context, schemaResult, results, fractionResult, totalRows, quarantinedRows, publish, quarantineFile);
    }

    /// <summary>
    /// Runs the quarantine checks over a batch; when rows fail, writes them to the quarantine (reasons in check
    /// order) and returns which rows stay, else null (every row stays).
    /// </summary>
    private static async Task<bool[]?> QuarantineAsync(List<CheckEvaluator> quarantining, RowBatch batch,
        global::Parquet.ParquetRowGroupReader rg, QuarantineSink sink, long fileRow, CancellationToken ct)
    {
        var failing = new IReadOnlyList<int>[quarantining.Count];
        bool any = false;
        for (int q = 0; q < quarantining.Count; q++)
        {
            failing[q] = quarantining[q].Evaluate(batch, null, batch.RowCount);
            any |= failing[q].Count > 0;
        }

        if (!any) return null;
        await DatasetReader.ReadAllColumnsAsync(rg, batch, ct);
        var keep = new bool[batch.RowCount];
        Array.Fill(keep, true);
        var next = new int[quarantining.Count];
        var reasons = new List<string>();
        while (true)
        {
            // The lowest failing row not yet written, with every check that failed it.
            int row = int.MaxValue;
            for (int q = 0; q < quarantining.Count; q++)
                if (next[q] < failing[q].Count) row = Math.Min(row, failing[q][next[q]]);
            if (row == int.MaxValue) break;
            reasons.Clear();
            for (int q = 0; q < quarantining.Count; q++)
            {
                if (next[q] >= failing[q].Count || failing[q][next[q]] != row) continue;
                next[q]++;
                quarantining[q].Quarantined++;
                reasons.Add($"{quarantining[q].Check.Name}: {quarantining[q].Offending(batch, row)}");
            }

            sink.Write(batch, row, fileRow + row, string.Join("; ", reasons));
            keep[row] = false;
        }

        return keep;
    }

    /// <summary>
    /// The copy of a file is created only when a row group loses rows; the folder is made for every file and a stale
    /// copy removed, as creating and deleting the copy of each file would leave them.
    /// </summary>
    private static string PrepareOutput(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.Delete(path);
        return path;
    }

    /// <summary>Compares each file's schema with the contract; notes each file's number of row groups on the way.</summary>
    private static async Task<CheckResult> CheckSchemaAsync(DataContract contract, IReadOnlyList<DatasetFile> files, int[] rowGroupCounts,
        CancellationToken ct)
    {
        // Issue text → (first file, number of files), so one retyped column over 300 files is one line.
        var issues = new Dictionary<string, (string File, int Count)>(StringComparer.Ordinal);
        var order = new List<string>();
        for (int f = 0; f < files.Count; f++)
        {
            var file = files[f];
            await using var reader = await DatasetReader.OpenAsync(file, ct);
            rowGroupCounts[f] = reader.RowGroupCount;
            foreach (var issue in SchemaComparison.Compare(contract, reader.Schema, file))
            {
                if (issues.TryGetValue(issue, out var seen)) issues[issue] = (seen.File, seen.Count + 1);
                else { issues[issue] = (file.Path, 1); order.Add(issue); }
            }
        }

        var samples = order.Select(i => issues[i].Count == 1
            ? $"{i} (in {Path.GetFileName(issues[i].File)})"
            : $"{i} (in {issues[i].Count} files, e.g. {Path.GetFileName(issues[i].File)})").ToList();
        var columns = order.Select(i => i.Split(':')[0].Replace("partition column ", "").Replace("column ", "")).Distinct().ToList();
        return new CheckResult
        {
            Name = "schema",
            Type = "schema",
            Columns = columns,
            Severity = CheckSeverity.Error,
            Status = order.Count == 0 ? CheckStatus.Pass : CheckStatus.Fail,
            FailingCount = order.Count,
            Samples = samples,
            Detail = $"{contract.Columns.Count} columns{(contract.PartitionBy.Count > 0 ? $", partitioned by {string.Join(", ", contract.PartitionBy)}" : "")}, {files.Count} file{(files.Count == 1 ? "" : "s")}",
        };
    }

    private static GateReport Report(DataContract contract, GateContext context, CheckResult schema, List<CheckResult> checks,
        CheckResult? fractionResult, long rowsChecked, long rowsQuarantined, IReadOnlyList<DatasetFile> filesToPublish, string? quarantineFile)
    {
        var all = new List<CheckResult> { schema };
        all.AddRange(checks);
        if (fractionResult is not null) all.Add(fractionResult);
        return new GateReport
        {
            Dataset = contract.Dataset,
            ContractVersion = contract.Version,
            RunId = context.RunId,
            RunTime = context.RunTime,
            Passed = all.All(c => c.Status != CheckStatus.Fail),
            RowsChecked = rowsChecked,
            RowsQuarantined = rowsQuarantined,
            MaxQuarantinedFraction = contract.MaxQuarantinedFraction,
            Checks = all,
            FilesToPublish = filesToPublish,
            QuarantineFile = quarantineFile,
        };
    }

    private static string OutputPath(DataContract contract, string outputFolder, DatasetFile file, HashSet<string> used)
    {
        var folder = contract.PartitionBy.Aggregate(outputFolder, (dir, p) => Path.Combine(dir, $"{p}={file.PartitionValues[p]}"));
        var name = Path.GetFileNameWithoutExtension(file.Path);
        var ext = Path.GetExtension(file.Path);
        var path = Path.Combine(folder, name + ext);
        for (int i = 1; !used.Add(path); i++)
            path = Path.Combine(folder, $"{name}-{i}{ext}");
        if (Path.GetFullPath(path) == Path.GetFullPath(file.Path))
            throw new ConfigurationException($"GateContext.OutputFolder must differ from the input folder: '{file.Path}' would be overwritten");
        return path;
    }

    private static string SafeFileName(string text) =>
        string.Concat(text.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
