using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Tests.Support;

/// <summary>
/// The shipped events' columns as one array each, as the tests spell staged events: they write staging blocks of the
/// shipped columns and read staging blocks back (by name, through the block's column list). Highwater itself parses into
/// <see cref="ParsedEvents"/> and stages through <see cref="EventBlockBuilder"/>, by the events contract.
/// </summary>
public sealed class EventColumns
{
    public EventColumns(int capacity)
    {
        Capacity = capacity;
        OrderId = new string?[capacity];
        UserId = new long[capacity];
        EventTs = new DateTime[capacity];
        ArrivalTs = new DateTime[capacity];
        Qty = new int?[capacity];
        UnitPrice = new decimal?[capacity];
        Currency = new string?[capacity];
        Sku = new string?[capacity];
        Channel = new string?[capacity];
        SourceKey = new string[capacity];
        SourceLine = new long[capacity];
        Bucket = new int[capacity];
    }

    public int Capacity { get; }
    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;

    public readonly string?[] OrderId;
    public readonly long[] UserId;
    public readonly DateTime[] EventTs;
    public readonly DateTime[] ArrivalTs;
    public readonly int?[] Qty;
    public readonly decimal?[] UnitPrice;
    public readonly string?[] Currency;
    public readonly string?[] Sku;
    public readonly string?[] Channel;
    public readonly string[] SourceKey;
    public readonly long[] SourceLine;

    /// <summary>The order-index bucket of each row (<see cref="OrderBuckets"/>), -1 without an order_id; not staged.</summary>
    public readonly int[] Bucket;

    public void Add(in EventRecord r)
    {
        var i = Count++;
        OrderId[i] = r.OrderId;
        UserId[i] = r.UserId;
        EventTs[i] = r.EventTs;
        ArrivalTs[i] = r.ArrivalTs;
        Qty[i] = r.Qty;
        UnitPrice[i] = r.UnitPrice;
        Currency[i] = r.Currency;
        Sku[i] = r.Sku;
        Channel[i] = r.Channel;
        SourceKey[i] = r.SourceKey;
        SourceLine[i] = r.SourceLine;
        Bucket[i] = r.OrderId is null ? -1 : OrderBuckets.IndexOf(r.OrderId);
    }

    /// <summary>Appends row <paramref name="i"/> of <paramref name="other"/>.</summary>
    public void AppendRow(EventColumns other, int i)
    {
        var at = Count++;
        OrderId[at] = other.OrderId[i];
        UserId[at] = other.UserId[i];
        EventTs[at] = other.EventTs[i];
        ArrivalTs[at] = other.ArrivalTs[i];
        Qty[at] = other.Qty[i];
        UnitPrice[at] = other.UnitPrice[i];
        Currency[at] = other.Currency[i];
        Sku[at] = other.Sku[i];
        Channel[at] = other.Channel[i];
        SourceKey[at] = other.SourceKey[i];
        SourceLine[at] = other.SourceLine[i];
        Bucket[at] = other.Bucket[i];
    }

    /// <summary>The row as a record (tests, tools and the rare per-row paths).</summary>
    public EventRecord this[int i] => new(OrderId[i], UserId[i], EventTs[i], ArrivalTs[i], Qty[i], UnitPrice[i],
        Currency[i], Sku[i], Channel[i], SourceKey[i], SourceLine[i]);

    /// <summary>Encodes the rows as one spool block (the staged columns, in schema order).</summary>
    public void Encode(ColumnBlockWriter block)
    {
        block.Begin(Count);
        Columns(ref block, Count);
    }

    /// <summary>
    /// Replaces the rows with a block written by <see cref="Encode"/> (or, as <paramref name="plan"/> says, of another column
    /// list); the buffers grow when the block is larger.
    /// </summary>
    public static EventColumns Decode(ReadOnlySpan<byte> bytes, StringPool pool, EventColumns? reuse = null, BlockPlan? plan = null)
    {
        var block = new ColumnBlockReader(bytes, pool, plan ?? BlockPlan.Same(BlockColumns.Events));
        var n = block.Rows;
        var c = reuse is { } r && r.Capacity >= n ? r : new EventColumns(Math.Max(n, 1));
        c.Clear();
        c.Columns(ref block, n);
        c.Count = n;
        return c;
    }

    /// <summary>The staged columns, in the order of <see cref="BlockColumns.Events"/>, for a block codec to write or read.</summary>
    private void Columns<TCodec>(ref TCodec codec, int n) where TCodec : IColumnCodec, allows ref struct
    {
        codec.PlainStrings(OrderId.AsSpan(0, n));
        codec.Int64s(UserId.AsSpan(0, n));
        codec.DateTimes(EventTs.AsSpan(0, n));
        codec.DateTimes(ArrivalTs.AsSpan(0, n));
        codec.NullableInt32s(Qty.AsSpan(0, n));
        codec.NullableDecimals(UnitPrice.AsSpan(0, n));
        codec.DictionaryStrings(Currency.AsSpan(0, n));
        codec.DictionaryStrings(Sku.AsSpan(0, n));
        codec.DictionaryStrings(Channel.AsSpan(0, n));
        codec.DictionaryStrings(SourceKey.AsSpan(0, n)!);
        codec.Int64s(SourceLine.AsSpan(0, n));
    }

    public void Clear()
    {
        var n = Count;
        Array.Clear(OrderId, 0, n);
        Array.Clear(Currency, 0, n);
        Array.Clear(Sku, 0, n);
        Array.Clear(Channel, 0, n);
        Array.Clear(SourceKey, 0, n);
        Count = 0;
    }
}

/// <summary>Reads the staging batch back, one bucket (or every block) at a time.</summary>
public static class EventStagingReader
{
    /// <summary>The blocks of one partition (a bucket's two digits or <see cref="EventStagingWriter.Unkeyed"/>), in append order.</summary>
    public static IEnumerable<EventColumns> ReadPartition(PartitionedSpool.Reader spool, string partition, StringPool pool)
    {
        var buffer = Array.Empty<byte>();
        EventColumns? rows = null;
        var plan = spool.PlanFor(BlockColumns.Events);
        foreach (var block in spool.BlocksOf(partition))
        {
            rows = EventColumns.Decode(spool.Read(block, ref buffer), pool, rows, plan);
            yield return rows;
        }
    }

    /// <summary>Every staged row as records, partition by partition (tests and tools; Transform reads by bucket).</summary>
    public static async IAsyncEnumerable<EventRecord[]> ReadRowGroupsAsync(string path)
    {
        await Task.CompletedTask;
        using var spool = PartitionedSpool.Reader.Open(path);
        var pool = new StringPool();
        foreach (var partition in spool.Partitions)
            foreach (var block in ReadPartition(spool, partition, pool))
            {
                var rows = new EventRecord[block.Count];
                for (var i = 0; i < rows.Length; i++) rows[i] = block[i];
                yield return rows;
            }
    }
}
