using System.Text;
using CsCheck;
using Highwater.Pipeline.Core.Index;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>Transform's order_id table over UTF-8 rows behaves as an ordinal dictionary of each key's first row, in the order keys were added.</summary>
public sealed class OrderIdRowsTests
{
    [Fact]
    public void Property_finds_each_key_by_its_bytes_across_growth_and_reuse()
    {
        // Keys from a small alphabet (repeats, prefixes of each other, lengths around the 8-byte steps of the hash) and
        // non-ASCII ones; a capacity below, at or above what is added (so the table grows); reused for a second round.
        var key = Gen.OneOf(Gen.String[Gen.Char['a', 'c'], 0, 11], Gen.OneOf<string>("ö", "日本", "\U0001F600", "a\0"));
        Gen.Select(key.Array[0, 400], Gen.Int[0, 500]).Sample((keys, capacity) =>
        {
            var table = new OrderIdRows();
            for (var round = 0; round < 2; round++)
            {
                var column = new Utf8Column();
                foreach (var k in keys) column.Add(k);
                table.Reset(round == 0 ? capacity : capacity / 2, column);
                var first = new Dictionary<string, int>(StringComparer.Ordinal);
                var order = new List<string>();
                for (var i = 0; i < keys.Length; i++)
                {
                    if (i + 1 < keys.Length) table.Prefetch(OrderIdRows.HashOf(Encoding.UTF8.GetBytes(keys[i + 1])));
                    ref var row = ref table.GetRowOrAdd(i, OrderIdRows.HashOf(column[i]), out var exists);
                    Assert.Equal(first.ContainsKey(keys[i]), exists);
                    if (!exists)
                    {
                        first[keys[i]] = i;
                        order.Add(keys[i]);
                    }
                    Assert.Equal(first[keys[i]], row);
                }
                Assert.Equal(order.Count, table.Count);
                Assert.Equal(order.Select(k => first[k]), table.Rows.ToArray());
            }
        }, iter: 300);
    }
}
