using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Core.Index;

/// <summary>
/// The order winner rule: of the rows of one order_id, the one with the latest arrival_ts wins; on a tie, the one from
/// the ordinally greater source key (within one file the later line). Transform keeps the winner in the mart and every
/// candidate in the <see cref="OrderIndex"/>, so a retracted winner's runner-up comes back.
/// </summary>
public static class OrderWinner
{
    /// <summary>
    /// True when <paramref name="a"/> beats <paramref name="b"/> for the same order_id: the later arrival_ts;
    /// on a tie, the ordinally greater source key. (Within one file the later line wins; see <see cref="CandidateKey"/>.)
    /// </summary>
    public static bool Beats(in MartRecord a, in MartRecord b) =>
        a.ArrivalTs != b.ArrivalTs ? a.ArrivalTs > b.ArrivalTs : string.CompareOrdinal(a.SourceKey, b.SourceKey) > 0;

    /// <summary><see cref="Beats(in MartRecord, in MartRecord)"/> for rows <paramref name="a"/> and <paramref name="b"/> of candidates held as columns.</summary>
    internal static bool Beats(PartitionColumns rows, int a, int b) =>
        rows.ArrivalTs[a] != rows.ArrivalTs[b]
            ? rows.ArrivalTs[a] > rows.ArrivalTs[b]
            : string.CompareOrdinal(rows.SourceKeyValues.Entries[rows.SourceKey[a]], rows.SourceKeyValues.Entries[rows.SourceKey[b]]) > 0;

    /// <summary>A candidate is one (order_id, source file) pair: within a file, the latest arrival (then the later line) wins.</summary>
    public static (string OrderId, string SourceKey) CandidateKey(in MartRecord row) => (row.OrderId!, row.SourceKey);

    /// <summary>The winning candidate per order_id (the rows <see cref="WinnerIndexes"/> points at).</summary>
    public static Dictionary<string, MartRecord> Winners(IEnumerable<MartRecord> candidates)
    {
        var rows = candidates.ToList();
        return WinnerIndexes(rows).ToDictionary(w => w.Key, w => rows[w.Value], StringComparer.Ordinal);
    }

    /// <summary>
    /// The winning candidate per order_id as an index into <paramref name="candidates"/>: what Transform uses, without
    /// a copy of each winning row in the map.
    /// </summary>
    public static Dictionary<string, int> WinnerIndexes(List<MartRecord> candidates)
    {
        var winners = new Dictionary<string, int>(candidates.Count, StringComparer.Ordinal);
        var rows = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(candidates);
        for (var i = 0; i < rows.Length; i++)
        {
            ref var held = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(winners, rows[i].OrderId!, out var exists);
            if (!exists || Beats(rows[i], rows[held])) held = i;
        }
        return winners;
    }
}
