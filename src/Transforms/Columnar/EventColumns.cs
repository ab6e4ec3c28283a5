using Highwater.Model;

namespace Highwater.Columnar;

/// <summary>
/// Staged events as column buffers (one array per column): what Extract's parsers fill and what the staging
/// writer hands to Parquet.Net without a per-row object or a per-column copy through delegates.
/// Reusable: <see cref="Clear"/> keeps the arrays and drops the string references.
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
    }

    /// <summary>Appends rows [from, from + count) of <paramref name="other"/>; returns how many fitted.</summary>
    public int AppendFrom(EventColumns other, int from, int count)
    {
        var n = Math.Min(count, Capacity - Count);
        var at = Count;
        Array.Copy(other.OrderId, from, OrderId, at, n);
        Array.Copy(other.UserId, from, UserId, at, n);
        Array.Copy(other.EventTs, from, EventTs, at, n);
        Array.Copy(other.ArrivalTs, from, ArrivalTs, at, n);
        Array.Copy(other.Qty, from, Qty, at, n);
        Array.Copy(other.UnitPrice, from, UnitPrice, at, n);
        Array.Copy(other.Currency, from, Currency, at, n);
        Array.Copy(other.Sku, from, Sku, at, n);
        Array.Copy(other.Channel, from, Channel, at, n);
        Array.Copy(other.SourceKey, from, SourceKey, at, n);
        Array.Copy(other.SourceLine, from, SourceLine, at, n);
        Count += n;
        return n;
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
