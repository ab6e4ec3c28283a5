using Highwater.Parquet.Reading;
using Highwater.Parquet.Writing;
using Parquet;
using Parquet.Schema;
using Xunit;

namespace Highwater.Parquet.Tests.Reading;

/// <summary>
/// A chunk's footer statistics are taken only where the format makes them exact: bounds decoded as the rows decode
/// (files of DuckDB and of the own writer, which declare the type-defined column order), none where a file declares no
/// column order (Parquet.Net's) or for strings, and a dictionary only when every data page uses it.
/// </summary>
public sealed class ColumnChunkStatisticsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hw-stats-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<Dictionary<string, ColumnChunkStatistics?>> ReadAsync(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        using var rg = reader.OpenRowGroupReader(0);
        return reader.Schema.DataFields.ToDictionary(f => f.Name, f => ColumnChunkStatistics.Of(path, reader.Metadata, rg, f));
    }

    [Fact]
    public async Task DuckDB_files_give_null_counts_and_bounds_as_the_rows_decode()
    {
        var path = Path.Combine(_dir, "duckdb.parquet");
        using (var db = new DuckDb())
            db.Execute($"""
                COPY (SELECT i::INTEGER AS small, (i * 1000003)::BIGINT - 50000000 AS big,
                             CASE WHEN i % 4 = 0 THEN NULL ELSE (i - 500) / 100 END::DECIMAL(12, 2) AS price,
                             TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_seconds(i * 17) AS at,
                             DATE '2023-12-30' + i::INTEGER AS day, 'v' || (i % 3) AS code
                      FROM range(1, 1001) t(i)) TO '{path}' (FORMAT parquet)
                """);

        var stats = await ReadAsync(path);

        Assert.Equal(new[] { 1, 1000 }, stats["small"]!.Bounds);
        Assert.Equal(new[] { 1_000_003L - 50_000_000, 1_000_003_000L - 50_000_000 }, stats["big"]!.Bounds);
        Assert.Equal(new[] { -4.99m, 4.99m }, stats["price"]!.Bounds); // i = 1 and 999 (1000 is null)
        Assert.Equal(250L, stats["price"]!.NullCount);
        var at = Assert.IsType<DateTime[]>(stats["at"]!.Bounds);
        Assert.Equal(new DateTime(2024, 3, 1, 0, 0, 17, DateTimeKind.Utc), at[0]);
        Assert.Equal(new DateTime(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(17_000), at[1]);
        Assert.Equal(0L, stats["small"]!.NullCount);
        Assert.Equal(new[] { new DateTime(2023, 12, 31), new DateTime(2023, 12, 30).AddDays(1000) }, stats["day"]!.Bounds);
        Assert.Null(stats["code"]!.Bounds); // strings: UTF-8 byte order is not .NET's ordinal order
    }

    [Fact]
    public async Task The_own_writers_files_give_bounds_and_the_dictionary_of_a_dictionary_encoded_string_column()
    {
        var path = Path.Combine(_dir, "own.parquet");
        long[] ids = [7, -3, 42, 5];
        int?[] qtys = [null, 4, -2, null];
        string?[] codes = ["EUR", "USD", "EUR", null];
        await using (var s = File.Create(path))
        using (var w = new ParquetFileWriter(s, [new("id", ParquetValueKind.Int64, false), new("qty", ParquetValueKind.Int32, true),
                   new("code", ParquetValueKind.Utf8, true)]))
        {
            w.BeginRowGroup(4);
            w.WriteInt64s(ids);
            w.WriteNullableInt32s(qtys);
            w.WriteStrings(codes);
            w.EndRowGroup();
            w.Complete();
        }

        var stats = await ReadAsync(path);

        Assert.Equal(new[] { -3L, 42L }, stats["id"]!.Bounds);
        Assert.Equal(new[] { -2, 4 }, stats["qty"]!.Bounds);
        Assert.Equal(2L, stats["qty"]!.NullCount);
        Assert.Null(stats["code"]!.Bounds);
        Assert.Equal(1L, stats["code"]!.NullCount);
        Assert.Equal(["EUR", "USD"], stats["code"]!.DictionaryStrings()!.Order(StringComparer.Ordinal));
        Assert.Null(stats["id"]!.DictionaryStrings());
    }

    [Fact]
    public async Task A_Parquet_Net_file_declares_no_column_order_so_gives_null_counts_but_no_bounds()
    {
        var path = Path.Combine(_dir, "parquet-net.parquet");
        var field = new DataField<int?>("qty");
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(field), stream))
        {
            using var g = writer.CreateRowGroup();
            await g.WriteAsync<int>(field, new int?[] { 3, null, 9, null, null });
        }

        var qty = (await ReadAsync(path))["qty"]!;

        Assert.Equal(3L, qty.NullCount);
        Assert.Null(qty.Bounds);
    }

    public static TheoryData<string, bool> EncodingStats => new()
    {
        { "", false },                                                   // not stated: a data page may be PLAIN
        { "DICTIONARY_PAGE:PLAIN DATA_PAGE:RLE_DICTIONARY", true },
        { "DICTIONARY_PAGE:PLAIN DATA_PAGE:PLAIN_DICTIONARY DATA_PAGE_V2:RLE_DICTIONARY", true },
        { "DICTIONARY_PAGE:PLAIN DATA_PAGE:RLE_DICTIONARY DATA_PAGE:PLAIN", false }, // fell back to PLAIN
        { "DATA_PAGE:RLE_DICTIONARY", false },                           // no dictionary page
        { "DICTIONARY_PAGE:PLAIN", false },                              // no data page
        { "DICTIONARY_PAGE:PLAIN INDEX_PAGE:PLAIN DATA_PAGE:RLE_DICTIONARY", false },
    };

    [Theory]
    [MemberData(nameof(EncodingStats))]
    public void A_dictionary_counts_only_when_the_encoding_stats_say_every_data_page_uses_it(string pages, bool dictionaryOnly)
    {
        var md = new global::Parquet.Meta.ColumnMetaData
        {
            EncodingStats = pages.Length == 0 ? null! : pages.Split(' ').Select(p => p.Split(':')).Select(p => new global::Parquet.Meta.PageEncodingStats
            {
                PageType = Enum.Parse<global::Parquet.Meta.PageType>(p[0]),
                Encoding = Enum.Parse<global::Parquet.Meta.Encoding>(p[1]),
                Count = 1,
            }).ToList(),
        };

        Assert.Equal(dictionaryOnly, ColumnChunkStatistics.IsDictionaryOnly(md));
    }
}
