using System.Buffers;
using CsCheck;
using Highwater.Pipeline.QualityGate;
using Xunit;

namespace Highwater.Tests.Contracts;

/// <summary>
/// A string column read as slices of characters (<see cref="StringSlices"/>) must judge as the same column of strings:
/// its strings, its nulls and the duplicates a key set finds in it, batch after batch, as a HashSet of strings would.
/// </summary>
public sealed class StringSlicesTests
{
    private static readonly Gen<string?> GenValue = Gen.OneOf<string?>(
        Gen.Const((string?)null), Gen.OneOf<string?>("", "a", "O-1", "O-10", "é", "\uD83D\uDE00"),
        Gen.String[Gen.Char['a', 'd'], 0, 4]!, Gen.String!);

    /// <summary>Slices of <paramref name="values"/>, laid out as the chunk decoder lays them out.</summary>
    internal static StringSlices Slices(string?[] values, ColumnBufferPool? pool = null)
    {
        // A gap between values, as the arena of a widened ASCII page has (its length prefixes).
        const int gap = 4;
        var chars = ArrayPool<char>.Shared.Rent(Math.Max(1, values.Sum(v => (v?.Length ?? 0) + gap)));
        var slices = ArrayPool<long>.Shared.Rent(Math.Max(1, values.Length));
        bool[]? nulls = null;
        int end = 0;
        for (int r = 0; r < values.Length; r++)
        {
            if (values[r] is not { } v)
            {
                (nulls ??= new bool[values.Length])[r] = true;
                slices[r] = 0;
                continue;
            }

            end += gap;
            v.CopyTo(chars.AsSpan(end));
            slices[r] = (long)end << 32 | (uint)v.Length;
            end += v.Length;
        }

        return new StringSlices(chars, slices, nulls, values.Length, pool);
    }

    [Fact]
    public void Slices_give_back_the_strings_and_nulls_they_were_made_of()
    {
        GenValue.Array[0, 200].Sample(values =>
        {
            var slices = Slices(values);
            Assert.Equal(values, slices.Strings);
            for (int r = 0; r < values.Length; r++)
            {
                Assert.Equal(values[r] is null, slices.IsNull(r));
                Assert.Equal(values[r] ?? "", slices[r].ToString());
            }

            slices.Release();
        });
    }

    [Fact]
    public void A_key_set_finds_in_slices_the_duplicates_a_hash_set_finds_in_the_strings()
    {
        Gen.Select(GenValue.Array[0, 120].Array[1, 5], Gen.Bool).Sample((batches, withKeep) =>
        {
            var keys = new KeySet();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            int batchNumber = 0;
            foreach (var values in batches)
            {
                var keep = withKeep ? values.Select((_, r) => (r + batchNumber) % 3 != 0).ToArray() : null;
                var expected = new List<int>();
                for (int r = 0; r < values.Length; r++)
                    if (values[r] is { } v && (keep is null || keep[r]) && !seen.Add(v)) expected.Add(r);

                var duplicates = new List<int>();
                keys.AddStrings(Slices(values), keep, duplicates);

                Assert.Equal(expected, duplicates);
                Assert.Equal(seen.Count, keys.Count);
                batchNumber++;
            }

            foreach (var v in seen) Assert.True(keys.ContainsString(v));
        });
    }

    [Fact]
    public void A_verdict_is_remembered_for_the_same_instance_only()
    {
        var cache = new StringVerdictCache();
        var a = new string('x', 3);
        var b = new string('x', 3); // equal, another instance

        Assert.False(cache.TryGet(a, out _));
        cache.Set(a, true);

        Assert.True(cache.TryGet(a, out bool verdict) && verdict);
        Assert.False(cache.TryGet(b, out _) && ReferenceEquals(a, b));
        cache.Set(b, false);
        Assert.True(cache.TryGet(b, out verdict) && !verdict);
    }
}
