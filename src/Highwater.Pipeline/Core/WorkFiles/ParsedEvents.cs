using System.Text;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// Rows of one landed file as Extract's parsers produce them, one typed buffer per column of the events contract
/// (<see cref="EventLayout"/>), kept as bytes: the order key as its UTF-8 bytes in one arena, other strings and the
/// source key as ids of a shared <see cref="Utf8ValueTable"/> (or, for a value the table gives no id, as bytes of this
/// chunk), numbers and timestamps with a presence flag, the order-index bucket computed from the key's bytes.
/// No managed string per row: the staging writer only copies bytes from here into its blocks. Reusable
/// (<see cref="Clear"/> keeps the buffers).
/// </summary>
public sealed class ParsedEvents
{
    /// <summary>A string field's value: null.</summary>
    public const int Null = -1;

    public ParsedEvents(int capacity, Utf8ValueTable values, EventLayout? layout = null)
    {
        Capacity = capacity;
        Values = values;
        Layout = layout ?? EventLayout.Default;
        Bucket = new int[capacity];
        OrderIdStart = new int[capacity];
        OrderIdLength = new int[capacity];
        var n = Layout.Columns.Count;
        (Refs, Ints, Longs, Decimals, Times, Has) = (new int[n][], new int[n][], new long[n][], new decimal[n][], new DateTime[n][], new bool[n][]);
        for (var c = 0; c < n; c++)
        {
            var kind = Layout.Columns[c].Kind;
            switch (kind)
            {
                case StagedKind.String: Refs[c] = new int[capacity]; break;
                case StagedKind.Int32: Ints[c] = new int[capacity]; break;
                case StagedKind.Int64 or StagedKind.SourceLine: Longs[c] = new long[capacity]; break;
                case StagedKind.Decimal: Decimals[c] = new decimal[capacity]; break;
                case StagedKind.Timestamp: Times[c] = new DateTime[capacity]; break;
            }
            if (kind is StagedKind.Int32 or StagedKind.Int64 or StagedKind.Decimal or StagedKind.Timestamp) Has[c] = new bool[capacity];
        }
        _rowsBySlot = new int[capacity];
    }

    public int Capacity { get; }
    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;

    /// <summary>The staged columns these buffers hold.</summary>
    public EventLayout Layout { get; }

    /// <summary>The table the value ids refer to.</summary>
    public Utf8ValueTable Values { get; }

    /// <summary>The source key (the landed file) of every row, as a value reference (see <see cref="ValueBytes"/>).</summary>
    public int SourceKey { get; private set; } = Null;

    private byte[] _orderIds = new byte[1 << 16];
    private int _orderIdBytes;
    private readonly List<byte[]> _ownValues = [];

    /// <summary>The order-index bucket of each row (<see cref="OrderBuckets"/>), -1 without an order_id.</summary>
    public readonly int[] Bucket;
    /// <summary>Where each row's order key starts in <see cref="OrderIdBytes"/>, and its length (-1 for null).</summary>
    public readonly int[] OrderIdStart, OrderIdLength;

    /// <summary>
    /// One buffer per column of <see cref="Layout"/>, by position (null where the column's kind uses another):
    /// string value references (a table id >= 0, <see cref="Null"/>, or a value of this chunk &lt;= -2), 32-bit integers,
    /// 64-bit integers (and the line numbers), decimals, timestamps, and for the numbers and timestamps whether the
    /// row has a value (false: null, the value slot is the type's default).
    /// </summary>
    public readonly int[][] Refs, Ints;
    public readonly long[][] Longs;
    public readonly decimal[][] Decimals;
    public readonly DateTime[][] Times;
    public readonly bool[][] Has;

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

    /// <summary>
    /// Completes the row being filled (row <see cref="Count"/>, whose column slots the parser has written): sets its
    /// order key (ignored when <paramref name="orderIdIsNull"/>) and its line number, and counts it.
    /// </summary>
    public void Commit(ReadOnlySpan<byte> orderId, bool orderIdIsNull, long sourceLine)
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
        if (Layout.SourceLine >= 0) Longs[Layout.SourceLine][i] = sourceLine;
    }

    /// <summary>Appends a record (tests and tools): its fields by their column names, strings as UTF-8; other columns null.</summary>
    public void Add(in EventRecord r, Utf8ValueIds ids)
    {
        var i = Count;
        for (var c = 0; c < Layout.Columns.Count; c++)
        {
            if (Has[c] is { } has) has[i] = false;
            if (Refs[c] is { } refs) refs[i] = Null;
        }
        Set(Schemas.Events.UserId.Name, r.UserId);
        Set(Schemas.Events.EventTs.Name, r.EventTs);
        Set(Schemas.Events.ArrivalTs.Name, r.ArrivalTs);
        Set(Schemas.Events.Qty.Name, r.Qty);
        Set(Schemas.Events.UnitPrice.Name, r.UnitPrice);
        Set(Schemas.Events.Currency.Name, r.Currency);
        Set(Schemas.Events.Sku.Name, r.Sku);
        Set(Schemas.Events.Channel.Name, r.Channel);
        Commit(r.OrderId is null ? [] : Encoding.UTF8.GetBytes(r.OrderId), r.OrderId is null, r.SourceLine);

        void Set(string name, object? value)
        {
            var c = Layout.Block.IndexOf(name);
            if (c < 0) return;
            var has = value is not null;
            switch (Layout.Columns[c].Kind)
            {
                case StagedKind.String: Refs[c][i] = value is string s ? ValueOf(Encoding.UTF8.GetBytes(s), ids) : Null; return;
                case StagedKind.Int32: Ints[c][i] = has ? (int)value! : 0; break;
                case StagedKind.Int64: Longs[c][i] = has ? (long)value! : 0; break;
                case StagedKind.Decimal: Decimals[c][i] = has ? (decimal)value! : 0m; break;
                case StagedKind.Timestamp: Times[c][i] = has ? (DateTime)value! : default; break;
                default: return;
            }
            Has[c][i] = has;
        }
    }

    /// <summary>Row <paramref name="i"/>'s value of column <paramref name="c"/> (tests and tools): string, int, long, decimal, DateTime or null.</summary>
    public object? ValueAt(int i, int c) => Layout.Columns[c].Kind switch
    {
        StagedKind.OrderKey => OrderIdLength[i] < 0 ? null : Encoding.UTF8.GetString(_orderIds, OrderIdStart[i], OrderIdLength[i]),
        StagedKind.String => Text(Refs[c][i]),
        StagedKind.SourceKey => Text(SourceKey),
        StagedKind.SourceLine => Longs[c][i],
        _ when !Has[c][i] => null,
        StagedKind.Int32 => Ints[c][i],
        StagedKind.Int64 => Longs[c][i],
        StagedKind.Decimal => Decimals[c][i],
        _ => Times[c][i],
    };

    /// <summary>Row <paramref name="i"/>'s value of the column named <paramref name="name"/> (tests and tools).</summary>
    public object? ValueAt(int i, string name) => Layout.Block.IndexOf(name) is var c and >= 0 ? ValueAt(i, c) : null;

    /// <summary>Row <paramref name="i"/> as a record of the shipped columns (tests and tools).</summary>
    public EventRecord this[int i] => new(
        (string?)ValueAt(i, Schemas.Events.OrderId.Name), (long)(ValueAt(i, Schemas.Events.UserId.Name) ?? 0L),
        (DateTime)(ValueAt(i, Schemas.Events.EventTs.Name) ?? default(DateTime)), (DateTime)(ValueAt(i, Schemas.Events.ArrivalTs.Name) ?? default(DateTime)),
        (int?)ValueAt(i, Schemas.Events.Qty.Name), (decimal?)ValueAt(i, Schemas.Events.UnitPrice.Name),
        (string?)ValueAt(i, Schemas.Events.Currency.Name), (string?)ValueAt(i, Schemas.Events.Sku.Name), (string?)ValueAt(i, Schemas.Events.Channel.Name),
        Text(SourceKey)!, (long)(ValueAt(i, Schemas.Events.SourceLine.Name) ?? 0L));

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
