using System.Runtime.InteropServices;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Transform;

/// <summary>The buffers workers reuse across buckets and partitions, and small helpers.</summary>
internal sealed partial class TransformBatch
{
    /// <summary>
    /// The buffers one worker uses to spill or read back a block: large (a block of wide rows), so they are
    /// reused across buckets and partitions instead of being allocated on the large-object heap each time.
    /// </summary>
    private sealed class SpillKit
    {
        public readonly ColumnBlockWriter Encoder = new();
        public readonly StringPool Strings = new();
        public byte[] Buffer = [];

        /// <summary>A staging block's users' country and segment (as strings, or as a packed dimension's codes), before they become the rows' ids.</summary>
        public string?[] Country = [], Segment = [];
        public int[] CountryCodes = [], SegmentCodes = [];

        public void EnsureUserStrings(int n)
        {
            if (Country.Length >= n) return;
            Country = new string?[n];
            Segment = new string?[n];
            CountryCodes = new int[n];
            SegmentCodes = new int[n];
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentBag<SpillKit> _kits = [];

    private SpillKit RentKit() => _kits.TryTake(out var kit) ? kit : new SpillKit();

    /// <summary>Order-id tables of a bucket, reused by the next one (a table of 150k ids is ~2 MB).</summary>
    private readonly System.Collections.Concurrent.ConcurrentBag<OrderIdRows> _tables = [];

    private OrderIdRows RentOrderRows(int capacity, Utf8Column keys)
    {
        var table = _tables.TryTake(out var held) ? held : new OrderIdRows();
        table.Reset(capacity, keys);
        return table;
    }

    private void ReturnOrderRows(OrderIdRows table) => _tables.Add(table);

    private void ReturnKit(SpillKit kit) => _kits.Add(kit);

    /// <summary>Partitions' columns, reused by the next partition (a day of 333k rows is ~50 MB of arrays).</summary>
    private readonly System.Collections.Concurrent.ConcurrentBag<PartitionColumns> _columns = [];

    private PartitionColumns RentColumns() => _columns.TryTake(out var columns) ? columns : new PartitionColumns(_mart, _staged);

    private void ReturnColumns(PartitionColumns columns)
    {
        columns.Clear();
        _columns.Add(columns);
    }

    private const int SpillBlockRows = 32_768;
    private const int UserPrefetchDistance = 16;
    private const int TablePrefetchDistance = 8;

    private static void Release<TKey, TValue>(Dictionary<TKey, TValue> map) where TKey : notnull
    {
        map.Clear();
        map.TrimExcess();
    }

    private static int DayNumber(DateTime utc) => (int)(utc.Ticks / TimeSpan.TicksPerDay);

    private static string Describe(string? orderId, long userId, DateTime eventTs) =>
        $"order_id={orderId ?? "null"}, user_id={userId}, event_ts={UtcTimestamp.Format(eventTs)}";

    private static void Add(Dictionary<string, SortedSet<string>> map, string key, string value)
    {
        if (!map.TryGetValue(key, out var set)) map[key] = set = new(StringComparer.Ordinal);
        set.Add(value);
    }
}
