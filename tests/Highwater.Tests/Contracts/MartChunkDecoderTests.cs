using Parquet;
using Parquet.Schema;
using Xunit;
using static Highwater.Parquet.Tests.Support.ChunkDecoderComparison;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Tests.Contracts;

/// <summary>
/// The gate reads column chunks itself (<see cref="ColumnChunkDecoder"/>) where it can; every column of a mart file it
/// decodes must hold exactly what Parquet.Net reads from the same chunk (files of other writers:
/// tests/Highwater.Parquet.Tests/Reading/ColumnChunkDecoderTests.cs).
/// </summary>
public sealed class MartChunkDecoderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hw-chunks-" + Guid.NewGuid().ToString("N"));

    public MartChunkDecoderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(2, 200, 0)]
    [InlineData(3, 5000, 0)]
    [InlineData(4, 5000, 100)] // ASCII order_ids only, all shorter than 128 bytes: the page is widened whole
    [InlineData(5, 3000, 300)] // ASCII, some of 128 bytes or more (a length prefix that is not ASCII): value by value
    public async Task Mart_files_of_the_own_writer_read_as_Parquet_Net_reads_them(int seed, int rows, int asciiPadding)
    {
        var random = new Random(seed);
        string[] currencies = ["EUR", "USD", "GBP", "€ur", ""];
        var records = Enumerable.Range(0, rows).Select(i => new MartRecord(
            OrderId: random.Next(10) == 0 ? null : $"o-{seed}-{i}-{(random.Next(5) == 0 ? asciiPadding > 0 ? new string('x', random.Next(asciiPadding)) : "é✓" : "")}",
            UserId: random.NextInt64(-5, 1_000_000),
            EventTs: new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(random.NextInt64(0, TimeSpan.TicksPerDay) / 10 * 10),
            ArrivalTs: new DateTime(2025, 1, 2, 0, 0, 0, DateTimeKind.Utc).AddSeconds(random.Next(86_400)),
            Qty: random.Next(7) == 0 ? null : random.Next(-3, 50),
            UnitPrice: random.Next(7) == 0 ? null : random.Next(-1000, 100_000) / 100m,
            TotalPrice: random.Next(3) == 0 ? null : random.Next(0, 10_000_000) / 100m,
            Currency: random.Next(6) == 0 ? null : currencies[random.Next(currencies.Length)],
            Sku: $"sku-{random.Next(rows)}",
            Channel: random.Next(2) == 0 ? "web" : "app",
            Country: null,
            Segment: "retail",
            SignupDate: random.Next(4) == 0 ? null : new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(random.Next(2000)),
            SourceKey: $"events/2025-01-01/part-{random.Next(4)}.json")).ToList();
        var path = Path.Combine(_dir, $"mart-{seed}.parquet");
        await using (var stream = File.Create(path)) await MartTestRows.WriteAsync(stream, records);

        var (decoded, slices) = await AssertSameAsParquetNetWithSlicesAsync(path);

        Assert.Equal(Schemas.SalesMart.Schema.DataFields.Length, decoded); // every mart column is read here
        Assert.True(slices >= 1, "order_id was not read as slices"); // order_id (and sku when it does not repeat)
    }
}
