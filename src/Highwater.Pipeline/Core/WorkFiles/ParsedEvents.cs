using System.Text;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// Rows of one landed file as Extract's parsers produce them, kept as bytes: order_id as its UTF-8 bytes in
/// one arena, currency, sku, channel and the source key as ids of a shared <see cref="Utf8ValueTable"/> (or,
/// for a value the table gives no id, as bytes of this chunk), the order-index bucket computed from the bytes.
/// No managed string per row: the staging writer only copies bytes from here into its blocks. Reusable
/// (<see cref="Clear"/> keeps the buffers).
/// </summary>
public sealed class ParsedEvents
{
    /// <summary>A string field's value: null.</summary>
    public const int Null = -1;

    public ParsedEvents(int capacity, Utf8ValueTable values)
    {
        Capacity = capacity;
        Values = values;
        Bucket = new int[capacity];
        OrderIdStart = new int[capacity];
        OrderIdLength = new int[capacity];
        UserId = new long[capacity];
        EventTs = new DateTime[capacity];
        ArrivalTs = new DateTime[capacity];
        HasQty = new bool[capacity];
        Qty = new int[capacity];
        HasUnitPrice = new bool[capacity];
        UnitPrice = new decimal[capacity];
        Currency = new int[capacity];
        Sku = new int[capacity];
        Channel = new int[capacity];
        SourceLine = new long[capacity];
        _rowsBySlot = new int[capacity];
    }

    public int Capacity { get; }
    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;

    /// <summary>The table the value ids refer to.</summary>
    public Utf8ValueTable Values { get; }

    /// <summary>The source key (the landed file) of every row, as a value reference (see <see cref="ValueBytes"/>).</summary>
    public int SourceKey { get; private set; } = Null;

    private byte[] _orderIds = new byte[1 << 16];
    private int _orderIdBytes;
    private readonly List<byte[]> _ownValues = [];

    /// <summary>The order-index bucket of each row (<see cref="OrderBuckets"/>), -1 without an order_id.</summary>
    public readonly int[] Bucket;
    /// <summary>Where each row's order_id starts in <see cref="OrderIdBytes"/>, and its length (-1 for null).</summary>
    public readonly int[] OrderIdStart, OrderIdLength;
    public readonly long[] UserId;
    public readonly DateTime[] EventTs, ArrivalTs;
    public readonly bool[] HasQty;
    public readonly int[] Qty;
    public readonly bool[] HasUnitPrice;
    public readonly decimal[] UnitPrice;
    /// <summary>Value references: a table id (>= 0), <see cref="Null"/>, or a value of this chunk (&lt;= -2).</summary>
    public readonly int[] Currency, Sku, Channel;
    public readonly long[] SourceLine;

    public ReadOnlySpan<byte> OrderIdBytes => _orderIds.AsSpan(0, _orderIdBytes);

    /// <summary>The slots a chunk's rows are grouped by: the buckets, then one for rows without an order_id.</summary>
    public const int Slots = OrderBuckets.Count + 1;

    private readonly int[] _rowsBySlot;
    private readonly int[] _slotStarts = new int[Slots + 1];
    private bool _grouped;

    /// <summary>The row indexes grouped by slot (bucket 0..63, then unkeyed), line order kept within a slot; see <see cref="GroupBySlot"/>.</summary>
    public ReadOnlySpan<int> RowsBySlot => _grouped ? _rowsBySlot.AsSpan(0, Count) : throw new InvalidOperationException("GroupBySlot first");

    /// <summary>Where slot <paramref name="slot"/>'s rows start in <see cref="RowsBySlot"/> (slot <see cref="Slots"/>: the end).</summary>
    public int SlotStart(int slot) => _slotStarts[slot];

    /// <summary>
    /// Groups the rows by slot (a stable counting sort), so the staging writer fills one bucket's block at a time:
    /// done by the parser thread that filled the chunk, not by the single writer.
    /// </summary>
    public void GroupBySlot()
    {
        if (_grouped) return;
        var starts = _slotStarts;
        Array.Clear(starts);
        for (var i = 0; i < Count; i++) starts[SlotOf(Bucket[i]) + 1]++;
        for (var slot = 1; slot <= Slots; slot++) starts[slot] += starts[slot - 1];
        Span<int> next = stackalloc int[Slots];
        starts.AsSpan(0, Slots).CopyTo(next);
        for (var i = 0; i < Count; i++) _rowsBySlot[next[SlotOf(Bucket[i])]++] = i;
        _grouped = true;
    }

    /// <summary>The slot of a bucket (-1, no order_id: the last slot).</summary>
    public static int SlotOf(int bucket) => bucket < 0 ? OrderBuckets.Count : bucket;

    /// <summary>The UTF-8 bytes of a value reference that is not <see cref="Null"/>.</summary>
    public byte[] ValueBytes(int reference) => reference >= 0 ? Values[reference] : _ownValues[-reference - 2];

    /// <summary>Sets the source key of the rows that follow (one file per chunk).</summary>
    public void SetSourceKey(string key, Utf8ValueIds ids) => SourceKey = ValueOf(Encoding.UTF8.GetBytes(key), ids);

    /// <summary>A value reference for <paramref name="utf8"/>: its table id, or else a copy kept by this chunk.</summary>
    public int ValueOf(ReadOnlySpan<byte> utf8, Utf8ValueIds ids)
    {
        var id = ids.IdOf(utf8);
        if (id >= 0) return id;
        _ownValues.Add(utf8.ToArray());
        return -(_ownValues.Count + 1);
    }

    /// <summary>Appends a row whose string fields are already references; <paramref name="orderId"/> is ignored when <paramref name="orderIdIsNull"/>.</summary>
    public void Add(ReadOnlySpan<byte> orderId, bool orderIdIsNull, long userId, DateTime eventTs, DateTime arrivalTs,
        bool hasQty, int qty, bool hasUnitPrice, decimal unitPrice, int currency, int sku, int channel, long sourceLine)
    {
        _grouped = false;
        var i = Count++;
        if (orderIdIsNull)
        {
            Bucket[i] = -1;
            OrderIdStart[i] = _orderIdBytes;
            OrderIdLength[i] = -1;
        }
        else
        {
            if (_orderIdBytes + orderId.Length > _orderIds.Length)
                Array.Resize(ref _orderIds, Math.Max(_orderIds.Length * 2, _orderIdBytes + orderId.Length));
            orderId.CopyTo(_orderIds.AsSpan(_orderIdBytes));
            Bucket[i] = OrderBuckets.IndexOf(orderId);
            OrderIdStart[i] = _orderIdBytes;
            OrderIdLength[i] = orderId.Length;
            _orderIdBytes += orderId.Length;
        }
        UserId[i] = userId;
        EventTs[i] = eventTs;
        ArrivalTs[i] = arrivalTs;
        HasQty[i] = hasQty;
        Qty[i] = hasQty ? qty : 0;
        HasUnitPrice[i] = hasUnitPrice;
        UnitPrice[i] = hasUnitPrice ? unitPrice : 0m;
        Currency[i] = currency;
        Sku[i] = sku;
        Channel[i] = channel;
        SourceLine[i] = sourceLine;
    }

    /// <summary>Appends a record (the general parser's rows): its strings as UTF-8, as the staging would encode them.</summary>
    public void Add(in EventRecord r, Utf8ValueIds ids)
    {
        var orderId = r.OrderId is null ? [] : Encoding.UTF8.GetBytes(r.OrderId);
        Add(orderId, r.OrderId is null, r.UserId, r.EventTs, r.ArrivalTs, r.Qty.HasValue, r.Qty.GetValueOrDefault(),
            r.UnitPrice.HasValue, r.UnitPrice.GetValueOrDefault(), Reference(r.Currency), Reference(r.Sku), Reference(r.Channel), r.SourceLine);

        int Reference(string? value) => value is null ? Null : ValueOf(Encoding.UTF8.GetBytes(value), ids);
    }

    /// <summary>Row <paramref name="i"/> as a record (tests and tools).</summary>
    public EventRecord this[int i] => new(
        OrderIdLength[i] < 0 ? null : Encoding.UTF8.GetString(_orderIds, OrderIdStart[i], OrderIdLength[i]),
        UserId[i], EventTs[i], ArrivalTs[i], HasQty[i] ? Qty[i] : null, HasUnitPrice[i] ? UnitPrice[i] : null,
        Text(Currency[i]), Text(Sku[i]), Text(Channel[i]), Text(SourceKey)!, SourceLine[i]);

    private string? Text(int reference) => reference == Null ? null : Encoding.UTF8.GetString(ValueBytes(reference));

    /// <summary>Drops the rows (and the source key); keeps the buffers.</summary>
    public void Clear()
    {
        Count = 0;
        _grouped = false;
        _orderIdBytes = 0;
        _ownValues.Clear();
        SourceKey = Null;
    }
}
