using System.Text.RegularExpressions;
using Highwater.Cli;
using Highwater.Pipeline.Core.WorkFiles;
using Highwater.Pipeline.Discover;
using Highwater.Pipeline.Extract;
using Highwater.Pipeline.Publish;
using Highwater.Pipeline.QualityGate;
using Highwater.Pipeline.Transform;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Staging;

/// <summary>
/// The events contract drives Extract: a column added to a copy of <c>events.yaml</c> (and nowhere else) is read from the
/// lines and staged, while Transform and the rest of the pipeline run as before; a declaration Extract cannot read ends
/// the run with exit 2 naming the file, line and column, before anything is published.
/// </summary>
public sealed class ContractDrivenExtractTests : IDisposable
{
    private readonly PipelineHarness _shipped = new();
    private readonly PipelineHarness _extended = new();

    /// <summary>The issue's example: an optional coupon_code, and a discount that is 0 when absent.</summary>
    private const string CouponAndDiscount = """
          - {name: coupon_code, type: string, nullable: true, default: null, description: Coupon the buyer used.}
          - {name: discount, type: "decimal(18,2)", nullable: true, default: 0, description: Discount on the line.}

        """;

    /// <summary>Lines of a third sample file: the new fields present, explicitly null, absent, and in another key order.</summary>
    private static readonly string[] CouponLines =
    [
        """{"order_id":"C-1","user_id":1008,"event_ts":"2026-01-26T10:00:00Z","arrival_ts":"2026-01-26T10:05:00Z","qty":1,"unit_price":10.00,"currency":"EUR","sku":"SKU-1001","channel":"web","coupon_code":"WINTER","discount":1.5}""",
        """{"order_id":"C-2","user_id":1003,"event_ts":"2026-01-26T11:00:00Z","arrival_ts":"2026-01-26T11:05:00Z","qty":2,"unit_price":5.00,"currency":"EUR","sku":"SKU-3005","channel":"web","coupon_code":null,"discount":null}""",
        """{"order_id":"C-3","user_id":1003,"event_ts":"2026-01-26T12:00:00Z","arrival_ts":"2026-01-26T12:05:00Z","qty":3,"unit_price":7.25,"currency":"EUR","sku":"SKU-3005","channel":"web"}""",
        "{\"discount\": 2, \"coupon_code\": \"caf\\u00e9\", \"order_id\": \"C-4\", \"user_id\": 1008, \"event_ts\": \"2026-01-26T13:00:00.250\\u002B01:00\", \"arrival_ts\": \"2026-01-26T13:05:00Z\", \"qty\": 1, \"unit_price\": 3, \"currency\": \"EUR\", \"sku\": \"SKU-1001\", \"channel\": \"web\"}\r",
    ];

    public ContractDrivenExtractTests()
    {
        foreach (var h in new[] { _shipped, _extended })
        {
            TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), h.Landing);
            File.WriteAllText(Path.Combine(h.Landing, "events", "2026-01-26", "file_c.json"), string.Join("\n", CouponLines) + "\n");
        }
    }

    /// <summary>A copy of the shipped contracts whose events.yaml declares <paramref name="columns"/> after its own; its folder.</summary>
    private static string WithEventColumns(PipelineHarness h, string columns)
    {
        var dir = h.CopyContracts();
        var events = Path.Combine(dir, "events.yaml");
        File.WriteAllText(events, File.ReadAllText(events).Replace("checks:", columns + "checks:"));
        return dir;
    }

    [Fact]
    public async Task Declared_coupon_code_and_discount_are_staged_and_the_mart_is_unchanged()
    {
        _extended.ContractsOverride = WithEventColumns(_extended, CouponAndDiscount);
        var ctx = _extended.Context();
        Assert.False((await DiscoverStage.RunAsync(ctx, default)).IsEmpty);
        var summary = await ExtractStage.RunAsync(ctx);

        var staged = ReadStaged(ctx.Work.StagingEvents, "order_id", "coupon_code", "discount");
        Assert.Equal(summary!.Rows, staged.Count);
        var coupons = staged.Where(r => r[0]?.StartsWith("C-", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(["C-1|WINTER|1.5", "C-2||", "C-3||0", "C-4|café|2"], coupons.Select(r => string.Join("|", r)).Order());
        // The sample's lines lack both fields: no coupon, the default discount.
        Assert.All(staged.Except(coupons), r => Assert.Equal("|0", r[1] + "|" + r[2]));

        await TransformStage.RunAsync(ctx);
        await QualityGateStage.RunAsync(ctx);
        await PublishStage.RunAsync(ctx);
        Assert.True(await _shipped.RunAsync());

        using var db = new DuckDb();
        const string columns = "dt, order_id, user_id, event_ts, arrival_ts, qty, unit_price, total_price, currency, sku, channel, country, segment, signup_date, source_key";
        var expected = db.Rows($"SELECT {columns} FROM {DuckDb.Mart(_shipped.WarehouseRoot)} ORDER BY order_id");
        Assert.Contains(expected, r => r.Contains("C-4"));
        Assert.Equal(expected, db.Rows($"SELECT {columns} FROM {DuckDb.Mart(_extended.WarehouseRoot)} ORDER BY order_id"));
        Assert.Equal(db.Rows($"SELECT * FROM {DuckDb.Kpi(_shipped.WarehouseRoot)} ORDER BY ALL"), db.Rows($"SELECT * FROM {DuckDb.Kpi(_extended.WarehouseRoot)} ORDER BY ALL"));
    }

    /// <summary>Every staged row's <paramref name="names"/> columns, read by name from the spool's column list, as text (null as empty).</summary>
    private static List<string?[]> ReadStaged(string path, params string[] names)
    {
        using var spool = PartitionedSpool.Reader.Open(path);
        var wanted = new BlockColumns(names.Select(n => spool.Columns.Columns.Single(c => c.Name == n)));
        var plan = spool.PlanFor(wanted);
        var rows = new List<string?[]>();
        var buffer = Array.Empty<byte>();
        foreach (var partition in spool.Partitions)
            foreach (var block in spool.BlocksOf(partition))
            {
                var reader = new ColumnBlockReader(spool.Read(block, ref buffer), new StringPool(), plan);
                var values = new string?[names.Length][];
                for (var c = 0; c < names.Length; c++)
                {
                    values[c] = new string?[reader.Rows];
                    switch (wanted.Columns[c].Kind)
                    {
                        case BlockEncoding.PlainString: reader.PlainStrings(values[c]); break;
                        case BlockEncoding.DictionaryString: reader.DictionaryStrings(values[c]); break;
                        case BlockEncoding.NullableDecimal:
                            var d = new decimal?[reader.Rows];
                            reader.NullableDecimals(d);
                            values[c] = [.. d.Select(v => v?.ToString(System.Globalization.CultureInfo.InvariantCulture))];
                            break;
                        default: throw new InvalidOperationException($"no reader for {wanted.Columns[c].Kind} here");
                    }
                }
                for (var r = 0; r < reader.Rows; r++) rows.Add([.. values.Select(v => v[r])]);
            }
        return rows;
    }

    [Fact]
    public void The_shipped_events_contract_stages_the_columns_transform_reads()
    {
        var shipped = EventFields.From(Highwater.Pipeline.Core.Contracts.ContractLoader.Load(RepoRoot.Combine("data-contracts", "events.yaml")));
        Assert.Equal(BlockColumns.Events, shipped.Layout.Block);
        Assert.Equal(BlockColumns.Events, EventLayout.Default.Block);
    }

    [Fact]
    public void A_block_of_declared_columns_of_every_kind_decodes_by_its_column_list_to_the_parsed_values()
    {
        var fields = EventLineShapesPropertyTests.ExtraFields.Value;
        var ids = new Utf8ValueIds(new Utf8ValueTable());
        var rows = new ParsedEvents(8, ids.Table, fields.Layout);
        rows.SetSourceKey("events/2026-01-26/file_c.json", ids);
        var parser = new EventLineParser(fields);
        const string nine = "\"user_id\":1,\"event_ts\":\"2026-01-25T08:00:00Z\",\"arrival_ts\":\"2026-01-25T09:00:00.5+01:00\",\"qty\":1,\"unit_price\":2.5,\"currency\":\"EUR\",\"sku\":\"S\",\"channel\":\"web\"";
        string[] lines =
        [
            "{\"order_id\":\"A-1\"," + nine + ",\"rate\":1.2345,\"points\":9000000000,\"seen_at\":\"2026-01-01T00:00:00.123Z\",\"coupon_code\":\"X\"}",
            "{\"order_id\":null," + nine + ",\"rate\":null,\"points\":null,\"seen_at\":null,\"visits\":3,\"Score\":-1}",
            "{\"order_id\":\"A-1\"," + nine + ",\"rate\":0}",
        ];
        foreach (var (line, i) in lines.Select((l, i) => (l, i)))
            Assert.True(parser.ParseInto(System.Text.Encoding.UTF8.GetBytes(line), rows, ids, "k", i + 1, out var reason), reason);
        var builder = new EventBlockBuilder(8, fields.Layout);
        builder.AddRun(rows, [0, 1, 2]);

        var reader = new ColumnBlockReader(builder.Encode(), new StringPool(), BlockPlan.Same(fields.Layout.Block));
        Assert.Equal(3, reader.Rows);
        for (var c = 0; c < fields.Layout.Columns.Count; c++)
        {
            Array read;
            switch (fields.Layout.Block.Columns[c].Kind)
            {
                case BlockEncoding.PlainString: reader.PlainStrings((string?[])(read = new string?[3])); break;
                case BlockEncoding.DictionaryString: reader.DictionaryStrings((string?[])(read = new string?[3])); break;
                case BlockEncoding.Int64: reader.Int64s((long[])(read = new long[3])); break;
                case BlockEncoding.Timestamp: reader.DateTimes((DateTime[])(read = new DateTime[3])); break;
                case BlockEncoding.NullableTimestamp: reader.NullableDateTimes((DateTime?[])(read = new DateTime?[3])); break;
                case BlockEncoding.NullableInt32: reader.NullableInt32s((int?[])(read = new int?[3])); break;
                case BlockEncoding.NullableDecimal: reader.NullableDecimals((decimal?[])(read = new decimal?[3])); break;
                default: reader.NullableInt64s((long?[])(read = new long?[3])); break;
            }
            Assert.Equal(Enumerable.Range(0, 3).Select(r => rows.ValueAt(r, c)), read.Cast<object?>());
        }
        Assert.Equal(9_000_000_000L, rows.ValueAt(0, "points"));

    }

    public static TheoryData<string, string> BadDeclarations => new()
    {
        { "  - {name: coupon_code, type: text, nullable: true}\n", @"unknown type 'text' for column 'coupon_code'" },
        { "  - {name: discount, type: \"decimal(18,2)\", nullable: true, default: cheap}\n", @"default 'cheap' of column 'discount' is not a decimal\(18,2\) value; expected a number with at most 2 decimal places" },
        { "  - {name: discount, type: \"decimal(18,2)\", nullable: true, default: 0.125}\n", @"default '0.125' of column 'discount' is not a decimal\(18,2\) value" },
        { "  - {name: visits, type: int32, nullable: true, default: 3000000000}\n", @"default '3000000000' of column 'visits' is not a int32 value" },
        { "  - {name: discount, type: \"decimal(18,2)\", nullable: false, default: null}\n", @"column 'discount' is not nullable, so its default cannot be null" },
        { "  - {name: born, type: date, nullable: true}\n", @"column 'born' is declared date, which Extract does not read from JSON" },
        { "  - {name: big, type: \"decimal(30,2)\", nullable: true}\n", @"column 'big' is declared decimal\(30,2\), which Extract does not read from JSON" },
        { "  - {name: file_no, type: int64, nullable: false, lineage: file}\n", @"column 'file_no' has lineage file, which is a string, but is declared int64" },
        { "  - {name: line_no, type: int64, nullable: false, lineage: line, json: n}\n", @"column 'line_no' has lineage line, so it is not read from the line; remove json:" },
        { "  - {name: line_no, type: int64, nullable: false, lineage: line}\n", @"lineage line is already the column 'source_line'" },
        { "  - {name: where, type: string, nullable: false, lineage: url}\n", @"unknown lineage 'url' for column 'where'" },
        { "  - {name: sku2, type: string, nullable: true, json: sku}\n", @"column 'sku2' reads the field 'sku', which another column already reads" },
    };

    [Theory]
    [MemberData(nameof(BadDeclarations))]
    public async Task A_declaration_Extract_cannot_read_exits_2_naming_the_place_and_publishes_nothing(string column, string message)
    {
        _extended.ContractsOverride = WithEventColumns(_extended, column);
        var (code, _, err) = await _extended.CliAsync("run");

        Assert.Equal(ExitCodes.Configuration, code);
        Assert.Matches(@"events\.yaml:\d+:\d+: " + message, err);
        Assert.False(Directory.Exists(Path.Combine(_extended.WarehouseRoot, "gold")), "nothing is published");
        Assert.False(File.Exists(_extended.Context().Work.StagingEvents), "nothing is staged");
    }

    public void Dispose()
    {
        _shipped.Dispose();
        _extended.Dispose();
    }
}
