using Parquet;
using Parquet.Schema;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.QualityGate;
using Highwater.Pipeline.Core.Schema;

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
}

/// <summary>A gate run of <see cref="ContractFixtures.RunGateAsync"/>: the report, as JSON and Markdown, and the files it wrote.</summary>
public sealed record GateRun(GateReport Report, string Json, string Markdown, SortedDictionary<string, byte[]> Outputs);

/// <summary>Temp folders, Parquet fixtures built with the schemas from Schemas.cs, and contracts from inline YAML.</summary>
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

    /// <summary>The repository's sales_mart columns plus the given checks (YAML list items, indented by two).</summary>
    public static DataContract SalesContract(string checks, string extra = "", string path = "sales_mart.yaml") =>
        ContractLoader.Parse(SalesYaml(checks, extra), path);

    public static string SalesYaml(string checks, string extra = "") => $$"""
        dataset: sales_mart
        version: "1"
        owner: tests
        partition_by: [dt]
        {{extra}}
        columns:
          - {name: order_id, type: string, nullable: true}
          - {name: user_id, type: int64, nullable: false}
          - {name: event_ts, type: timestamp, nullable: false}
          - {name: arrival_ts, type: timestamp, nullable: false}
          - {name: qty, type: int32, nullable: true}
          - {name: unit_price, type: "decimal(18,2)", nullable: true}
          - {name: total_price, type: "decimal(18,2)", nullable: true}
          - {name: currency, type: string, nullable: true}
          - {name: sku, type: string, nullable: true}
          - {name: channel, type: string, nullable: true}
          - {name: country, type: string, nullable: true}
          - {name: segment, type: string, nullable: true}
          - {name: signup_date, type: date, nullable: true}
          - {name: source_key, type: string, nullable: false}
        checks:
        {{Indent(checks)}}
        """;

    public static string Indent(string text) =>
        string.Join("\n", text.Replace("\r\n", "\n").Split('\n').Select(l => "  " + l));

    public async Task<DatasetFile> WriteSalesAsync(string dt, IReadOnlyList<SalesRow> rows, int rowGroupSize = int.MaxValue, string name = "part-0.parquet")
    {
        var path = Path.Combine(Root, "in", "sales_mart", $"dt={dt}", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(Schemas.SalesMart.Schema, stream))
        {
            foreach (var chunk in rows.Chunk(Math.Max(1, Math.Min(rowGroupSize, Math.Max(rows.Count, 1)))))
            {
                using var g = writer.CreateRowGroup();
                await g.WriteAsync(Schemas.SalesMart.OrderId, chunk.Select(r => r.OrderId).ToArray());
                await g.WriteAsync<long>(Schemas.SalesMart.UserId, chunk.Select(r => r.UserId).ToArray());
                await g.WriteAsync<DateTime>(Schemas.SalesMart.EventTs, chunk.Select(r => r.EventTs).ToArray());
                await g.WriteAsync<DateTime>(Schemas.SalesMart.ArrivalTs, chunk.Select(r => r.ArrivalTs).ToArray());
                await g.WriteAsync<int>(Schemas.SalesMart.Qty, (ReadOnlyMemory<int?>)chunk.Select(r => r.Qty).ToArray());
                await g.WriteAsync<decimal>(Schemas.SalesMart.UnitPrice, (ReadOnlyMemory<decimal?>)chunk.Select(r => r.UnitPrice).ToArray());
                await g.WriteAsync<decimal>(Schemas.SalesMart.TotalPrice, (ReadOnlyMemory<decimal?>)chunk.Select(r => r.TotalPrice).ToArray());
                await g.WriteAsync(Schemas.SalesMart.Currency, chunk.Select(r => r.Currency).ToArray());
                await g.WriteAsync(Schemas.SalesMart.Sku, chunk.Select(r => r.Sku).ToArray());
                await g.WriteAsync(Schemas.SalesMart.Channel, chunk.Select(r => r.Channel).ToArray());
                await g.WriteAsync(Schemas.SalesMart.Country, chunk.Select(r => r.Country).ToArray());
                await g.WriteAsync(Schemas.SalesMart.Segment, chunk.Select(r => r.Segment).ToArray());
                await g.WriteAsync<DateTime>(Schemas.SalesMart.SignupDate, (ReadOnlyMemory<DateTime?>)chunk.Select(r => r.SignupDate).ToArray());
                await g.WriteAsync(Schemas.SalesMart.SourceKey, chunk.Select(r => r.SourceKey).ToArray());
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
            await MartPartitionFile.WriteAsync(stream, rows.Select(r => new MartRecord(r.OrderId, r.UserId, r.EventTs, r.ArrivalTs,
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
