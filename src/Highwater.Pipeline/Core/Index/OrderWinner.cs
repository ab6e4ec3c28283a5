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
    /// True when row <paramref name="a"/> beats row <paramref name="b"/> of the same order_id: the later arrival_ts; on a
    /// tie, the ordinally greater source key. (Within one file the later line wins: a candidate is one (order_id, source
    /// file) pair, the file's latest arrival, then its later line.)
    /// </summary>
    internal static bool Beats(PartitionColumns rows, int a, int b) =>
        rows.ArrivalTs[a] != rows.ArrivalTs[b]
            ? rows.ArrivalTs[a] > rows.ArrivalTs[b]
            : string.CompareOrdinal(rows.SourceKeyAt(a), rows.SourceKeyAt(b)) > 0;

    /// <summary>The winning candidate per order_id, as its row; rows without an order_id are no candidates.</summary>
    internal static Dictionary<string, int> WinnerIndexes(PartitionColumns rows)
    {
        var winners = new Dictionary<string, int>(rows.Count, StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows.OrderId.StringAt(i) is not { } id) continue;
            ref var held = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(winners, id, out var exists);
            if (!exists || Beats(rows, i, held)) held = i;
        }
        return winners;
    }
}
