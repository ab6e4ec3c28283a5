using CsCheck;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>An index segment's order_id filter never hides an id it holds, and lets a run skip a segment without them.</summary>
public sealed class OrderIdFilterTests
{
    private static readonly DateTime T = new(2026, 1, 25, 8, 0, 0, DateTimeKind.Utc);

    private static MartRecord Row(string? id) => new(id, 1, T, T, 1, 1m, 1m, "EUR", "S", "web", "DE", "retail", null, "events/a.json");

    [Fact]
    public void Every_added_id_may_be_contained_after_a_round_trip_through_text()
    {
        Gen.String.HashSet[0, 200].Sample(ids =>
        {
            var filter = OrderIdFilter.For(ids.Count);
            foreach (var id in ids) filter.Add(id);
            var back = OrderIdFilter.FromMetadata(new Dictionary<string, string> { [OrderIdFilter.MetadataKey] = filter.ToText() })!;
            Assert.All(ids, id => Assert.True(back.MayContain(id), $"'{id}' was added but the filter says no"));
        }, iter: 200);
    }

    [Fact]
    public void Every_added_id_may_be_contained_after_a_round_trip_through_the_binary_form()
    {
        Gen.String.HashSet[0, 200].Sample(ids =>
        {
            var filter = OrderIdFilter.For(ids.Count);
            foreach (var id in ids) filter.Add(id);
            var back = OrderIdFilter.FromBinary(filter.ToBinary())!;
            Assert.All(ids, id => Assert.True(back.MayContain(id), $"'{id}' was added but the filter says no"));
            Assert.Equal(filter.ToText(), back.ToText());
        }, iter: 200);
    }

    [Fact]
    public void A_filter_of_a_size_that_is_not_a_power_of_two_is_probed_by_division()
    {
        // As earlier versions sized them: three words. All bits set: every id may be there; none set: no id is.
        byte[] Filter(ulong word)
        {
            var bytes = new byte[8 + 3 * 8];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, 14);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 3);
            for (var i = 0; i < 3; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8 + i * 8), word);
            return bytes;
        }
        var ids = Enumerable.Range(0, 1000).Select(i => $"O-{i}").ToList();
        Assert.All(ids, id => Assert.True(OrderIdFilter.FromBinary(Filter(ulong.MaxValue))!.MayContain(id)));
        Assert.All(ids, id => Assert.False(OrderIdFilter.FromBinary(Filter(0))!.MayContain(id)));
    }

    [Fact]
    public void A_classic_filter_of_an_earlier_version_finds_its_ids()
    {
        // Built here as earlier versions wrote them (the scheme the class documents: FNV-1a over UTF-16 units, the
        // MurmurHash3 finaliser, 14 probes by double hashing over a power-of-two bit array), then read back.
        static ulong Mix(ulong k) { k ^= k >> 33; k *= 0xff51afd7ed558ccdUL; k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53UL; return k ^ k >> 33; }
        var ids = Enumerable.Range(0, 5000).Select(i => $"O-7-{i}").ToList();
        var words = new ulong[2048]; // 131,072 bits: over 20 per id
        foreach (var id in ids)
        {
            var h = 14695981039346656037UL;
            foreach (var c in id) h = (h ^ c) * 1099511628211UL;
            var h1 = Mix(h);
            var h2 = Mix(h1 ^ 0x9E3779B97F4A7C15UL) | 1;
            for (var p = 0; p < 14; p++)
            {
                var bit = (h1 + (ulong)p * h2) & ((ulong)words.Length * 64 - 1);
                words[bit >> 6] |= 1UL << (int)(bit & 63);
            }
        }
        var bytes = new byte[8 + words.Length * 8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, 14);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), words.Length);
        for (var i = 0; i < words.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8 + i * 8), words[i]);

        var filter = OrderIdFilter.FromBinary(bytes)!;
        Assert.All(ids, id => Assert.True(filter.MayContain(id), $"'{id}' was in the earlier version's filter"));
        Assert.InRange(Enumerable.Range(0, 50_000).Count(i => filter.MayContain($"O-8-{i}")), 0, 30);
        Assert.Throws<InvalidOperationException>(() => filter.Add("O-9"));
    }

    [Fact]
    public void A_blocked_filter_of_any_block_count_is_probed()
    {
        // Three blocks of eight words (not a power of two), flagged blocked: all bits set, every id may be there; none set, no id is.
        byte[] Filter(ulong word)
        {
            var bytes = new byte[8 + 24 * 8];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, 8 | OrderIdFilter.BlockedFlag);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 24);
            for (var i = 0; i < 24; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8 + i * 8), word);
            return bytes;
        }
        var ids = Enumerable.Range(0, 1000).Select(i => $"O-{i}").ToList();
        Assert.All(ids, id => Assert.True(OrderIdFilter.FromBinary(Filter(ulong.MaxValue))!.MayContain(id)));
        Assert.All(ids, id => Assert.False(OrderIdFilter.FromBinary(Filter(0))!.MayContain(id)));
        // A blocked filter must hold whole blocks, and at most 8 probes.
        var cut = Filter(0).AsSpan(0, 8 + 20 * 8).ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(cut.AsSpan(4), 20);
        Assert.Null(OrderIdFilter.FromBinary(cut));
        var many = Filter(0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(many, 9 | OrderIdFilter.BlockedFlag);
        Assert.Null(OrderIdFilter.FromBinary(many));
    }

    [Theory]
    [InlineData(0)]    // nothing
    [InlineData(12)]   // a header and half a word
    [InlineData(-1)]   // one byte short of the announced words
    public void Binary_filters_of_the_wrong_length_are_no_filter(int length)
    {
        var bytes = OrderIdFilter.For(100).ToBinary();
        var cut = bytes.AsSpan(0, length >= 0 ? length : bytes.Length + length).ToArray();
        Assert.Null(OrderIdFilter.FromBinary(cut));
    }

    [Fact]
    public void Ids_never_added_are_almost_always_ruled_out()
    {
        var filter = OrderIdFilter.For(20_000);
        for (var i = 0; i < 20_000; i++) filter.Add($"O-1-2-{i}");
        var falsePositives = Enumerable.Range(0, 200_000).Count(i => filter.MayContain($"O-301-2-{i}"));
        // Blocked, 24 bits and 8 probes per id: about 1 in 20,000 expected (6 here); 60 would mean a broken hash.
        Assert.InRange(falsePositives, 0, 60);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v2:14:AAAAAAAAAAA=")]
    [InlineData("v1:0:AAAAAAAAAAA=")]
    [InlineData("v1:14:not base64!")]
    [InlineData("v1:14:AAAA")]
    public void A_missing_or_unknown_filter_is_no_filter(string? text)
    {
        var metadata = text is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [OrderIdFilter.MetadataKey] = text };
        Assert.Null(OrderIdFilter.FromMetadata(metadata));
    }

    [Fact]
    public async Task A_segment_is_skipped_only_when_none_of_the_wanted_ids_is_in_it()
    {
        var rows = Enumerable.Range(0, 1_000).Select(i => Row($"O-{i}")).Append(Row(null)).ToList();
        using var file = new MemoryStream();
        await MartTestRows.WriteAsync(file, rows, withOrderIdFilter: true);

        async Task<(bool Read, List<MartRecord> Rows)> ReadWanting(params string[] wanted)
        {
            file.Position = 0;
            var into = new List<MartRecord>();
            var set = wanted.ToHashSet();
            var read = await MartTestRows.ReadAsync(file, "segment", into, id => id is not null && set.Contains(id), set);
            return (read, into);
        }

        var none = await ReadWanting("X-1", "X-2", "O-1000");
        Assert.False(none.Read);
        Assert.Empty(none.Rows);

        var some = await ReadWanting("X-1", "O-7", "O-999");
        Assert.True(some.Read);
        Assert.Equal(["O-7", "O-999"], some.Rows.Select(r => r.OrderId).Order(StringComparer.Ordinal));

        // Without a filter in the footer (an earlier version's segment), the file is read as before.
        using var plain = new MemoryStream();
        await MartTestRows.WriteAsync(plain, rows);
        var into = new List<MartRecord>();
        Assert.True(await MartTestRows.ReadAsync(plain, "old segment", into, id => id == "O-3", new HashSet<string> { "O-3" }));
        Assert.Equal(["O-3"], into.Select(r => r.OrderId));
    }
}
