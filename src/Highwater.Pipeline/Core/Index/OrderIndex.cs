using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Core.Index;

/// <summary>
/// The order index: where every order_id lives, kept in the warehouse state under
/// <c>_highwater/order-index/bucket=NN/</c>, one Parquet file (sales_mart schema) per hash bucket of order_id,
/// listed by the manifest like a dataset and committed with the same protocol as the mart.
/// A bucket holds every candidate version of its orders — one row per (order_id, source file): the winner
/// that is in the mart, and the versions it beat — so that when a re-upload retracts a winner, the version
/// it had beaten comes back, exactly as a full recompute would give. A run reads only the buckets its batch
/// (or the files it retracts) touches, one bucket at a time.
/// </summary>
public static class OrderIndex
{
    public const string Dataset = WarehouseLayout.OrderIndexDataset;
    public const int BucketCount = OrderBuckets.Count;
    public const string Root = WarehouseLayout.OrderIndexRoot;

    /// <summary>
    /// A bucket is a list of segment files: a batch that retracts nothing appends its candidates as a new
    /// segment; a bucket with this many segments (or one a batch retracts from) is rewritten as one.
    /// </summary>
    public const int MaxSegments = 16;

    /// <summary>The bucket of an order_id: FNV-1a of its UTF-8 bytes, modulo <see cref="BucketCount"/>, two digits.</summary>
    public static string BucketOf(string orderId) => OrderBuckets.Name(OrderBuckets.IndexOf(orderId));

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
