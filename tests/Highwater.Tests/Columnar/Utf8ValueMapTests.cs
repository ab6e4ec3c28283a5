using System.Text;
using CsCheck;
using Xunit;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Tests.Columnar;

/// <summary>
/// <see cref="Utf8ValueMap"/> and <see cref="DistinctUtf8"/>: a value's bytes always find the id its string has in the
/// column's values, whatever its length and however many values share a prefix or differ only by trailing zero bytes,
/// and the UTF-8 kept by id is what <see cref="Encoding.UTF8"/> gives.
/// </summary>
public sealed class Utf8ValueMapTests
{
    /// <summary>Values that share long prefixes and differ late, end in zero bytes or are empty: a small alphabet over 0 to 40 characters.</summary>
    private static readonly Gen<string> Value = Gen.OneOf(
        Gen.Char["ab\0é"].Array[0, 40].Select(c => new string(c)),
        Gen.Int[0, 40].Select(n => new string('x', n)),
        Gen.Int[0, 99_999].Select(i => $"SKU-{i}"),
        Gen.Int[0, 99].Select(i => $"a-value-longer-than-sixteen-bytes-{i}"));

    [Fact]
    public void Bytes_find_the_id_of_their_string_and_the_utf8_kept_by_id_is_their_encoding()
    {
        Value.List[1, 3_000].Sample(values =>
        {
            var map = new Utf8ValueMap();
            var distinct = new DistinctStrings(maxReferences: 1 << 16);
            var pool = new StringPool();
            var utf8 = new DistinctUtf8();
            for (var round = 0; round < 2; round++) // the second round finds every value it added in the first
                foreach (var v in values)
                {
                    var id = map.IdOf(Encoding.UTF8.GetBytes(v), distinct, pool);
                    Assert.Equal(v, distinct.Entries[id]);
                    Assert.Equal(Encoding.UTF8.GetBytes(v), utf8.Of(id, distinct.Entries).ToArray());
                }
            Assert.Equal(values.Distinct(StringComparer.Ordinal).Count(), distinct.Entries.Count);

            map.Clear();
            utf8.Clear();
            distinct.Clear();
            var first = values[0];
            Assert.Equal(0, map.IdOf(Encoding.UTF8.GetBytes(first), distinct, pool));
            Assert.Equal(Encoding.UTF8.GetBytes(first), utf8.Of(0, distinct.Entries).ToArray());
        }, iter: 200);
    }
}
