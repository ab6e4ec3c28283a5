using Highwater.Pipeline.Core.Mart;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>
/// apache/parquet-testing's files for the features other writers use (Fixtures/parquet-testing): read by top-level
/// column as DuckDB reads them, and LZ4 in each of its framings to the same values.
/// </summary>
public sealed class TopLevelColumnReaderFixtureTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Columnar", "Fixtures", "parquet-testing", name);

    private static async Task<List<string>> ReadAsync(string file, string column)
    {
        await using var reader = await TopLevelColumnReader.OpenAsync(Fixture(file), file, default);
        var c = reader.Column(column);
        var values = new List<string>();
        for (int g = 0; g < reader.RowGroupCount; g++)
            foreach (var v in (await reader.ReadAsync(g, [c], default))[0])
                values.Add(v switch
                {
                    null => "null",
                    DateTime d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                    _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)!,
                });
        return values;
    }

    private static List<string> DuckDbReads(string file, string column)
    {
        using var db = new DuckDb();
        return db.Rows($"SELECT {column} FROM read_parquet('{Fixture(file)}')");
    }

    [Theory]
    [InlineData("hadoop_lz4_compressed.parquet")]
    [InlineData("non_hadoop_lz4_compressed.parquet")]
    [InlineData("lz4_raw_compressed.parquet")]
    public async Task LZ4_in_every_framing_reads_the_values_written(string file)
    {
        // The three files hold the same rows (parquet-testing's README); LZ4_RAW is the one DuckDB reads.
        Assert.Equal(["1593604800", "1593604800", "1593604801", "1593604801"], await ReadAsync(file, "c0"));
        Assert.Equal(DuckDbReads("lz4_raw_compressed.parquet", "c0"), await ReadAsync(file, "c0"));
        Assert.Equal(["abc", "def", "abc", "def"], await ReadAsync(file, "c1"));
    }

    [Theory]
    [InlineData("int32")]
    [InlineData("int64")]
    public async Task BYTE_STREAM_SPLIT_integers_in_a_gzip_chunk_read_as_their_plain_twins(string type)
    {
        const string file = "byte_stream_split_extended.gzip.parquet";
        var plain = await ReadAsync(file, $"{type}_plain");

        Assert.Equal(200, plain.Count);
        Assert.Equal(DuckDbReads(file, $"{type}_plain"), plain);
        Assert.Equal(plain, await ReadAsync(file, $"{type}_byte_stream_split"));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public async Task V2_data_pages_read_as_DuckDB_reads_them(string column)
    {
        Assert.Equal(DuckDbReads("datapage_v2.snappy.parquet", column), await ReadAsync("datapage_v2.snappy.parquet", column));
    }

    [Fact]
    public async Task A_body_that_is_not_a_local_file_is_read_from_a_temporary_copy()
    {
        // As an S3 object's body arrives: not seekable, not a file; Arrow reads a copy the reader deletes.
        await using var reader = await TopLevelColumnReader.OpenAsync(
            new MemoryStream(File.ReadAllBytes(Fixture("hadoop_lz4_compressed.parquet"))), "s3://bucket/users.parquet", default);
        var c0 = reader.Column("c0");

        var values = (long?[])(await reader.ReadAsync(0, [c0], default))[0];

        Assert.Equal([1593604800L, 1593604800L, 1593604801L, 1593604801L], values.Select(v => v!.Value));
    }

    [Fact]
    public async Task A_column_of_another_type_is_described_by_its_physical_and_logical_type()
    {
        await using var reader = await TopLevelColumnReader.OpenAsync(Fixture("hadoop_lz4_compressed.parquet"), "f", default);
        var v11 = reader.Column("v11");
        Assert.Equal(ValueKind.Other, v11.Kind);
        Assert.Equal("DOUBLE (no logical type)", v11.Type);
    }
}
