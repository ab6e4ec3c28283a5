namespace Highwater.Contracts;

/// <summary>
/// Evaluates a <see cref="DataContract"/> against a batch of Parquet files in one streaming pass over their row groups:
/// schema first, then every check; rows failing a <c>quarantine</c> check are removed from the published files and
/// written to the quarantine. Memory is one row group plus what checks need (key sets for unique and references).
/// </summary>
public sealed class QualityGate
{
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

        var schemaResult = await CheckSchemaAsync(contract, files, ct);
        if (schemaResult.Status == CheckStatus.Fail)
        {
            return Report(contract, context, schemaResult, evaluators.Select(e => e.Skipped()).ToList(),
                fractionResult: null, rowsChecked: 0, rowsQuarantined: 0, filesToPublish: [], quarantineFile: null);
        }

        foreach (var e in evaluators) await e.PrepareAsync(context, ct);

        long totalRows = 0, quarantinedRows = 0;
        var publish = new List<DatasetFile>(files.Count);
        var outputPaths = new HashSet<string>(StringComparer.Ordinal);
        string? quarantineFile = null;

        await using (var sink = quarantining.Count > 0
                         ? new QuarantineSink(Path.Combine(context.QuarantineFolder!, contract.Dataset, SafeFileName(context.RunId) + ".ndjson"), context.RunId)
                         : null)
        {
            foreach (var file in files)
            {
                await using var reader = await DatasetReader.OpenAsync(file, ct);
                await using var filtered = quarantining.Count > 0
                    ? await FilteredFileWriter.CreateAsync(OutputPath(contract, context.OutputFolder!, file, outputPaths), reader.Schema, ct)
                    : null;

                long fileRow = 0;
                await foreach (var batch in DatasetReader.ReadBatchesAsync(reader, file, contract.PartitionBy, ct))
                {
                    foreach (var e in evaluators) e.Bind(batch);
                    var keep = new bool[batch.RowCount];
                    int kept = 0;
                    for (int row = 0; row < batch.RowCount; row++, fileRow++)
                    {
                        List<string>? reasons = null;
                        foreach (var e in quarantining)
                        {
                            if (e.Evaluate(batch, row) is { } offending)
                            {
                                e.Quarantined++;
                                (reasons ??= []).Add($"{e.Check.Name}: {offending}");
                            }
                        }

                        if (reasons is not null)
                        {
                            sink!.Write(batch, row, fileRow, string.Join("; ", reasons));
                            quarantinedRows++;
                            continue;
                        }

                        keep[row] = true;
                        kept++;
                        foreach (var e in others) e.Evaluate(batch, row);
                    }

                    totalRows += batch.RowCount;
                    if (filtered is not null) await filtered.WriteAsync(batch, keep, kept);
                }

                if (filtered is not null && await filtered.CompleteAsync())
                    publish.Add(file with { Path = filtered.Path });
                else
                    publish.Add(file);
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

    private static async Task<CheckResult> CheckSchemaAsync(DataContract contract, IReadOnlyList<DatasetFile> files, CancellationToken ct)
    {
        // Issue text → (first file, number of files), so one retyped column over 300 files is one line.
        var issues = new Dictionary<string, (string File, int Count)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var file in files)
        {
            await using var reader = await DatasetReader.OpenAsync(file, ct);
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
