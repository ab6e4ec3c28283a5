using System.Text;
using CsCheck;
using Highwater.Parquet.Reading;
using Xunit;

namespace Highwater.Parquet.Tests.Reading;

public sealed class StringPoolTests
{
    private readonly StringPool _pool = new();

    [Fact]
    public void Same_bytes_give_the_same_instance()
    {
        var first = _pool.Get("EUR"u8);
        var second = _pool.Get(Encoding.UTF8.GetBytes("EUR"));

        Assert.Equal("EUR", first);
        Assert.Same(first, second);
        Assert.Equal(1, _pool.Count);
    }

    [Fact]
    public void Different_values_are_kept_apart()
    {
        var values = new[] { "EUR", "USD", "", "é", "日本", "EUR " };

        var got = values.Select(v => _pool.Get(Encoding.UTF8.GetBytes(v))).ToList();

        Assert.Equal(values, got);
        Assert.Equal(values.Length, _pool.Count);
        for (var i = 0; i < values.Length; i++)
            Assert.Same(got[i], _pool.Get(Encoding.UTF8.GetBytes(values[i])));
    }

    [Fact]
    public void Long_values_are_decoded_but_not_cached()
    {
        var text = new string('x', 65);

        var first = _pool.Get(Encoding.UTF8.GetBytes(text));
        var second = _pool.Get(Encoding.UTF8.GetBytes(text));

        Assert.Equal(text, first);
        Assert.NotSame(first, second);
        Assert.Equal(0, _pool.Count);
    }

    [Fact]
    public void Longest_cached_value_is_64_bytes_of_multibyte_text()
    {
        var text = new string('é', 32); // 64 bytes

        Assert.Same(_pool.Get(Encoding.UTF8.GetBytes(text)), _pool.Get(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void Invalid_utf8_is_not_cached_so_repeats_do_not_grow_the_pool()
    {
        byte[] bad = [0x45, 0xFF, 0x52];

        for (var i = 0; i < 100; i++)
            Assert.Equal("E\uFFFDR", _pool.Get(bad));

        Assert.Equal(0, _pool.Count);
    }

    [Fact]
    public void Property_every_value_comes_back_equal_and_repeats_as_the_same_instance()
    {
        // Values of 0 to 20 bytes from a small alphabet (so lengths around the 8-byte steps of the hash, and repeats),
        // enough of them that the table grows several times.
        Gen.String[Gen.Char['a', 'd'], 0, 20].Array[0, 3000].Sample(values =>
        {
            var pool = new StringPool();
            var first = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var v in values)
            {
                var got = pool.Get(Encoding.UTF8.GetBytes(v));
                Assert.Equal(v, got);
                if (first.TryGetValue(v, out var earlier)) Assert.Same(earlier, got);
                else first[v] = got;
            }
            Assert.Equal(first.Count, pool.Count);
        }, iter: 100);
    }
}
