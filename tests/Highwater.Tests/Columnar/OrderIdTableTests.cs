using CsCheck;
using Highwater.Columnar;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>Transform's order_id table behaves as an ordinal dictionary that remembers the order keys were added in.</summary>
public sealed class OrderIdTableTests
{
    [Fact]
    public void Property_behaves_as_an_ordinal_dictionary_in_insertion_order_across_growth_and_reuse()
    {
        // Keys from a small alphabet (repeats, prefixes of each other, lengths around the 8-byte steps of the hash),
        // equal keys as distinct instances; a capacity below, at or above what is added (so the table grows); reused.
        var key = Gen.String[Gen.Char['a', 'c'], 0, 11];
        Gen.Select(key.Array[0, 400], Gen.Int[0, 500]).Sample((keys, capacity) =>
        {
            var table = new OrderIdTable(capacity);
            for (var round = 0; round < 2; round++)
            {
                var expected = new Dictionary<string, int>(StringComparer.Ordinal);
                var order = new List<string>();
                for (var i = 0; i < keys.Length; i++)
                {
                    var k = new string(keys[i].AsSpan());
                    if (i + 1 < keys.Length) table.Prefetch(OrderIdTable.HashOf(keys[i + 1]));
                    ref var value = ref i % 2 == 0 ? ref table.GetValueRefOrAdd(k, out var exists) : ref table.GetValueRefOrAdd(k, OrderIdTable.HashOf(k), out exists);
                    Assert.Equal(expected.ContainsKey(k), exists);
                    if (!exists)
                    {
                        expected[k] = 0;
                        order.Add(k);
                    }
                    Assert.Equal(expected[k], value);
                    value += i + 1;
                    expected[k] += i + 1;
                }
                Assert.Equal(order.Count, table.Count);
                Assert.Equal(order, table);
                Assert.Equal(order.Select(k => expected[k]), table.Values.ToArray());
                Assert.All(keys, k => Assert.True(table.ContainsKey(k)));
                Assert.False(table.ContainsKey("not-a-key"));
                table.Clear();
                Assert.Empty(table);
                Assert.False(keys.Length > 0 && table.ContainsKey(keys[0]));
                table.Reset(capacity / 2);
            }
        }, iter: 300);
    }
}
