using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.QualityGate;
using Highwater.Pipeline.Transform;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>
/// The user dimension as other tools write it loads the same users, whoever wrote it and however: DuckDB with every
/// compression, v1 and v2 pages, small and large row groups; Parquet.Net; Apache Arrow C++ (Hadoop LZ4, v2 pages,
/// BYTE_STREAM_SPLIT dates). Columns are matched at the top level only; other types and damaged files are refused
/// with the file and the reason.
/// </summary>
public sealed class UserDimensionWritersTests : IDisposable
{
    private readonly TempFolder _temp = new("users");

    public void Dispose() => _temp.Dispose();

    private static void AssertSameUsers(IReadOnlyList<UserRecord> expected, UserDimension loaded)
    {
        Assert.Equal(expected.Count, loaded.Count);
        foreach (var u in expected)
        {
            Assert.True(loaded.TryGet(u.UserId, out var got), $"user {u.UserId} not loaded");
            Assert.Equal(u, got);
        }
    }

    private Task<UserDimension> LoadAsync(string folder) => UserDimension.LoadAsync(new LocalFolderStore(folder));

    [Theory]
    [InlineData("snappy", "V1")]
    [InlineData("snappy", "V2")]
    [InlineData("gzip", "V1")]
    [InlineData("gzip", "V2")]
    [InlineData("zstd", "V1")]
    [InlineData("zstd", "V2")]
    [InlineData("lz4", "V1")]
    [InlineData("lz4", "V2")]
    [InlineData("brotli", "V1")]
    [InlineData("uncompressed", "V1")]
    [InlineData("uncompressed", "V2")]
    public async Task DuckDB_files_of_every_compression_and_page_version_load_every_user(string compression, string version)
    {
        var folder = _temp.Combine($"{compression}-{version}");
        UsersFileWriters.DuckDb(Path.Combine(folder, "users.parquet"), 2_500, $"COMPRESSION {compression}, PARQUET_VERSION {version}, ROW_GROUP_SIZE 1000");

        AssertSameUsers(UsersFileWriters.Users(2_500), await LoadAsync(folder));
    }

    [Fact]
    public async Task A_million_DuckDB_users_in_one_v2_zstd_row_group_load()
    {
        var folder = _temp.Combine("million");
        UsersFileWriters.DuckDb(Path.Combine(folder, "users.parquet"), 1_000_000, "COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE 1000000");

        var loaded = await LoadAsync(folder);

        var expected = UsersFileWriters.Users(1_000_000);
        Assert.Equal(expected.Count, loaded.Count);
        for (int i = 0; i < expected.Count; i += 997)
        {
            Assert.True(loaded.TryGet(expected[i].UserId, out var got));
            Assert.Equal(expected[i], got);
        }
    }

    [Fact]
    public async Task Parquet_Net_files_with_int32_ids_and_gzip_load_every_user()
    {
        var users = UsersFileWriters.Users(2_500);
        await UsersFileWriters.ParquetNetAsync(_temp.Combine("pn", "users.parquet"), users, rowGroup: 1_000);

        AssertSameUsers(users, await LoadAsync(_temp.Combine("pn")));
    }

    [Fact]
    public async Task Arrow_files_with_hadoop_lz4_v2_pages_and_byte_stream_split_dates_load_every_user()
    {
        var users = UsersFileWriters.Users(2_500);
        UsersFileWriters.Arrow(_temp.Combine("arrow", "users.parquet"), users, rowGroup: 1_000);

        AssertSameUsers(users, await LoadAsync(_temp.Combine("arrow")));
    }

    [Theory]
    [InlineData("user_id::INTEGER AS user_id")]          // INT32, as Spark and pyarrow write int ids
    [InlineData("user_id::DECIMAL(18,0) AS user_id")]    // DECIMAL(p,0) on INT64
    [InlineData("user_id::DECIMAL(38,0) AS user_id")]    // DECIMAL(p,0) on FIXED_LEN_BYTE_ARRAY
    [InlineData("user_id::UINTEGER AS user_id")]         // INT32 unsigned
    public async Task Common_id_types_are_read_as_the_same_ids(string id)
    {
        var folder = _temp.Combine("ids");
        UsersFileWriters.DuckDb(Path.Combine(folder, "users.parquet"), 2_500, "ROW_GROUP_SIZE 1000", $"SELECT {id}, country, segment, signup_date FROM u");

        AssertSameUsers(UsersFileWriters.Users(2_500), await LoadAsync(folder));
    }

    [Fact]
    public async Task Strings_stored_as_binary_without_a_logical_type_are_read_as_UTF8()
    {
        // As Impala and Hive write strings: BYTE_ARRAY with no STRING annotation (DuckDB's BLOB).
        var folder = _temp.Combine("binary");
        UsersFileWriters.DuckDb(Path.Combine(folder, "users.parquet"), 2_500, "ROW_GROUP_SIZE 1000",
            "SELECT user_id, encode(country) AS country, encode(segment) AS segment, signup_date FROM u");

        AssertSameUsers(UsersFileWriters.Users(2_500), await LoadAsync(folder));
    }

    [Fact]
    public async Task Struct_fields_named_like_a_column_are_not_taken_for_it()
    {
        // address.country and referred_by.user_id come before the real columns, in the schema and in the leaf order.
        var folder = _temp.Combine("structs");
        UsersFileWriters.DuckDb(Path.Combine(folder, "users.parquet"), 2_500, "ROW_GROUP_SIZE 1000",
            "SELECT {'country': 'XX', 'segment': 'nested'} AS address, {'user_id': 5} AS referred_by, * FROM u");

        AssertSameUsers(UsersFileWriters.Users(2_500), await LoadAsync(folder));
    }

    [Fact]
    public async Task The_gate_references_read_the_top_level_column_not_a_struct_field_of_its_name()
    {
        var path = _temp.Combine("gate", "users.parquet");
        UsersFileWriters.DuckDb(path, 2_500, "COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE 1000",
            "SELECT {'user_id': 5} AS referred_by, * FROM u");
        var keys = new KeySet();

        await DatasetReader.AddColumnKeysAsync(new DatasetFile(path, new Dictionary<string, string>()), "user_id", keys, default);

        Assert.Equal(2_500, keys.Count);
        Assert.True(keys.ContainsLong(1000) && keys.ContainsLong(3499));
        Assert.False(keys.ContainsLong(5));
    }

    [Fact]
    public async Task What_Spark_and_editors_leave_behind_is_skipped()
    {
        var folder = _temp.Combine("spark");
        UsersFileWriters.DuckDb(Path.Combine(folder, "part-00000.snappy.parquet"), 2_500, "ROW_GROUP_SIZE 1000");
        // An unfinished attempt (the same ids again), a summary file, a checksum and a hidden copy: none is data.
        UsersFileWriters.DuckDb(Path.Combine(folder, "_temporary", "0", "_temporary", "attempt_1", "part-00000.snappy.parquet"), 10, "");
        UsersFileWriters.DuckDb(Path.Combine(folder, "_metadata.parquet"), 10, "");
        File.WriteAllText(Path.Combine(folder, "_SUCCESS"), "");
        File.WriteAllText(Path.Combine(folder, ".part-00000.snappy.parquet.crc"), "crc");
        File.WriteAllText(Path.Combine(folder, ".~lock.parquet"), "not parquet");

        AssertSameUsers(UsersFileWriters.Users(2_500), await LoadAsync(folder));
        Assert.True(UserDimensionFiles.IsHidden("x/_temporary/0/part.parquet"));
        Assert.False(UserDimensionFiles.IsHidden("year=2024/part-0.parquet"));
    }

    [Fact]
    public async Task Users_files_from_three_writers_give_the_baseline_mart_through_the_whole_pipeline()
    {
        var users = UsersFileWriters.Users(2_500);
        var variants = new (string Name, Func<string, Task> Write)[]
        {
            ("baseline: DuckDB defaults", dir =>
            {
                UsersFileWriters.DuckDb(Path.Combine(dir, "users.parquet"), users.Count, "");
                return Task.CompletedTask;
            }),
            ("DuckDB V2 zstd, structs first, Spark's leftovers", dir =>
            {
                UsersFileWriters.DuckDb(Path.Combine(dir, "part-00000.zstd.parquet"), users.Count, "COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE 1000",
                    "SELECT {'country': 'XX', 'segment': 'nested'} AS address, {'user_id': 5} AS referred_by, * FROM u");
                UsersFileWriters.DuckDb(Path.Combine(dir, "_temporary", "0", "part-00000.zstd.parquet"), 10, "");
                File.WriteAllText(Path.Combine(dir, "_SUCCESS"), "");
                File.WriteAllText(Path.Combine(dir, ".part-00000.zstd.parquet.crc"), "crc");
                return Task.CompletedTask;
            }),
            ("Parquet.Net: INT32 ids, gzip", dir => UsersFileWriters.ParquetNetAsync(Path.Combine(dir, "users.parquet"), users, rowGroup: 1_000)),
            ("Arrow C++: Hadoop LZ4, v2 pages, BYTE_STREAM_SPLIT dates", dir =>
            {
                UsersFileWriters.Arrow(Path.Combine(dir, "users.parquet"), users, rowGroup: 1_000);
                return Task.CompletedTask;
            }),
        };

        List<string>? baseline = null;
        foreach (var (name, write) in variants)
        {
            using var h = new PipelineHarness();
            var folder = _temp.Combine(Guid.NewGuid().ToString("N"));
            await write(folder);
            h.UsersStore = new LocalFolderStore(folder);
            EventFixtures.LandDay(h.Landing, new DateOnly(2026, 1, 26), "a.json", 60, seed: 7, orderPrefix: "A");
            EventFixtures.LandDay(h.Landing, new DateOnly(2026, 1, 27), "b.json", 60, seed: 8, orderPrefix: "B");

            Assert.True(await h.RunAsync(), name);

            using var db = new DuckDb();
            var mart = db.Rows($"SELECT * FROM {DuckDb.Mart(h.WarehouseRoot)} ORDER BY order_id");
            if (baseline is null)
            {
                baseline = mart;
                Assert.Equal(120, mart.Count);
                Assert.True(db.Scalar<long>($"SELECT count(*) FROM {DuckDb.Mart(h.WarehouseRoot)} WHERE country IS NOT NULL AND signup_date IS NOT NULL") > 0);
                continue;
            }
            Assert.True(baseline.SequenceEqual(mart), $"{name}: the mart differs from the baseline's");
        }
    }

    public static TheoryData<string, string, string[]> Refused => new()
    {
        { "string ids", "SELECT user_id::VARCHAR AS user_id, country, segment, signup_date FROM u",
            ["column 'user_id' is BYTE_ARRAY (UTF8)", "accepts user_id as INT32, INT64", "DECIMAL(p,0)"] },
        { "double ids", "SELECT user_id::DOUBLE AS user_id, country, segment, signup_date FROM u",
            ["column 'user_id' is DOUBLE (no logical type)", "accepts user_id as INT32, INT64"] },
        { "fractional ids", "SELECT user_id::DECIMAL(10,2) AS user_id, country, segment, signup_date FROM u",
            ["column 'user_id' is INT64 (DECIMAL(10,2))", "accepts user_id as"] },
        { "text dates", "SELECT user_id, country, segment, signup_date::VARCHAR AS signup_date FROM u",
            ["column 'signup_date' is BYTE_ARRAY (UTF8)", "INT32 DATE"] },
        { "nested only", "SELECT {'user_id': user_id} AS referred_by, country, segment, signup_date FROM u",
            ["column 'user_id' is missing", "only nested (referred_by.user_id)", "top level only"] },
        { "missing", "SELECT user_id, segment, signup_date FROM u",
            ["column 'country' is missing (top-level columns: user_id, segment, signup_date)"] },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_file_of_other_types_or_without_a_top_level_column_is_refused_by_the_cli_with_exit_5(string _, string select, string[] says)
    {
        using var h = new PipelineHarness { UsersFolder = _temp.Combine("refused") };
        UsersFileWriters.DuckDb(Path.Combine(h.UsersFolder, "users.parquet"), 100, "", select);
        EventFixtures.LandDay(h.Landing, new DateOnly(2026, 1, 26), "a.json", 20, seed: 1, orderPrefix: "A");

        var (code, output, error) = await h.CliAsync("run");

        Assert.Equal(5, code);
        var text = output + error;
        Assert.Contains($"{h.UsersFolder}/users.parquet", text);
        foreach (var s in says) Assert.True(text.Contains(s, StringComparison.Ordinal), $"expected \"{s}\" in:\n{text}");
        Assert.False(Directory.Exists(Path.Combine(h.WarehouseRoot, "gold")), "nothing may be published");
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("not parquet")]
    [InlineData("cut chunk")]
    public async Task A_damaged_file_is_a_data_error_naming_it_and_nothing_published_changes(string damage)
    {
        using var h = new PipelineHarness { UsersFolder = _temp.Combine("damaged") };
        var path = Path.Combine(h.UsersFolder, "users.parquet");
        UsersFileWriters.DuckDb(path, 2_500, "COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE 1000");
        EventFixtures.LandDay(h.Landing, new DateOnly(2026, 1, 26), "a.json", 20, seed: 1, orderPrefix: "A");
        Assert.Equal(0, (await h.CliAsync("run")).Code);
        var published = Snapshot(Path.Combine(h.WarehouseRoot));

        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "truncated": File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]); break;
            case "not parquet": File.WriteAllText(path, "user_id,country\n1001,DE\n"); break;
            default:
                // The footer intact, a column chunk's bytes overwritten: only decoding finds it.
                Array.Fill(bytes, (byte)0xA5, 100, bytes.Length / 3);
                File.WriteAllBytes(path, bytes);
                break;
        }
        EventFixtures.LandDay(h.Landing, new DateOnly(2026, 1, 27), "b.json", 20, seed: 2, orderPrefix: "B");

        var (code, output, error) = await h.CliAsync("run");

        Assert.Equal(5, code);
        Assert.Contains($"{h.UsersFolder}/users.parquet", output + error);
        Assert.DoesNotContain("   at ", output + error); // a reason, not a stack trace
        Assert.Equal(published, Snapshot(h.WarehouseRoot));
    }

    private static string Snapshot(string root) => string.Join("\n", Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
        .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}_highwater{Path.DirectorySeparatorChar}lease", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .Select(f => $"{Path.GetRelativePath(root, f)} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}"));
}
