using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Schema;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>
/// Order-index segments written by earlier versions, kept as files beside this test: a warehouse keeps its index
/// across upgrades, so every layout a release has written must still read back to the rows it was written from.
/// </summary>
public sealed class OrderIndexFixtureTests
{
    private static readonly DateTime T0 = new(2026, 1, 25, 8, 0, 0, DateTimeKind.Utc);

    /// <summary>The rows the fixtures hold: nulls in every nullable column, non-ASCII and long order_ids, quantities past a byte,
    /// money of mixed scale and past 64 bits, signup dates that are and are not UTC midnights, and more than 255 skus.</summary>
    internal static MartRecord FixtureRow(int i) => new(
        i % 7 == 0 ? null : i % 11 == 0 ? $"ö-{i}-€" : i % 13 == 0 ? $"O-{i}-{new string('x', 300)}" : $"O-{i}",
        i % 17 == 0 ? long.MinValue + i : 1000 + i,
        T0.AddTicks(i * 10_000_010L),
        T0.AddSeconds(2 * i),
        i % 5 == 0 ? null : i % 9 == 0 ? 100_000 + i : i % 10 == 1 ? -i : i % 8,
        i % 3 == 0 ? null : i % 4 == 0 ? 1.5m * i : i % 23 == 0 ? 79228162514264337593543950335m : 0.01m * i,
        i % 5 == 0 || i % 3 == 0 ? null : i % 29 == 0 ? -7922816251426433759354395033.5m : 1.25m * i,
        i % 4 == 0 ? null : i % 2 == 0 ? "EUR" : "USD",
        $"SKU-{i % 400}",
        i % 10 == 0 ? "" : "web",
        i % 6 == 0 ? null : "DE",
        i % 6 == 1 ? "日本" : "smb",
        i % 8 == 0 ? null : i % 8 == 1 ? T0.AddDays(-i) : i % 8 == 2 ? new DateTime(2001, 2, 3, 0, 0, 0, DateTimeKind.Local) : T0.Date.AddDays(-i),
        $"events/2026-01-25/f{i % 3}.json");

    internal static List<MartRecord> FixtureRows() => Enumerable.Range(0, 700).Select(FixtureRow).ToList();

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Columnar", "Fixtures", name);

    [Fact]
    public async Task A_segment_of_the_HWIDX002_layout_reads_back_to_its_rows()
    {
        var read = new List<MartRecord>();
        await using (var s = File.OpenRead(Fixture("order-index-hwidx002.hwidx")))
            Assert.True(await MartTestRows.ReadSegmentAsync(s, "hwidx002", read, keep: null, wanted: null));

        Assert.Equal(FixtureRows(), read);
    }

    [Fact]
    public async Task The_same_rows_written_today_read_back_the_same_from_a_smaller_file()
    {
        using var today = new MemoryStream();
        MartTestRows.WriteSegment(today, FixtureRows());
        var read = new List<MartRecord>();

        Assert.True(await MartTestRows.ReadSegmentAsync(new MemoryStream(today.ToArray()), "today", read, keep: null, wanted: null));

        Assert.Equal(FixtureRows(), read);
        Assert.True(today.Length < new FileInfo(Fixture("order-index-hwidx002.hwidx")).Length,
            $"{today.Length:N0} bytes today against {new FileInfo(Fixture("order-index-hwidx002.hwidx")).Length:N0} in HWIDX002");
    }
}
