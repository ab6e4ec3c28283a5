using System.Buffers.Binary;
using System.Text;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Schema;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>
/// The HWIDX004 order-index segment against its golden fixture (<c>Fixtures/order-index-hwidx004.hwidx</c>) and its
/// written spec (docs/formats.md), and the HWIDX003 fixture (the same rows, written by the last HWIDX003 build) read by
/// today's reader. A warehouse keeps its index across upgrades, so a committed file must read back to its rows for as
/// long as its version is read, and the writer must keep producing exactly the current fixture's bytes: a change to the
/// bytes is a new format, with a new magic, a new fixture and a new section in docs/formats.md. (A new or dropped
/// column is not: HWIDX004 carries its column list, and the fixture then keeps being read by name.)
/// <para>
/// The fixture is the bytes of <see cref="WriteToday"/>. To write the fixture of a new version, run this class's tests
/// once with <c>HIGHWATER_WRITE_FIXTURE</c> set to the new file's path (the exact-bytes test writes there first).
/// </para>
/// </summary>
public sealed class OrderIndexSegmentFormatTests
{
    private const string FixtureName = "order-index-hwidx004.hwidx";
    private const string Hwidx003Name = "order-index-hwidx003.hwidx";
    private static readonly DateTime T0 = new(2026, 1, 25, 8, 0, 0, DateTimeKind.Utc);
    private static readonly string LongId = "L-" + new string('x', 298); // 300 UTF-8 bytes: past a one-byte length
    private const string MultiByteId = "ö-€-日本-🙂"; // 2-, 3- and 4-byte UTF-8 (the last a UTF-16 surrogate pair)

    /// <summary>
    /// The fixture's rows. Block 1 (rows 0..7): every order_id shorter than 255 bytes and every quantity 0..255, so its
    /// order_id and qty columns take the narrow form. Block 2 (rows 8..12): a 300-byte order_id and quantities past a byte
    /// and below zero, so both take the wide form. Every nullable column holds a null in each block; channel holds "" (not
    /// null); money has mixed scales and the extreme decimals; dates have ticks below a millisecond and two kinds.
    /// </summary>
    private static List<MartRecord> Rows() =>
    [
        new("O-1", 1001, T0.AddTicks(12_345_678), T0.AddSeconds(2), 3, 19.99m, 59.97m, "EUR", "SKU-1", "web", "DE", "smb",
            T0.Date, "events/2026-01-25/a.json"),
        new(null, 1002, T0.AddMinutes(1), T0.AddMinutes(2), null, null, null, null, "SKU-2", "", null, null, null,
            "events/2026-01-25/a.json"),
        new(MultiByteId, long.MinValue, T0.AddHours(1), T0.AddHours(1).AddTicks(1), 0, 0m, 0.000m, "USD", "SKU-1", "app", "JP",
            "日本", new DateTime(2025, 12, 31, 0, 0, 0, DateTimeKind.Unspecified), "events/2026-01-25/b.json"),
        new("O-4", long.MaxValue, T0.AddDays(1), T0.AddDays(1), 255, decimal.MaxValue, -7922816251426433759354395033.5m, "EUR",
            "SKU-3", null, "DE", "smb", new DateTime(2001, 2, 3, 0, 0, 0, DateTimeKind.Utc), "events/2026-01-25/b.json"),
        new("", 0, T0, T0, 1, -0.01m, -0.02m, "EUR", "SKU-3", "web", null, "enterprise", T0.Date.AddDays(-400),
            "events/2026-01-25/a.json"),
        new("O-6", -1, T0.AddMilliseconds(1), T0.AddMilliseconds(3), 2, 1.5m, 3.00m, null, null, "web", "FR", null, null,
            "events/2026-01-26/c.json"),
        new("O-7", 7, T0.AddSeconds(7), T0.AddSeconds(8), null, 2.25m, null, "USD", "SKU-2", "web", "DE", "smb", T0.Date,
            "events/2026-01-26/c.json"),
        new("O-1", 1001, T0.AddTicks(12_345_678), T0.AddSeconds(9), 4, 19.99m, 79.96m, "EUR", "SKU-1", "web", "DE", "smb",
            T0.Date, "events/2026-01-26/c.json"),
        new(LongId, 2001, T0.AddDays(-1), T0.AddDays(-1).AddSeconds(1), 100_000, 0.5m, 50_000.0m, "GBP", "SKU-9", "web", "GB",
            "smb", T0.Date.AddDays(-1), "events/2026-01-24/z.json"),
        new(null, 2002, T0.AddDays(-1), T0.AddDays(-1), -3, null, null, "GBP", "SKU-9", null, null, "日本", null,
            "events/2026-01-24/z.json"),
        new("O-11", 2003, T0.AddDays(-1).AddTicks(1), T0.AddDays(-1).AddTicks(2), null, 7m, null, null, null, "web", "GB", null,
            new DateTime(2026, 1, 24, 13, 14, 15, DateTimeKind.Utc), "events/2026-01-24/z.json"),
        new(MultiByteId, 2004, T0.AddDays(-1), T0.AddDays(-1), 256, 1m, 256m, "EUR", "SKU-1", "app", "JP", "日本", null,
            "events/2026-01-24/y.json"),
        new("O-13", 2005, T0.AddDays(-1), T0.AddDays(-1), 0, 0m, 0m, "EUR", "SKU-1", "app", "JP", "smb", null,
            "events/2026-01-24/y.json"),
    ];

    /// <summary>The rows in two groups, so the segment has two blocks (a group starts a block of its own).</summary>
    private static List<OrderIndexSegment.RowGroup> Groups() =>
        [new(null, Enumerable.Range(0, 8).ToList()), new("2026-01-24", Enumerable.Range(8, 5).ToList())];

    /// <summary>The segment the current writer makes of <see cref="Rows"/>: the fixture's bytes while HWIDX003 is written.</summary>
    private static (byte[] Bytes, List<OrderIndexSegment.WrittenBlock> Blocks) WriteToday()
    {
        using var s = new MemoryStream();
        var blocks = MartTestRows.WriteSegment(s, Rows(), Groups());
        return (s.ToArray(), blocks);
    }

    private static string Fixture => FixturePath(FixtureName);

    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Columnar", "Fixtures", name);

    /// <summary>Equal rows, and equal in what record equality does not compare: each DateTime's kind and each decimal's scale.</summary>
    private static void AssertSameRows(List<MartRecord> expected, List<MartRecord> actual)
    {
        Assert.Equal(expected, actual);
        for (var i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            Assert.Equal((e.EventTs.Kind, e.ArrivalTs.Kind, e.SignupDate?.Kind), (a.EventTs.Kind, a.ArrivalTs.Kind, a.SignupDate?.Kind));
            Assert.Equal(Bits(e.UnitPrice), Bits(a.UnitPrice));
            Assert.Equal(Bits(e.TotalPrice), Bits(a.TotalPrice));
        }
    }

    private static int[]? Bits(decimal? d) => d is { } v ? decimal.GetBits(v) : null;

    [Theory]
    [InlineData(FixtureName)]
    [InlineData(Hwidx003Name)]
    public async Task The_committed_fixture_reads_back_to_its_rows(string name)
    {
        var read = new List<MartRecord>();
        await using (var s = File.OpenRead(FixturePath(name)))
            Assert.True(await MartTestRows.ReadSegmentAsync(s, name, read, keep: null, wanted: null));

        AssertSameRows(Rows(), read);
    }

    [Fact]
    public void Writing_the_fixture_rows_today_gives_the_committed_bytes_exactly()
    {
        var (today, _) = WriteToday();
        if (Environment.GetEnvironmentVariable("HIGHWATER_WRITE_FIXTURE") is { Length: > 0 } path) File.WriteAllBytes(path, today);

        var committed = File.ReadAllBytes(Fixture);
        var first = Enumerable.Range(0, Math.Min(today.Length, committed.Length)).FirstOrDefault(i => today[i] != committed[i], -1);
        Assert.True(today.AsSpan().SequenceEqual(committed),
            $"the writer makes {today.Length:N0} bytes, the fixture holds {committed.Length:N0}; first difference at offset {first}. " +
            "A change to the bytes is a new segment format: a new magic, a new fixture and its section in docs/formats.md.");
    }

    /// <summary>The facts docs/formats.md states about the segment's frame, checked on the fixtures' bytes.</summary>
    [Theory]
    [InlineData(FixtureName, "HWIDX004")]
    [InlineData(Hwidx003Name, "HWIDX003")]
    public void The_fixture_frame_is_as_docs_formats_md_states(string name, string magic)
    {
        var bytes = File.ReadAllBytes(FixturePath(name));
        var (_, written) = WriteToday();

        var (at, filterLength, w, blocks) = SpecFrame(bytes, magic);
        // The filter: stored probes 8 | 0x100 (blocked), W = 8 * max(1, ceil(rows * 24 / 512)): 13 rows are 312 bits, one block.
        Assert.Equal(8 | 0x100, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at)));
        Assert.Equal(8, w);
        Assert.Equal(8 + 8 * w, filterLength);

        // Two blocks (one per group), each starting with its int32 row count; the tagged group's block is reported where it is.
        Assert.Equal([8, 5], blocks.Select(b => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(b.Offset))));
        var tagged = Assert.Single(written);
        Assert.Equal((blocks[1].Length, 5), (tagged.Length, tagged.Rows));
        if (name == FixtureName) Assert.Equal(blocks[1].Offset, (int)tagged.Offset); // HWIDX003 had no column list before the filter

        // order_id's form byte follows the row count: 1 (one-byte lengths) in block 1, 0 (four-byte lengths) in block 2.
        Assert.Equal(1, bytes[blocks[0].Offset + 4]);
        Assert.Equal(0, bytes[blocks[1].Offset + 4]);

        // Every block decodes, by the spec alone (SpecBlock below), to its rows.
        var rows = Rows();
        AssertSameRows(rows.Take(8).ToList(), SpecBlock.Decode(bytes.AsSpan(blocks[0].Offset, blocks[0].Length), wide: false));
        AssertSameRows(rows.Skip(8).ToList(), SpecBlock.Decode(bytes.AsSpan(blocks[1].Offset, blocks[1].Length), wide: false));

        // The filter's bits, by the spec's hash: every non-null order_id's 8 probes are set in its block.
        var words = Enumerable.Range(0, w).Select(i => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at + 8 + 8 * i))).ToArray();
        foreach (var id in rows.Select(r => r.OrderId).OfType<string>())
            Assert.All(SpecProbes(id, w), bit => Assert.True((words[bit >> 6] & 1UL << (bit & 63)) != 0, $"probe bit {bit} of \"{id}\" is not set"));
        // The filter holds the ids and nothing else: with so few ids in 512 bits, the set bits are exactly their probes.
        var probed = rows.Select(r => r.OrderId).OfType<string>().SelectMany(id => SpecProbes(id, w)).ToHashSet();
        Assert.Equal(probed.Count, words.Sum(x => System.Numerics.BitOperations.PopCount(x)));
    }

    /// <summary>
    /// The frame docs/formats.md states, walked on a segment's bytes: the magic; in HWIDX004 the column list (int32 length
    /// K, then K bytes: int32 C, per column a u8 kind, int32 name length, UTF-8 name), which must be sales_mart's 14 columns
    /// with the kinds the column block table gives; int32 filter length F, F bytes of filter (int32 stored probes, int32
    /// word count W, W words), blocks as int32 length L then L bytes, int32 -1, the magic again. Returns where the filter's
    /// bytes start.
    /// </summary>
    private static (int FilterAt, int FilterLength, int Words, List<(int Offset, int Length)> Blocks) SpecFrame(byte[] bytes, string magic)
    {
        Assert.Equal(magic, Encoding.ASCII.GetString(bytes, 0, 8));
        var at = 8;
        if (magic == "HWIDX004")
        {
            var k = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            var list = bytes.AsSpan(at + 4, k);
            var columns = new List<(byte Kind, string Name)>();
            var c = BinaryPrimitives.ReadInt32LittleEndian(list);
            var p = 4;
            for (var i = 0; i < c; i++)
            {
                var kind = list[p];
                var n = BinaryPrimitives.ReadInt32LittleEndian(list[(p + 1)..]);
                columns.Add((kind, Encoding.UTF8.GetString(list.Slice(p + 5, n))));
                p += 5 + n;
            }
            Assert.Equal(k, p); // the list ends with its last column
            // Kinds: 1 plain string, 2 dictionary string, 3 int64, 4 timestamp, 5 nullable timestamp, 6 nullable int32, 7 nullable decimal.
            Assert.Equal([(1, "order_id"), (3, "user_id"), (4, "event_ts"), (4, "arrival_ts"), (6, "qty"), (7, "unit_price"),
                (7, "total_price"), (2, "currency"), (2, "sku"), (2, "channel"), (2, "country"), (2, "segment"), (5, "signup_date"),
                (2, "source_key")], columns.Select(x => ((int)x.Kind, x.Name)));
            at += 4 + k;
        }
        var filterAt = at + 4;
        var f = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
        var w = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(filterAt + 4));
        Assert.Equal(8 + 8 * w, f);
        at = filterAt + f;
        var blocks = new List<(int Offset, int Length)>();
        int length;
        while ((length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at))) != -1)
        {
            Assert.InRange(length, 4, bytes.Length - at - 4 - 12);
            blocks.Add((at + 4, length));
            at += 4 + length;
        }
        Assert.Equal(bytes.Length - 12, at); // the -1, then the closing magic, then the end of the file
        Assert.Equal(magic, Encoding.ASCII.GetString(bytes, bytes.Length - 8, 8));
        return (filterAt, f, w, blocks);
    }

    /// <summary>The HWIDX002 fixture (wide blocks) read by the spec alone, to the rows it was written from.</summary>
    [Fact]
    public void The_HWIDX002_fixture_frame_and_wide_blocks_are_as_docs_formats_md_states()
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Columnar", "Fixtures", "order-index-hwidx002.hwidx"));

        var (at, _, w, blocks) = SpecFrame(bytes, "HWIDX002");

        // A blocked filter for 700 rows: 16,800 bits in 33 blocks of 512.
        Assert.Equal(8 | 0x100, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at)));
        Assert.Equal(8 * 33, w);
        var read = blocks.SelectMany(b => SpecBlock.Decode(bytes.AsSpan(b.Offset, b.Length), wide: true)).ToList();
        AssertSameRows(OrderIndexFixtureTests.FixtureRows(), read);
    }

    /// <summary>
    /// The bits (0 .. 64W-1) a blocked filter of W words sets for an id, as docs/formats.md defines them: FNV-1a 64 over
    /// the id's UTF-16 code units, the MurmurHash3 fmix64 finaliser, block and probes from the two hashes.
    /// </summary>
    private static IEnumerable<int> SpecProbes(string id, int words)
    {
        var h = 14695981039346656037UL;
        foreach (var c in id) h = (h ^ c) * 1099511628211UL;
        var h1 = Fmix64(h);
        var h2 = Fmix64(h1 ^ 0x9E3779B97F4A7C15UL) | 1;
        var block = (int)(((h1 >> 32) * (ulong)(words / 8)) >> 32);
        for (var i = 0; i < 8; i++)
            yield return block * 512 + (int)((i < 7 ? h2 >> (9 * i) : h1) & 511);
    }

    private static ulong Fmix64(ulong k)
    {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdUL;
        k ^= k >> 33;
        k *= 0xc4ceb9fe1a85ec53UL;
        k ^= k >> 33;
        return k;
    }

    /// <summary>A reader of one HWIDX004/HWIDX003 (compact) mart block written from docs/formats.md, sharing no code with the writer.</summary>
    private ref struct SpecBlock(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;
        private bool _wide; // HWIDX002: no form bytes, int32 lengths, quantities and dictionary ids

        public static List<MartRecord> Decode(ReadOnlySpan<byte> bytes, bool wide)
        {
            var r = new SpecBlock(bytes) { _wide = wide };
            var n = r.Int32();
            var orderId = r.Plain(n);
            var userId = r.Fixed(n, s => BinaryPrimitives.ReadInt64LittleEndian(s), 8);
            var eventTs = r.Fixed(n, Date, 8);
            var arrivalTs = r.Fixed(n, Date, 8);
            var qty = r.Qty(n);
            var unitPrice = r.NullableValues(n, Money, 16);
            var totalPrice = r.NullableValues(n, Money, 16);
            var currency = r.Dictionary(n);
            var sku = r.Dictionary(n);
            var channel = r.Dictionary(n);
            var country = r.Dictionary(n);
            var segment = r.Dictionary(n);
            var signup = r.NullableValues(n, Date, 8);
            var sourceKey = r.Dictionary(n);
            Assert.Equal(bytes.Length, r._at); // the block ends with its last column
            return Enumerable.Range(0, n).Select(i => new MartRecord(orderId[i], userId[i], eventTs[i], arrivalTs[i], qty[i], unitPrice[i],
                totalPrice[i], currency[i], sku[i], channel[i], country[i], segment[i], signup[i], sourceKey[i]!)).ToList();
        }

        /// <summary>A DateTime's 64 bits: ticks in bits 0..61, the kind in bits 62..63 (0 unspecified, 1 UTC, 2 local).</summary>
        private static DateTime Date(ReadOnlySpan<byte> s)
        {
            var v = BinaryPrimitives.ReadUInt64LittleEndian(s);
            return new DateTime((long)(v & 0x3FFF_FFFF_FFFF_FFFFUL), (DateTimeKind)(v >> 62));
        }

        /// <summary>A decimal's 16 bytes: int32 flags (scale in bits 16..23, sign in bit 31), uint32 high 32 bits, uint64 low 64 bits.</summary>
        private static decimal Money(ReadOnlySpan<byte> s)
        {
            var flags = BinaryPrimitives.ReadInt32LittleEndian(s);
            var hi = BinaryPrimitives.ReadInt32LittleEndian(s[4..]);
            var lo = BinaryPrimitives.ReadUInt64LittleEndian(s[8..]);
            return new decimal((int)(uint)lo, (int)(uint)(lo >> 32), hi, flags < 0, (byte)(flags >> 16));
        }

        private ReadOnlySpan<byte> Take(int n)
        {
            var s = _bytes.Slice(_at, n);
            _at += n;
            return s;
        }

        private int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        private delegate T Value<T>(ReadOnlySpan<byte> s);

        private T[] Fixed<T>(int n, Value<T> value, int width)
        {
            var s = Take(n * width);
            var values = new T[n];
            for (var i = 0; i < n; i++) values[i] = value(s.Slice(i * width, width));
            return values;
        }

        /// <summary>A presence byte per row (0 null, 1 present), then every row's value, nulls included (as zeros).</summary>
        private T?[] NullableValues<T>(int n, Value<T> value, int width) where T : struct
        {
            var present = Take(n).ToArray();
            var values = Fixed(n, value, width);
            return Enumerable.Range(0, n).Select(i => present[i] == 1 ? values[i] : (T?)null).ToArray();
        }

        /// <summary>A form byte (1: every value 0..255, one byte each; 0: int32 each), then as <see cref="NullableValues{T}"/>.</summary>
        private int?[] Qty(int n) => (_wide ? 0 : Take(1)[0]) switch
        {
            1 => NullableValues(n, s => (int)s[0], 1),
            0 => NullableValues(n, s => BinaryPrimitives.ReadInt32LittleEndian(s), 4),
            var form => throw new InvalidDataException($"form {form}"),
        };

        /// <summary>A form byte, then per row a length (1: one byte, 255 for null; 0: int32, -1 for null) and its UTF-8.</summary>
        private string?[] Plain(int n)
        {
            var narrow = (_wide ? 0 : Take(1)[0]) switch { 1 => true, 0 => false, var form => throw new InvalidDataException($"form {form}") };
            var values = new string?[n];
            for (var i = 0; i < n; i++)
            {
                int length;
                if (!narrow) length = Int32();
                else length = Take(1)[0] is var b && b != 255 ? b : -1;
                values[i] = length < 0 ? null : Encoding.UTF8.GetString(Take(length));
            }
            return values;
        }

        /// <summary>int32 count C, C values (int32 length, UTF-8), then row ids: C ≤ 255, a byte each (id + 1, 0 null); else int32 (-1 null).</summary>
        private string?[] Dictionary(int n)
        {
            var values = new string[Int32()];
            for (var i = 0; i < values.Length; i++) values[i] = Encoding.UTF8.GetString(Take(Int32()));
            var ids = !_wide && values.Length <= 255 ? Fixed(n, s => s[0] - 1, 1) : Fixed(n, s => BinaryPrimitives.ReadInt32LittleEndian(s), 4);
            return ids.Select(id => id < 0 ? null : values[id]).ToArray();
        }
    }
}
