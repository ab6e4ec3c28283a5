using Parquet;
using Parquet.Schema;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.QualityGate;
using Highwater.Pipeline.Core.Schema;
using Highwater.Tests.Support;

namespace Highwater.Tests.Contracts;

/// <summary>A sales_mart row with valid defaults; tests change the fields they care about.</summary>
public sealed record SalesRow
{
    public string? OrderId { get; init; } = "o-1";
    public long UserId { get; init; } = 1;
    public DateTime EventTs { get; init; } = new(2024, 3, 1, 10, 0, 0, DateTimeKind.Utc);
    public DateTime ArrivalTs { get; init; } = new(2024, 3, 1, 10, 5, 0, DateTimeKind.Utc);
    public int? Qty { get; init; } = 2;
    public decimal? UnitPrice { get; init; } = 9.99m;
    public decimal? TotalPrice { get; init; } = 19.98m;
    public string? Currency { get; init; } = "EUR";
    public string? Sku { get; init; } = "sku-1";
    public string? Channel { get; init; } = "web";
    public string? Country { get; init; } = "DE";
    public string? Segment { get; init; } = "retail";
    public DateTime? SignupDate { get; init; } = new(2023, 1, 15, 0, 0, 0, DateTimeKind.Utc);
    public string SourceKey { get; init; } = "landing/2024-03-01/part-0.jsonl";

    /// <summary>The value of column <paramref name="column"/> (snake_case): the property of that name in PascalCase, else null.</summary>
    public static Func<SalesRow, object?> Getter(string column)
    {
        var name = string.Concat(column.Split('_').Select(part => part.Length == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..]));
        var property = typeof(SalesRow).GetProperty(name);
        return property is null ? _ => null : row => property.GetValue(row);
    }
}

/// <summary>A gate run of <see cref="ContractFixtures.RunGateAsync"/>: the report, as JSON and Markdown, and the files it wrote.</summary>
public sealed record GateRun(GateReport Report, string Json, string Markdown, SortedDictionary<string, byte[]> Outputs);

/// <summary>Temp folders, Parquet fixtures built from the repository's contracts, and contracts from inline YAML.</summary>
public sealed class ContractFixtures : IDisposable
{
    public static readonly DateTimeOffset RunTime = new(2024, 3, 2, 6, 0, 0, TimeSpan.Zero);

    public ContractFixtures()
    {
        Root = Path.Combine(Path.GetTempPath(), "highwater-contracts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Output => Path.Combine(Root, "out");

    public string Quarantine => Path.Combine(Root, "quarantine");

    public List<DatasetFile> Users { get; } = [];

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    public GateContext Context(string runId = "run-1") => new(RunTime, runId)
    {
        ResolveDataset = name => name == "users" ? Users : [],
        OutputFolder = Output,
        QuarantineFolder = Quarantine,
    };

    /// <summary>The repository's sales_mart contract (data-contracts/sales_mart.yaml): the columns every fixture derives from.</summary>
    public static DataContract RepositorySales { get; } = ContractLoader.Load(Path.Combine(RepoRoot.Path, "data-contracts", "sales_mart.yaml"));

    /// <summary>The repository's sales_mart columns plus the given checks (YAML list items, indented by two).</summary>
    public static DataContract SalesContract(string checks, string extra = "", string path = "sales_mart.yaml") =>
        ContractLoader.Parse(SalesYaml(checks, extra), path);

    /// <summary>
    /// A sales_mart contract document: the repository contract's columns (name, type, nullability), then
    /// <paramref name="checks"/> under <c>checks:</c>, starting on line <see cref="ChecksLine"/> of the document.
    /// </summary>
    public static string SalesYaml(string checks, string extra = "") => $$"""
        dataset: sales_mart
        version: "1"
        owner: tests
        partition_by: [dt]
        {{extra}}
        columns:
        {{string.Join("\n", RepositorySales.Columns.Select(c => $"  - {{name: {c.Name}, type: \"{c.Type}\", nullable: {(c.Nullable ? "true" : "false")}}}"))}}
        checks:
        {{Indent(checks)}}
        """;

    /// <summary>The 1-based line of a document built by <see cref="SalesYaml"/> on which the first check starts.</summary>
    public static int ChecksLine(string yaml) =>
        yaml.Replace("\r\n", "\n").Split('\n').ToList().IndexOf("checks:") + 2;

    public static string Indent(string text) =>
        string.Join("\n", text.Replace("\r\n", "\n").Split('\n').Select(l => "  " + l));

    /// <summary>
    /// A sales_mart file written by Parquet.Net with the repository contract's columns, in its order; each column's
    /// values come from the <see cref="SalesRow"/> property of the same name in PascalCase (a column with no such
    /// property is written as nulls), so a column added to the contract needs no change here.
    /// </summary>
    public async Task<DatasetFile> WriteSalesAsync(string dt, IReadOnlyList<SalesRow> rows, int rowGroupSize = int.MaxValue, string name = "part-0.parquet")
    {
        var path = Path.Combine(Root, "in", "sales_mart", $"dt={dt}", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var columns = RepositorySales.Columns.Select(c => (Column: c, Field: ContractFields.Of(c), Value: SalesRow.Getter(c.Name))).ToList();
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(columns.Select(c => (Field)c.Field)), stream))
        {
            foreach (var chunk in rows.Chunk(Math.Max(1, Math.Min(rowGroupSize, Math.Max(rows.Count, 1)))))
            {
                using var g = writer.CreateRowGroup();
                var all = Enumerable.Repeat(true, chunk.Length).ToArray();
                foreach (var (column, field, value) in columns)
                    await RowGroupColumns.WriteFilteredAsync(g, field, ContractFields.Values(column, chunk.Select(value)), all, chunk.Length);
            }
        }

        return DatasetFile.FromPath(Path.Combine(Root, "in", "sales_mart"), path);
    }

    /// <summary>
    /// Runs <paramref name="gate"/> with its output and quarantine under <paramref name="folder"/> of the fixture's root:
    /// the report, its JSON and Markdown (the root replaced by ROOT) and every file the run wrote, by relative path.
    /// </summary>
    public async Task<GateRun> RunGateAsync(DataContract contract, IReadOnlyList<DatasetFile> files, ContractGate gate, string folder)
    {
        var root = Path.Combine(Root, folder);
        var context = Context() with { OutputFolder = Path.Combine(root, "out"), QuarantineFolder = Path.Combine(root, "quarantine") };
        var report = await gate.EvaluateAsync(contract, files, context);
        var outputs = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        if (Directory.Exists(root))
            foreach (var path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
                outputs[Path.GetRelativePath(root, path)] = await File.ReadAllBytesAsync(path);
        return new GateRun(report, report.ToJson().Replace(root, "ROOT"), report.ToMarkdown().Replace(root, "ROOT"), outputs);
    }

    /// <summary>Two runs gave the same report (JSON and Markdown) and wrote the same files, byte for byte.</summary>
    public static void AssertSameRun(GateRun expected, GateRun actual)
    {
        Xunit.Assert.Equal(expected.Json, actual.Json);
        Xunit.Assert.Equal(expected.Markdown, actual.Markdown);
        Xunit.Assert.Equal(expected.Outputs.Keys, actual.Outputs.Keys);
        foreach (var (name, bytes) in expected.Outputs) Xunit.Assert.True(bytes.SequenceEqual(actual.Outputs[name]), name);
    }

    /// <summary>A sales_mart file written by the mart's own writer (<see cref="MartPartitionFile"/>), as Transform writes one.</summary>
    public async Task<DatasetFile> WriteMartAsync(string dt, IReadOnlyList<SalesRow> rows, string name = "part-0.parquet")
    {
        var path = Path.Combine(Root, "in", "sales_mart", $"dt={dt}", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var stream = File.Create(path))
            await MartTestRows.WriteAsync(stream, rows.Select(r => new MartRecord(r.OrderId, r.UserId, r.EventTs, r.ArrivalTs,
                r.Qty, r.UnitPrice, r.TotalPrice, r.Currency, r.Sku, r.Channel, r.Country, r.Segment, r.SignupDate, r.SourceKey)).ToList());
        return DatasetFile.FromPath(Path.Combine(Root, "in", "sales_mart"), path);
    }

    public async Task<DatasetFile> WriteUsersAsync(params long[] userIds)
    {
        var path = Path.Combine(Root, "in", "users", $"users-{Users.Count}.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(Schemas.Users.Schema, stream))
        {
            using var g = writer.CreateRowGroup();
            await g.WriteAsync<long>(Schemas.Users.UserId, userIds);
            await g.WriteAsync(Schemas.Users.Country, userIds.Select(_ => (string?)"DE").ToArray());
            await g.WriteAsync(Schemas.Users.Segment, userIds.Select(_ => (string?)"retail").ToArray());
            await g.WriteAsync<DateTime>(Schemas.Users.SignupDate, (ReadOnlyMemory<DateTime?>)userIds.Select(_ => (DateTime?)new DateTime(2023, 1, 1, 0, 0, 0, DateTimeKind.Utc)).ToArray());
        }

        var file = new DatasetFile(path, new Dictionary<string, string>());
        Users.Add(file);
        return file;
    }

    /// <summary>A file with an arbitrary schema; each column is a typed array (string?[], long[], int?[], …).</summary>
    public async Task<DatasetFile> WriteColumnsAsync(string relativePath, ParquetSchema schema, params Array[] columns)
    {
        var path = Path.Combine(Root, "in", relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        int rows = columns[0].Length;
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream))
        {
            using var g = writer.CreateRowGroup();
            var keep = Enumerable.Repeat(true, rows).ToArray();
            for (int i = 0; i < columns.Length; i++)
                await RowGroupColumns.WriteFilteredAsync(g, schema.DataFields[i], columns[i], keep, rows);
        }

        return DatasetFile.FromPath(Path.Combine(Root, "in", relativePath.Split('/')[0]), path);
    }

    public static async Task<List<string?>> ReadStringColumnAsync(string path, string column)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        var field = reader.Schema.DataFields.Single(f => f.Name == column);
        var result = new List<string?>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var values = new string?[rg.RowCount];
            await rg.ReadAsync(field, values.AsMemory());
            result.AddRange(values);
        }

        return result;
    }
}
