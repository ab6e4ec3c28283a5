using CsCheck;
using Highwater.Parquet.Writing;
using Xunit;

namespace Highwater.Parquet.Tests.Writing;

/// <summary>
/// The dictionary of a column gives each distinct value one id in first-seen order, whether a value comes back as the
/// same instance (pooled strings, found by reference) or as an equal copy (found by value), across the few-entries
/// scan, the reference table and its growth, a bounded reference table, and <see cref="DistinctStrings.Clear"/>.
/// </summary>
public sealed class DistinctStringsTests
{
    [Fact]
    public void Ids_are_first_seen_positions_of_ordinal_values_whatever_the_instances()
    {
        // Values from a small alphabet (so both the few-entries and the table paths are hit), each use either the
        // pooled instance or a fresh copy; maxReferences small or large.
        var gen = Gen.Select(Gen.Int[0, 300].Array[0, 2000], Gen.Bool.Array[2000], Gen.Int[1, 600]);
        gen.Sample((values, copies, maxReferences) =>
        {
            var pooled = Enumerable.Range(0, 301).Select(i => $"v{i}").ToArray();
            var distinct = new DistinctStrings(maxReferences);
            for (var round = 0; round < 2; round++) // the second round after Clear must not remember the first
            {
                distinct.Clear();
                var expected = new Dictionary<string, int>(StringComparer.Ordinal);
                for (var i = 0; i < values.Length; i++)
                {
                    var value = copies[i] ? new string(pooled[values[i]].AsSpan()) : pooled[values[i]];
                    var wasNew = !expected.ContainsKey(value);
                    if (wasNew) expected[value] = expected.Count;
                    Assert.Equal(wasNew, distinct.Add(value, out var id));
                    Assert.Equal(expected[value], id);
                }
                Assert.Equal(expected.OrderBy(p => p.Value).Select(p => p.Key), distinct.Entries);

                // The same values as one run (with nulls among them) give the same ids, in a fresh dictionary.
                var again = new DistinctStrings(maxReferences);
                var run = values.Select((v, i) => i % 5 == 4 ? null : copies[i] ? new string(pooled[v].AsSpan()) : pooled[v]).ToArray();
                var ids = new int[run.Length];
                again.AddRange(run, ids);
                var model = new Dictionary<string, int>(StringComparer.Ordinal);
                Assert.Equal(run.Select(v => v is null ? -1 : model.TryGetValue(v, out var id) ? id : model[v] = model.Count), ids);
            }
        }, iter: 300);
    }
}
