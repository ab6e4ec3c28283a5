using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;
using Parquet;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>
/// <see cref="ParquetFooter"/> reads a published file's schema from the file's end only: the schema is the one a
/// reader of the whole file sees, and the bytes fetched stay a small part of a large file.
/// </summary>
public sealed class ParquetFooterTests : IDisposable
{
    private readonly TempFolder _dir = new("parquet-footer");

    [Theory]
    [InlineData(10)]        // a file smaller than the tail read: one read of the whole file
    [InlineData(400_000)]   // a file of megabytes: its last 64 KiB
    public async Task The_schema_from_the_tail_is_the_whole_files_and_little_is_read(int rows)
    {
        var path = Path.Combine(_dir.Path, "gold", "sales_mart", "dt=2026-01-25", "part-duckdb.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var duck = new DuckDb())
            duck.Execute($"COPY (SELECT 'o-' || i AS order_id, i::BIGINT AS user_id, (i % 7)::INTEGER AS qty, " +
                         $"(i / 100.0)::DECIMAL(18,2) AS unit_price, md5(i::VARCHAR) AS note FROM range({rows}) t(i)) " +
                         $"TO '{path}' (FORMAT PARQUET)");
        var store = new CountingStore(new LocalFolderStore(_dir.Path));

        var schema = await ParquetFooter.ReadSchemaAsync(store, "gold/sales_mart/dt=2026-01-25/part-duckdb.parquet", CancellationToken.None);

        await using var whole = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(whole);
        Assert.NotNull(schema);
        Assert.Equal(reader.Schema, schema);
        Assert.Equal(["order_id", "user_id", "qty", "unit_price", "note"], schema.DataFields.Select(f => f.Name));
        Assert.Equal(0, store.WholeReads);
        Assert.True(store.BytesRead <= Math.Min(new FileInfo(path).Length, ParquetFooter.TailBytes),
            $"{store.BytesRead} bytes read of a {new FileInfo(path).Length}-byte file");
    }

    [Fact]
    public async Task A_file_gone_meanwhile_has_no_schema_and_one_not_parquet_is_refused()
    {
        var store = new LocalFolderStore(_dir.Path);
        Assert.Null(await ParquetFooter.ReadSchemaAsync(store, "gold/sales_mart/dt=2026-01-25/gone.parquet", CancellationToken.None));

        await store.PutAsync("gold/sales_mart/dt=2026-01-25/part-x.parquet", new MemoryStream(new byte[5000]));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() =>
            ParquetFooter.ReadSchemaAsync(store, "gold/sales_mart/dt=2026-01-25/part-x.parquet", CancellationToken.None));
        Assert.Contains("PAR1", e.Message);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Counts the bytes read through ranged reads, and whole-object reads.</summary>
    private sealed class CountingStore(IObjectStore inner) : DelegatingStore(inner)
    {
        public long BytesRead { get; private set; }
        public int WholeReads { get; private set; }

        public override Task<Stream> OpenReadAsync(string key, CancellationToken ct = default)
        {
            WholeReads++;
            return base.OpenReadAsync(key, ct);
        }

        public override async Task<Stream> OpenReadFromAsync(string key, long offset, CancellationToken ct = default)
        {
            var s = await base.OpenReadFromAsync(key, offset, ct);
            BytesRead += s.Length - offset;
            return s;
        }
    }
}
