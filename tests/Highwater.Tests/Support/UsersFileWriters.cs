using Apache.Arrow;
using Apache.Arrow.Types;
using Highwater.Pipeline.Core.Schema;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace Highwater.Tests.Support;

/// <summary>
/// User dimension files as other tools write them, from one deterministic set of users: DuckDB (any COPY options and
/// any SELECT over the users table <c>u</c>), Parquet.Net and Apache Arrow C++ (ParquetSharp's Arrow writer).
/// </summary>
public static class UsersFileWriters
{
    /// <summary>
    /// The users the writers write: ids from 1000 (so the sample events' users 1001-1010 are among them), countries,
    /// segments and signup dates with nulls in between.
    /// </summary>
    public static List<UserRecord> Users(int count) =>
        Enumerable.Range(0, count).Select(i => new UserRecord(1000 + i,
            (i % 4) switch { 0 => "DE", 1 => "FR", 2 => "US", _ => null },
            (i % 3) switch { 0 => "retail", 1 => "b2b", _ => null },
            i % 7 == 0 ? null : new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(i % 1500))).ToList();

    /// <summary>The same users as a DuckDB SQL query (columns user_id BIGINT, country, segment, signup_date DATE).</summary>
    public static string UsersSql(int count) => $"""
        SELECT (1000 + i)::BIGINT AS user_id,
               CASE i % 4 WHEN 0 THEN 'DE' WHEN 1 THEN 'FR' WHEN 2 THEN 'US' END AS country,
               CASE i % 3 WHEN 0 THEN 'retail' WHEN 1 THEN 'b2b' END AS segment,
               CASE WHEN i % 7 = 0 THEN NULL ELSE DATE '2020-01-01' + (i % 1500)::INTEGER END AS signup_date
        FROM range({count}) t(i)
        """;

    /// <summary>
    /// Writes <paramref name="select"/> (over the users as table <c>u</c>) with DuckDB's COPY and <paramref name="options"/>
    /// (e.g. <c>COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE 1000</c>).
    /// </summary>
    public static void DuckDb(string path, int count, string options, string select = "SELECT * FROM u")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var db = new DuckDb();
        db.Execute($"CREATE TABLE u AS {UsersSql(count)}");
        db.Execute($"COPY ({select}) TO '{path}' (FORMAT parquet{(options.Length > 0 ? ", " + options : "")})");
    }

    /// <summary>Parquet.Net with INT32 ids (as Spark and pyarrow write an int id), gzip, row groups of <paramref name="rowGroup"/>.</summary>
    public static async Task ParquetNetAsync(string path, IReadOnlyList<UserRecord> users, int rowGroup)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var id = new DataField<int>("user_id");
        var country = new DataField<string>("country", true);
        var segment = new DataField<string>("segment", true);
        var signup = new DateTimeDataField("signup_date", DateTimeFormat.Date, isNullable: true);
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(id, country, segment, signup), stream,
            new ParquetOptions { CompressionMethod = CompressionMethod.Gzip });
        for (int from = 0; from < users.Count; from += rowGroup)
        {
            var part = users.Skip(from).Take(rowGroup).ToList();
            using var g = writer.CreateRowGroup();
            await g.WriteAsync<int>(id, new ReadOnlyMemory<int>(part.Select(u => checked((int)u.UserId)).ToArray()));
            await g.WriteAsync(country, part.Select(u => u.Country).ToArray()!);
            await g.WriteAsync(segment, part.Select(u => u.Segment).ToArray()!);
            await g.WriteAsync<DateTime>(signup, new ReadOnlyMemory<DateTime?>(part.Select(u => u.SignupDate).ToArray()));
        }
    }

    /// <summary>
    /// Apache Arrow C++ through ParquetSharp: INT64 ids, Hadoop-framed LZ4 (what Spark's lz4 codec writes), v2 data pages,
    /// dates BYTE_STREAM_SPLIT and strings without a dictionary, row groups of <paramref name="rowGroup"/>.
    /// </summary>
    public static void Arrow(string path, IReadOnlyList<UserRecord> users, int rowGroup)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var ids = new Int64Array.Builder();
        var country = new StringArray.Builder();
        var segment = new StringArray.Builder();
        var signup = new Date32Array.Builder();
        foreach (var u in users)
        {
            ids.Append(u.UserId);
            if (u.Country is { } c) country.Append(c); else country.AppendNull();
            if (u.Segment is { } s) segment.Append(s); else segment.AppendNull();
            if (u.SignupDate is { } d) signup.Append(d); else signup.AppendNull();
        }
        var schema = new Schema.Builder()
            .Field(f => f.Name("user_id").DataType(Int64Type.Default).Nullable(false))
            .Field(f => f.Name("country").DataType(StringType.Default).Nullable(true))
            .Field(f => f.Name("segment").DataType(StringType.Default).Nullable(true))
            .Field(f => f.Name("signup_date").DataType(Date32Type.Default).Nullable(true))
            .Build();
        using var batch = new RecordBatch(schema, [ids.Build(), country.Build(), segment.Build(), signup.Build()], users.Count);
        using var properties = new ParquetSharp.WriterPropertiesBuilder()
            .Compression(ParquetSharp.Compression.Lz4Hadoop)
            .DataPageVersion(ParquetSharp.ParquetDataPageVersion.V2)
            .DisableDictionary("signup_date").Encoding("signup_date", ParquetSharp.Encoding.ByteStreamSplit)
            .DisableDictionary("country")
            .Build();
        using var writer = new ParquetSharp.Arrow.FileWriter(path, schema, properties);
        writer.WriteRecordBatch(batch, rowGroup);
        writer.Close();
    }
}
