using Highwater.Pipeline.QualityGate;
using Xunit;

namespace Highwater.Tests.Contracts;

/// <summary>
/// The key sets behind unique, accepted_values and references: strings in a flat table that keeps no string alive,
/// integers looked up in a bitmap when dense. Both must answer exactly what a HashSet would.
/// </summary>
public sealed class KeySetTests
{
    [Fact]
    public void String_table_finds_duplicates_and_tells_apart_values_of_the_same_hash()
    {
        // Every value hashes alike: each lookup walks the probe chain and must compare characters.
        var table = new StringKeyTable(static _ => 42);
        string[] values = ["O-1", "O-2", "O-10", "", "O-1 ", "o-1", "O-2"];

        var added = values.Select(v => table.Add(v)).ToList();

        Assert.Equal([true, true, true, true, true, true, false], added);
        Assert.Equal(6, table.Count);
        Assert.True(table.Contains("O-10"));
        Assert.True(table.Contains(""));
        Assert.False(table.Contains("O-3"));
        Assert.False(table.Contains("O-"));
    }

    [Fact]
    public void String_table_answers_like_a_hash_set_through_growth_and_clear()
    {
        var table = new StringKeyTable(static s => s.Length == 0 ? 0 : s[^1] & 7); // few distinct hashes, many collisions
        var reference = new HashSet<string>(StringComparer.Ordinal);
        var random = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            var v = "K-" + random.Next(5_000) + new string('x', random.Next(3));
            Assert.Equal(reference.Add(v), table.Add(v));
        }

        Assert.Equal(reference.Count, table.Count);
        for (int i = 0; i < 6_000; i++)
        {
            var v = "K-" + i;
            Assert.Equal(reference.Contains(v), table.Contains(v));
        }

        table.Clear();
        Assert.Equal(0, table.Count);
        Assert.False(table.Contains(reference.First()));
        Assert.True(table.Add(reference.First()));
    }

    [Fact]
    public void String_table_with_the_real_hash_matches_a_hash_set_at_scale()
    {
        var table = new StringKeyTable();
        table.EnsureCapacity(1_000);
        int duplicates = 0;
        for (int i = 0; i < 300_000; i++)
            if (!table.Add("O-" + (i % 250_000))) duplicates++;
        Assert.Equal(50_000, duplicates);
        Assert.Equal(250_000, table.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adding_a_batch_reports_the_duplicate_rows_that_adding_row_after_row_would(bool poorHash)
    {
        Func<ReadOnlySpan<char>, int> hash = poorHash ? static s => s.Length == 0 ? 0 : s[^1] * 7919 : static s => string.GetHashCode(s);
        var batched = new StringKeyTable(hash);
        var oneByOne = new StringKeyTable(hash);
        var random = new Random(11);
        for (int batch = 0; batch < 6; batch++)
        {
            int n = 500 + random.Next(3_000);
            var values = Enumerable.Range(0, n).Select(_ => random.Next(10) == 0 ? null : "O-" + random.Next(8_000)).ToArray();
            var keep = batch % 2 == 0 ? null : Enumerable.Range(0, n).Select(_ => random.Next(5) != 0).ToArray();
            var expected = new List<int>();
            for (int r = 0; r < n; r++)
                if (values[r] is { } v && (keep is null || keep[r]) && !oneByOne.Add(v)) expected.Add(r);

            var duplicates = new List<int> { -1 }; // appended after what is there
            batched.AddAll(values, keep, duplicates);

            Assert.Equal([-1, .. expected], duplicates);
            Assert.Equal(oneByOne.Count, batched.Count);
        }
    }

    [Fact]
    public void Dense_integers_are_looked_up_in_a_bitmap_with_the_answers_of_the_hash_set()
    {
        var keys = new KeySet();
        for (long id = 1; id <= 10_000; id++)
            if (id % 3 != 0) keys.AddLong(id); // dense, with holes

        Assert.True(keys.UsesDenseIntegers);
        for (long v = -70; v <= 10_070; v++)
            Assert.Equal(v >= 1 && v <= 10_000 && v % 3 != 0, keys.ContainsLong(v));
        Assert.False(keys.ContainsLong(long.MinValue));
        Assert.False(keys.ContainsLong(long.MaxValue));
        Assert.True(keys.ContainsDecimal(10_000m));
        Assert.False(keys.ContainsDecimal(9_999m));
        Assert.False(keys.ContainsDecimal(1.5m));
    }

    [Fact]
    public void An_integer_added_after_a_lookup_is_found()
    {
        var keys = new KeySet();
        keys.AddLong(5);
        keys.AddLong(6);
        Assert.False(keys.ContainsLong(1_000));

        keys.AddLong(1_000);

        Assert.True(keys.ContainsLong(1_000));
        Assert.True(keys.ContainsLong(5));
    }

    [Fact]
    public void Sparse_integers_stay_in_the_hash_set()
    {
        var keys = new KeySet();
        long[] values = [long.MinValue, -1, 0, 1L << 40, long.MaxValue];
        foreach (var v in values) keys.AddLong(v);

        Assert.False(keys.UsesDenseIntegers);
        foreach (var v in values) Assert.True(keys.ContainsLong(v));
        Assert.False(keys.ContainsLong(2));
        Assert.False(keys.ContainsLong(long.MaxValue - 1));
    }

    [Fact]
    public void A_single_integer_at_the_end_of_the_range_is_dense()
    {
        var keys = new KeySet();
        keys.AddLong(long.MaxValue);

        Assert.True(keys.UsesDenseIntegers);
        Assert.True(keys.ContainsLong(long.MaxValue));
        Assert.False(keys.ContainsLong(long.MaxValue - 1));
        Assert.False(keys.ContainsLong(long.MinValue));
    }

    [Fact]
    public void Clear_empties_every_part()
    {
        var keys = new KeySet();
        keys.AddLong(1);
        keys.AddString("a");
        keys.Add(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.True(keys.ContainsLong(1));

        keys.Clear();

        Assert.Equal(0, keys.Count);
        Assert.False(keys.ContainsLong(1));
        Assert.False(keys.ContainsString("a"));
        Assert.True(keys.AddString("a"));
    }
}
