using Highwater.Pipeline.Core.Schema;

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
}
