using System.Runtime.InteropServices;
using Highwater.Model;
using Highwater.Staging;

namespace Highwater.Columnar;

/// <summary>
/// sales_mart rows as one <see cref="PartitionedSpool"/> block (the mart's columns in schema order): how
/// Transform spills the winners it finds bucket by bucket to the partitions they belong to, so that each
/// partition is then rebuilt from its own rows only.
/// </summary>
public sealed class MartRowBlock
{
    private string?[] _orderId = [], _currency = [], _sku = [], _channel = [], _country = [], _segment = [], _sourceKey = [];
    private long[] _userId = [];
    private DateTime[] _eventTs = [], _arrivalTs = [];
    private int?[] _qty = [];
    private decimal?[] _unitPrice = [], _totalPrice = [];
    private DateTime?[] _signup = [];

    public void Encode(ColumnBlockWriter block, List<MartRecord> rows)
    {
        var n = rows.Count;
        Ensure(n);
        var span = CollectionsMarshal.AsSpan(rows);
        for (var i = 0; i < n; i++)
        {
            ref readonly var r = ref span[i];
            _orderId[i] = r.OrderId;
            _userId[i] = r.UserId;
            _eventTs[i] = r.EventTs;
            _arrivalTs[i] = r.ArrivalTs;
            _qty[i] = r.Qty;
            _unitPrice[i] = r.UnitPrice;
            _totalPrice[i] = r.TotalPrice;
            _currency[i] = r.Currency;
            _sku[i] = r.Sku;
            _channel[i] = r.Channel;
            _country[i] = r.Country;
            _segment[i] = r.Segment;
            _signup[i] = r.SignupDate;
            _sourceKey[i] = r.SourceKey;
        }
        block.Begin(n);
        Columns(ref block, n);
        Array.Clear(_orderId, 0, n);
    }

    /// <summary>Appends the rows of a block written by <see cref="Encode"/> to <paramref name="into"/>.</summary>
    public void Decode(ReadOnlySpan<byte> bytes, StringPool pool, List<MartRecord> into)
    {
        var block = new ColumnBlockReader(bytes, pool);
        var n = block.Rows;
        Ensure(n);
        Columns(ref block, n);
        into.EnsureCapacity(into.Count + n);
        for (var i = 0; i < n; i++)
            into.Add(new MartRecord(_orderId[i], _userId[i], _eventTs[i], _arrivalTs[i], _qty[i], _unitPrice[i], _totalPrice[i],
                _currency[i], _sku[i], _channel[i], _country[i], _segment[i], _signup[i], _sourceKey[i]!));
        Array.Clear(_orderId, 0, n);
    }

    /// <summary>The mart's columns, in schema order, for a block codec to write or read.</summary>
    private void Columns<TCodec>(ref TCodec codec, int n) where TCodec : IColumnCodec, allows ref struct
    {
        codec.PlainStrings(_orderId.AsSpan(0, n));
        codec.Int64s(_userId.AsSpan(0, n));
        codec.DateTimes(_eventTs.AsSpan(0, n));
        codec.DateTimes(_arrivalTs.AsSpan(0, n));
        codec.NullableInt32s(_qty.AsSpan(0, n));
        codec.NullableDecimals(_unitPrice.AsSpan(0, n));
        codec.NullableDecimals(_totalPrice.AsSpan(0, n));
        codec.DictionaryStrings(_currency.AsSpan(0, n));
        codec.DictionaryStrings(_sku.AsSpan(0, n));
        codec.DictionaryStrings(_channel.AsSpan(0, n));
        codec.DictionaryStrings(_country.AsSpan(0, n));
        codec.DictionaryStrings(_segment.AsSpan(0, n));
        codec.NullableDateTimes(_signup.AsSpan(0, n));
        codec.DictionaryStrings(_sourceKey.AsSpan(0, n));
    }

    private void Ensure(int n)
    {
        if (_orderId.Length >= n) return;
        var c = Math.Max(n, _orderId.Length * 2);
        _orderId = new string?[c]; _currency = new string?[c]; _sku = new string?[c]; _channel = new string?[c];
        _country = new string?[c]; _segment = new string?[c]; _sourceKey = new string?[c];
        _userId = new long[c];
        _eventTs = new DateTime[c]; _arrivalTs = new DateTime[c];
        _qty = new int?[c];
        _unitPrice = new decimal?[c]; _totalPrice = new decimal?[c];
        _signup = new DateTime?[c];
    }
}
