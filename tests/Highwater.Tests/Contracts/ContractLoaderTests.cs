using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Schema;
using Highwater.Tests.Support;
using Parquet.Schema;
using Xunit;

namespace Highwater.Tests.Contracts;

public sealed class ContractLoaderTests : IDisposable
{
    private readonly ContractFixtures _fx = new();

    public void Dispose() => _fx.Dispose();

    private static string ContractsDir => Path.Combine(RepoRoot.Path, "data-contracts");

    [Fact]
    public void Shipped_contracts_load_and_are_keyed_by_dataset()
    {
        var contracts = ContractLoader.LoadAll(ContractsDir);
        Assert.Equal(["events", "kpi_daily", "sales_mart", "users"], contracts.Keys.Order().ToArray());
    }

    public static TheoryData<string, string> DatasetSchemas() => new()
    {
        { "events", nameof(Schemas.Events) },
        { "users", nameof(Schemas.Users) },
        { "sales_mart", nameof(Schemas.SalesMart) },
    };

    [Theory]
    [MemberData(nameof(DatasetSchemas))]
    public void Shipped_contract_declares_every_column_of_the_parquet_schema(string dataset, string schemaClass)
    {
        var schema = (ParquetSchema)typeof(Schemas).GetNestedType(schemaClass)!.GetField("Schema")!.GetValue(null)!;
        var contract = ContractLoader.LoadAll(ContractsDir)[dataset];

        var expected = schema.DataFields.Select(f => $"{f.Name}:{ColumnType.FromField(f)}:{f.IsNullable}").ToArray();
        var declared = contract.Columns.Select(c => $"{c.Name}:{c.Type}:{c.Nullable}").ToArray();
        Assert.Equal(expected, declared);
        Assert.All(contract.Columns, c => Assert.False(string.IsNullOrWhiteSpace(c.Description)));
    }

    [Fact]
    public void Sales_mart_contract_has_the_required_rules()
    {
        var c = ContractLoader.LoadAll(ContractsDir)["sales_mart"];
        Assert.Equal(["dt"], c.PartitionBy);
        Assert.Contains(c.Checks, x => x is NotNullCheck { Column: "order_id", Severity: CheckSeverity.Error });
        Assert.Contains(c.Checks, x => x is UniqueCheck { Severity: CheckSeverity.Error } u && u.KeyColumns.SequenceEqual(["order_id"]) && u.Within.SequenceEqual(["dt"]));
        Assert.Contains(c.Checks, x => x is MinCheck { Column: "qty", Bound: 1m, Inclusive: true, Severity: CheckSeverity.Error });
        Assert.Contains(c.Checks, x => x is MinCheck { Column: "unit_price", Bound: 0m, Severity: CheckSeverity.Error });
        Assert.Contains(c.Checks, x => x is PatternCheck { Column: "currency" } p && p.Regex.ToString() == "^[A-Z]{3}$");
        Assert.Contains(c.Checks, x => x is AcceptedValuesCheck { Column: "channel", Severity: CheckSeverity.Warn } a && a.Values.SequenceEqual(["web", "app", "store", "marketplace"]));
        Assert.Contains(c.Checks, x => x is CompareCheck { Left: "arrival_ts", Operator: CompareOperator.GreaterOrEqual, Right: "event_ts", Severity: CheckSeverity.Warn });
        Assert.Contains(c.Checks, x => x is ReferencesCheck { Column: "user_id", ReferencedDataset: "users", ReferencedColumn: "user_id", Severity: CheckSeverity.Error });
    }

    [Fact]
    public void Kpi_daily_contract_has_the_required_rules()
    {
        var c = ContractLoader.LoadAll(ContractsDir)["kpi_daily"];
        Assert.Contains(c.Checks, x => x is MinCheck { Column: "orders", Bound: 1m });
        Assert.Contains(c.Checks, x => x is MinCheck { Column: "revenue", Bound: 0m });
        Assert.Contains(c.Checks, x => x is UniqueCheck u && u.Columns.SequenceEqual(["dt", "country", "segment", "currency"]));
    }

    [Fact]
    public void Defaults_apply_when_optional_keys_are_absent()
    {
        var c = ContractFixtures.SalesContract("""
            - column: qty
              min: 1
            """);
        var check = Assert.IsType<MinCheck>(Assert.Single(c.Checks));
        Assert.Equal("min_qty", check.Name);
        Assert.Equal(CheckSeverity.Error, check.Severity);
        Assert.True(check.Inclusive);
        Assert.Equal(0.05, c.MaxQuarantinedFraction);
        Assert.False(c.AllowNewNullableColumns);
    }

    // Each case: the checks block, the expected line (within the block: 1 is its first line) and column of the problem
    // (in the document, where the block is indented by two spaces), and a fragment of the explanation. The block's first
    // line in the document follows from the repository contract's columns (ContractFixtures.ChecksLine).
    public static TheoryData<string, int, int, string> MalformedChecks() => new()
    {
        { "- column: qty\n  mni: 1", 2, 5, "unknown check type 'mni' (did you mean 'min'?)" },
        { "- column: qty\n  min: 1\n  inclusiv: false", 3, 5, "unknown key 'inclusiv' in a min check (did you mean 'inclusive'?)" },
        { "- column: qty\n  min: 1\n  inclusive: maybe", 3, 16, "inclusive must be true or false, found 'maybe'" },
        { "- column: qty\n  min: one", 2, 10, "min 'one' does not fit column 'qty' (int32); expected a 32-bit integer" },
        { "- column: currency\n  pattern: '^[A-Z{3}$'", 2, 14, "is not a valid .NET regular expression" },
        { "- column: quantity\n  min: 1", 1, 13, "column 'quantity' is not declared" },
        { "- compare: {left: arrival_ts, op: '=>', right: event_ts}", 1, 37, "unknown operator '=>'; expected one of" },
        { "- column: order_id\n  unique: true\n  severity: quarantine", 3, 15, "severity 'quarantine' is only allowed on row-level checks" },
        { "- row_count: {min: 1}\n  severity: quarantine", 2, 15, "severity 'quarantine' is only allowed on row-level checks" },
        { "- column: qty\n  min: 1\n  severity: fatal", 3, 15, "unknown severity 'fatal'; expected one of: error, warn, quarantine" },
        { "- column: qty\n  min: 1\n  max: 5", 3, 5, "a check has exactly one type, found 'min' and 'max'" },
        { "- column: qty\n  length: {min: 1}", 1, 13, "length needs a string column, but 'qty' is int32" },
        { "- column: event_ts\n  freshness: {max_age: soon}", 2, 26, "max_age 'soon' is not a duration" },
        { "- column: qty\n  not_null: false", 2, 15, "not_null must be true" },
        { "- row_count: {min: 5, max: 1}", 1, 16, "row_count.min (5) is greater than row_count.max (1)" },
        { "- name: a\n  column: qty\n  min: 1\n- name: a\n  column: qty\n  max: 9", 4, 5, "check name 'a' is used twice" },
        { "- column: channel\n  accepted_values: web", 2, 22, "accepted_values must be a list" },
    };

    [Theory]
    [MemberData(nameof(MalformedChecks))]
    public void Malformed_check_is_reported_with_file_line_and_column(string checks, int line, int column, string expected)
    {
        var yaml = ContractFixtures.SalesYaml(checks);
        line += ContractFixtures.ChecksLine(yaml) - 1;
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.Parse(yaml, "data-contracts/sales_mart.yaml"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith($"data-contracts/sales_mart.yaml:{line}:{column}: ", e.Message);
        Assert.Equal(line, e.Line);
        Assert.Equal(column, e.Column);
    }

    public static TheoryData<string, int, int, string> MalformedDocuments() => new()
    {
        { "dataset: x\nversion: 1\ncolumns: [", 4, 1, "invalid YAML" },
        { "dataset: x\nversoin: 1\ncolumns: []", 2, 1, "unknown key 'versoin' in the contract (did you mean 'version'?)" },
        { "dataset: x\nversion: 1\ncolumns:\n  - {name: a, type: int}", 4, 21, "unknown type 'int' for column 'a'; expected one of: string, int32" },
        { "dataset: x\nversion: 1\ncolumns:\n  - {name: a, type: int32, nullable: yes}", 4, 38, "nullable of column 'a' must be true or false" },
        { "dataset: x\nversion: 1\ncolumns:\n  - {name: a, type: int32}", 4, 5, "column 'a' is missing required key 'nullable'" },
        { "dataset: x\nversion: 1\nmax_quarantined_fraction: lots\ncolumns:\n  - {name: a, type: int32, nullable: true}", 3, 27, "max_quarantined_fraction must be a number" },
        { "dataset: x\nversion: 1\nschema: {allow_new_nullable_columns: 1}\ncolumns:\n  - {name: a, type: int32, nullable: true}", 3, 38, "schema.allow_new_nullable_columns must be true or false" },
        { "dataset: x\nversion: 1\ncolumns:\n  - {name: a, type: int32, nullable: true}\n  - {name: a, type: int64, nullable: true}", 5, 12, "column 'a' is declared twice" },
        { "version: 1\ncolumns: []", 1, 1, "the contract is missing required key 'dataset'" },
        { "dataset: x\nversion: 1\na: b: c", 3, 5, "invalid YAML" },
        { "dataset: x\ndataset: y\nversion: 1", 2, 1, "invalid YAML: Duplicate key" },
        { "dataset: x\nversion: 1\ncolumns:\n  - {name: k, type: int64, nullable: false, lineage: file}", 4, 54, "column 'k' has lineage file, which is a string, but is declared int64; expected type: string" },
        { "dataset: x\nversion: 1\ncolumns:\n  - {name: n, type: int64, nullable: true, lineage: line}", 4, 53, "column 'n' has lineage line, which every row has; expected nullable: false" },
        { "dataset: x\nversion: 1\ncolumns:\n  - {name: n, type: int64, nullable: false, lineage: line, default: 1}", 4, 60, "column 'n' has lineage line, so it is not read from the line; remove default:" },
        { "dataset: x\nversion: 1\ncolumns:\n  - {name: d, type: int32, nullable: false, default: null}", 4, 54, "column 'd' is not nullable, so its default cannot be null" },
        { "dataset: x\nversion: 1\ncolumns:\n  - {name: d, type: int32, nullable: true, default: [1]}", 4, 53, "default of column 'd' must be a single value, found a list" },
        { "dataset: x\nversion: 1\ncolumns:\n  - {name: d, type: string, nullable: true, json: \"\"}", 4, 51, "json of column 'd'" },
    };

    [Theory]
    [MemberData(nameof(MalformedDocuments))]
    public void Malformed_document_is_reported_with_file_line_and_column(string yaml, int line, int column, string expected)
    {
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.Parse(yaml, "bad.yaml"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith($"bad.yaml:{line}:{column}: ", e.Message);
    }

    [Fact]
    public void Load_reports_the_real_file_path()
    {
        var path = Path.Combine(_fx.Root, "sales_mart.yaml");
        var yaml = ContractFixtures.SalesYaml("- column: qty\n  min: 1\n  severity: quarantine\n- column: qty\n  mxa: 3");
        File.WriteAllText(path, yaml);
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.Load(path));
        Assert.StartsWith($"{path}:{ContractFixtures.ChecksLine(yaml) + 4}:5: unknown check type 'mxa'", e.Message);
    }

    [Fact]
    public void LoadAll_rejects_a_reference_to_an_unknown_dataset()
    {
        var dir = Path.Combine(_fx.Root, "contracts");
        Directory.CreateDirectory(dir);
        var yaml = ContractFixtures.SalesYaml("- column: user_id\n  references: {dataset: user, column: user_id}");
        File.WriteAllText(Path.Combine(dir, "sales_mart.yaml"), yaml);
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.LoadAll(dir));
        Assert.Contains($"sales_mart.yaml:{ContractFixtures.ChecksLine(yaml)}:5: check 'references_user_id_user' references dataset 'user', which has no contract", e.Message);
    }

    [Fact]
    public void LoadAll_rejects_a_reference_to_an_undeclared_column()
    {
        var dir = Path.Combine(_fx.Root, "contracts");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(ContractsDir, "users.yaml"), Path.Combine(dir, "users.yaml"));
        var yaml = ContractFixtures.SalesYaml("- column: user_id\n  references: {dataset: users, column: id}");
        File.WriteAllText(Path.Combine(dir, "sales_mart.yaml"), yaml);
        var e = Assert.Throws<ContractDefinitionException>(() => ContractLoader.LoadAll(dir));
        Assert.Contains($"sales_mart.yaml:{ContractFixtures.ChecksLine(yaml)}:5: check 'references_user_id_users' references column 'id', which is not declared in dataset 'users'", e.Message);
    }
}
