using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.QualityGate;
using Highwater.Tests.Support;
using Parquet.Schema;
using Xunit;

namespace Highwater.Tests.Contracts;

public sealed class SchemaEvolutionTests : IDisposable
{
    private readonly ContractFixtures _fx = new();

    public void Dispose() => _fx.Dispose();

    private static DataContract Users(bool allowNew) => ContractLoader.Parse($"""
        dataset: users
        version: "1"
        schema: {"{"}allow_new_nullable_columns: {(allowNew ? "true" : "false")}{"}"}
        columns:
          - {"{"}name: user_id, type: int64, nullable: false{"}"}
          - {"{"}name: country, type: string, nullable: true{"}"}
        checks:
          - column: user_id
            not_null: true
        """, "users.yaml");

    private Task<GateReport> EvaluateAsync(DataContract contract, DatasetFile file) =>
        new ContractGate().EvaluateAsync(contract, [file], _fx.Context(), CancellationToken.None);

    private static readonly DataField<long> UserId = new("user_id", false);
    private static readonly DataField<string> Country = new("country", true);

    [Fact]
    public async Task Matching_schema_passes()
    {
        var file = await _fx.WriteColumnsAsync("users/a.parquet", new ParquetSchema(UserId, Country), new long[] { 1 }, new string?[] { "DE" });
        var report = await EvaluateAsync(Users(false), file);
        Assert.True(report.Passed);
        Assert.Equal(CheckStatus.Pass, report.Checks[0].Status);
    }

    [Fact]
    public async Task Missing_column_fails_naming_column_and_expected_type()
    {
        var file = await _fx.WriteColumnsAsync("users/a.parquet", new ParquetSchema(UserId), new long[] { 1 });
        var report = await EvaluateAsync(Users(false), file);
        Assert.False(report.Passed);
        var schema = report.Checks[0];
        Assert.Equal(CheckStatus.Fail, schema.Status);
        Assert.Equal(["column country: expected string, found no such column (in a.parquet)"], schema.Samples);
        Assert.Equal(CheckStatus.Skipped, report.Checks[1].Status);
        Assert.Empty(report.FilesToPublish);
    }

    [Fact]
    public async Task Retyped_column_fails_naming_expected_and_found_type()
    {
        var file = await _fx.WriteColumnsAsync("users/a.parquet", new ParquetSchema(new DataField<int>("user_id", false), Country), new[] { 1 }, new string?[] { "DE" });
        var report = await EvaluateAsync(Users(false), file);
        Assert.Equal(["column user_id: expected int64, found int32 (in a.parquet)"], report.Checks[0].Samples);
        Assert.Equal(["user_id"], report.Checks[0].Columns);
    }

    [Fact]
    public async Task Timestamp_with_another_unit_is_a_retype()
    {
        var contract = ContractLoader.Parse("dataset: t\nversion: '1'\ncolumns:\n  - {name: ts, type: timestamp, nullable: false}", "t.yaml");
        var millis = new DateTimeDataField("ts", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Millis, isNullable: false);
        var file = await _fx.WriteColumnsAsync("t/a.parquet", new ParquetSchema(millis), new[] { new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        var report = await EvaluateAsync(contract, file);
        Assert.Equal(["column ts: expected timestamp, found timestamp(millis, utc) (in a.parquet)"], report.Checks[0].Samples);
    }

    [Fact]
    public async Task Nullable_file_column_where_the_contract_promises_required_fails()
    {
        var file = await _fx.WriteColumnsAsync("users/a.parquet", new ParquetSchema(new DataField<long?>("user_id", true), Country), new long?[] { 1 }, new string?[] { "DE" });
        var report = await EvaluateAsync(Users(false), file);
        Assert.Equal(["column user_id: expected required (nullable: false), found nullable (in a.parquet)"], report.Checks[0].Samples);
    }

    [Fact]
    public async Task Required_file_column_where_the_contract_allows_nulls_passes()
    {
        var file = await _fx.WriteColumnsAsync("users/a.parquet", new ParquetSchema(UserId, new DataField<string>("country", false)), new long[] { 1 }, new string?[] { "DE" });
        Assert.True((await EvaluateAsync(Users(false), file)).Passed);
    }

    [Fact]
    public async Task New_nullable_column_is_accepted_only_when_allowed()
    {
        var schema = new ParquetSchema(UserId, Country, new DataField<double?>("score", true));
        var file = await _fx.WriteColumnsAsync("users/a.parquet", schema, new long[] { 1 }, new string?[] { "DE" }, new double?[] { 0.5 });

        var strict = await EvaluateAsync(Users(false), file);
        Assert.False(strict.Passed);
        Assert.StartsWith("column score: not in the contract, found double; declare it or set schema.allow_new_nullable_columns: true", strict.Checks[0].Samples[0]);

        var lenient = await EvaluateAsync(Users(true), file);
        Assert.True(lenient.Passed);
        Assert.Equal(1, lenient.RowsChecked);
    }

    [Fact]
    public async Task New_required_column_fails_even_when_new_nullable_columns_are_allowed()
    {
        var schema = new ParquetSchema(UserId, Country, new DataField<long>("tier", false));
        var file = await _fx.WriteColumnsAsync("users/a.parquet", schema, new long[] { 1 }, new string?[] { "DE" }, new long[] { 3 });
        var report = await EvaluateAsync(Users(true), file);
        Assert.Equal(["column tier: not in the contract, found required int64; only nullable columns may be added (in a.parquet)"], report.Checks[0].Samples);
    }

    [Fact]
    public async Task Missing_partition_folder_fails_the_schema_check()
    {
        var contract = ContractFixtures.SalesContract("- column: qty\n  min: 1");
        var file = await _fx.WriteSalesAsync("2024-03-01", [new SalesRow()]);
        var report = await new ContractGate().EvaluateAsync(contract, [file with { PartitionValues = new Dictionary<string, string>() }], _fx.Context(), CancellationToken.None);
        Assert.Equal(["partition column dt: expected a dt=YYYY-MM-DD folder, found none (in part-0.parquet)"], report.Checks[0].Samples);
    }

    [Fact]
    public async Task The_same_issue_in_several_files_is_reported_once_with_a_count()
    {
        var a = await _fx.WriteColumnsAsync("users/a.parquet", new ParquetSchema(UserId), new long[] { 1 });
        var b = await _fx.WriteColumnsAsync("users/b.parquet", new ParquetSchema(UserId), new long[] { 2 });
        var report = await new ContractGate().EvaluateAsync(Users(false), [a, b], _fx.Context(), CancellationToken.None);
        Assert.Equal(["column country: expected string, found no such column (in 2 files, e.g. a.parquet)"], report.Checks[0].Samples);
    }

    [Fact]
    public async Task Shipped_contracts_accept_files_written_with_the_pipeline_schemas()
    {
        var contracts = ContractLoader.LoadAll(Path.Combine(RepoRoot.Path, "data-contracts"));
        await _fx.WriteUsersAsync(1);
        var file = await _fx.WriteSalesAsync("2024-03-01", [new SalesRow()]);
        var report = await new ContractGate().EvaluateAsync(contracts["sales_mart"], [file], _fx.Context(), CancellationToken.None);
        Assert.True(report.Passed, report.ToConsoleText());

        var users = await new ContractGate().EvaluateAsync(contracts["users"], _fx.Users, _fx.Context(), CancellationToken.None);
        Assert.True(users.Passed, users.ToConsoleText());
    }
}
