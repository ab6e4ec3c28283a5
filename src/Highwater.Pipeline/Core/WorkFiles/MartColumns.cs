using System.Runtime.InteropServices;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// sales_mart rows as one array per column, filled from records in a single pass (each row read once, by
/// reference when the rows are a list) and turned back into records: what the Parquet writer of a partition
/// (<see cref="MartPartitionFile"/>) and Transform's spill blocks (<see cref="MartRowBlock"/>) both work on.
/// Reusable: <see cref="Clear"/> drops the string references, <see cref="Ensure"/> grows the arrays.
/// </summary>
internal sealed class MartColumns
{
    public string?[] OrderId = [], Currency = [], Sku = [], Channel = [], Country = [], Segment = [], SourceKey = [];
    public long[] UserId = [];
    public DateTime[] EventTs = [], ArrivalTs = [];
    public int?[] Qty = [];
    public decimal?[] UnitPrice = [], TotalPrice = [];
    public DateTime?[] SignupDate = [];

    /// <summary>Scratch for a string column's ids when a row group is gathered from <see cref="PartitionColumns"/>.</summary>
    public int[] Ids = [];

    public MartColumns(int capacity) => Ensure(capacity);

    public int Capacity => OrderId.Length;

    /// <summary>Makes room for <paramref name="n"/> rows (new arrays when they are smaller; the contents are not kept).</summary>
    public void Ensure(int n)
    {
        if (OrderId.Length >= n) return;
        var c = Math.Max(n, OrderId.Length * 2);
        OrderId = new string?[c]; Currency = new string?[c]; Sku = new string?[c]; Channel = new string?[c];
        Country = new string?[c]; Segment = new string?[c]; SourceKey = new string?[c];
        UserId = new long[c];
        EventTs = new DateTime[c]; ArrivalTs = new DateTime[c];
        Qty = new int?[c];
        UnitPrice = new decimal?[c]; TotalPrice = new decimal?[c];
        SignupDate = new DateTime?[c];
        Ids = new int[c];
    }

    /// <summary>Drops the string references so a reused buffer keeps no rows alive.</summary>
    public void Clear()
    {
        Array.Clear(OrderId); Array.Clear(Currency); Array.Clear(Sku); Array.Clear(Channel);
        Array.Clear(Country); Array.Clear(Segment); Array.Clear(SourceKey);
    }

    /// <summary>Rows [from, from + n) of <paramref name="rows"/> into positions 0..n-1 (the arrays must hold n).</summary>
    public void Fill(IReadOnlyList<MartRecord> rows, int from, int n)
    {
        if (rows is List<MartRecord> list)
        {
            var span = CollectionsMarshal.AsSpan(list).Slice(from, n);
            for (var i = 0; i < span.Length; i++) Set(i, in span[i]);
        }
        else
        {
            for (var i = 0; i < n; i++) Set(i, rows[from + i]);
        }
    }

    /// <summary>Rows <c>order[from..from + n)</c> of <paramref name="rows"/> into positions 0..n-1: a sorted write without moving the rows.</summary>
    public void Fill(List<MartRecord> rows, ReadOnlySpan<int> order, int from, int n)
    {
        var span = CollectionsMarshal.AsSpan(rows);
        var positions = order.Slice(from, n);
        for (var i = 0; i < positions.Length; i++)
        {
            // In sorted order the rows are read all over the list: ask for a later one now.
            if (i + 8 < positions.Length) MemoryHints.Prefetch(ref span[positions[i + 8]]);
            Set(i, in span[positions[i]]);
        }
    }

    /// <summary>Appends positions 0..n-1 to <paramref name="into"/> as records.</summary>
    public void AppendTo(List<MartRecord> into, int n)
    {
        into.EnsureCapacity(into.Count + n);
        for (var i = 0; i < n; i++)
            into.Add(new MartRecord(OrderId[i], UserId[i], EventTs[i], ArrivalTs[i], Qty[i], UnitPrice[i], TotalPrice[i],
                Currency[i], Sku[i], Channel[i], Country[i], Segment[i], SignupDate[i], SourceKey[i]!));
    }

    /// <summary>The mart's columns, in the order of <see cref="BlockColumns.Mart"/>, for a block codec to write or read.</summary>
    public void Columns<TCodec>(ref TCodec codec, int n) where TCodec : IColumnCodec, allows ref struct
    {
        codec.PlainStrings(OrderId.AsSpan(0, n));
        codec.Int64s(UserId.AsSpan(0, n));
        codec.DateTimes(EventTs.AsSpan(0, n));
        codec.DateTimes(ArrivalTs.AsSpan(0, n));
        codec.NullableInt32s(Qty.AsSpan(0, n));
        codec.NullableDecimals(UnitPrice.AsSpan(0, n));
        codec.NullableDecimals(TotalPrice.AsSpan(0, n));
        codec.DictionaryStrings(Currency.AsSpan(0, n));
        codec.DictionaryStrings(Sku.AsSpan(0, n));
        codec.DictionaryStrings(Channel.AsSpan(0, n));
        codec.DictionaryStrings(Country.AsSpan(0, n));
        codec.DictionaryStrings(Segment.AsSpan(0, n));
        codec.NullableDateTimes(SignupDate.AsSpan(0, n));
        codec.DictionaryStrings(SourceKey.AsSpan(0, n));
    }

    private void Set(int i, in MartRecord r)
    {
        OrderId[i] = r.OrderId;
        UserId[i] = r.UserId;
        EventTs[i] = r.EventTs;
        ArrivalTs[i] = r.ArrivalTs;
        Qty[i] = r.Qty;
        UnitPrice[i] = r.UnitPrice;
        TotalPrice[i] = r.TotalPrice;
        Currency[i] = r.Currency;
        Sku[i] = r.Sku;
        Channel[i] = r.Channel;
        Country[i] = r.Country;
        Segment[i] = r.Segment;
        SignupDate[i] = r.SignupDate;
        SourceKey[i] = r.SourceKey;
    }
}
