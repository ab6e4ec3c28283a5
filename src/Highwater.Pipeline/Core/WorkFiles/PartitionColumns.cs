using System.Runtime.InteropServices;
using System.Text;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// The rows of one sales_mart partition while Transform rebuilds it, as columns: what the partition's blocks (the
/// winners in the order-index files, the spill) decode into and what its Parquet and KPI files are written from, so a
/// row never becomes a <see cref="MartRecord"/> on the way. order_id stays UTF-8 (<see cref="Utf8Column"/>), and each
/// low-cardinality string column is a 32-bit id per row into the column's distinct values (-1 for null): a block's
/// dictionary is mapped onto them once per block, not looked up once per row.
/// Reusable: <see cref="Clear"/> empties it and keeps the arrays and the string columns' distinct values.
/// </summary>
internal sealed class PartitionColumns
{
    public readonly Utf8Column OrderId = new();
    public long[] UserId = [];
    public DateTime[] EventTs = [], ArrivalTs = [];
    public int?[] Qty = [];
    public decimal?[] UnitPrice = [], TotalPrice = [];
    public DateTime?[] SignupDate = [];
    public int[] Currency = [], Sku = [], Channel = [], Country = [], Segment = [], SourceKey = [];

    /// <summary>The distinct values of each string column, in first-seen order: an id is a position in its <see cref="DistinctStrings.Entries"/>.</summary>
    public readonly DistinctStrings CurrencyValues = NewValues(), SkuValues = NewValues(), ChannelValues = NewValues(),
        CountryValues = NewValues(), SegmentValues = NewValues(), SourceKeyValues = NewValues();

    /// <summary>Each string column's values as UTF-8, by id, for the blocks written from these columns.</summary>
    public readonly DistinctUtf8 CurrencyUtf8 = new(), SkuUtf8 = new(), ChannelUtf8 = new(), CountryUtf8 = new(), SegmentUtf8 = new(),
        SourceKeyUtf8 = new();

    private readonly Utf8ValueMap _currencyBytes = new(), _skuBytes = new(), _channelBytes = new(), _countryBytes = new(),
        _segmentBytes = new(), _sourceKeyBytes = new();
    private int[] _blockIds = [];
    private long[] _lines = [];

    public int Count { get; private set; }

    private static DistinctStrings NewValues() => new(maxReferences: 1 << 16);

    /// <summary>
    /// Empties the rows. The string columns' distinct values stay, with their ids and UTF-8 (up to
    /// <see cref="RetainedValues"/> per column): the next bucket or partition this instance holds meets mostly the same
    /// values, and maps a block's dictionary onto them with one hash per entry instead of making each value a string and
    /// an id again. Nothing depends on which values a column holds beyond its rows' (a file's or block's dictionary is the
    /// values its rows use, in first-use order), so the rows it writes are the same either way.
    /// </summary>
    public void Clear()
    {
        Count = 0;
        OrderId.Clear();
        Forget(CurrencyValues, _currencyBytes, CurrencyUtf8); Forget(SkuValues, _skuBytes, SkuUtf8); Forget(ChannelValues, _channelBytes, ChannelUtf8);
        Forget(SourceKeyValues, _sourceKeyBytes, SourceKeyUtf8);
        // The user codes' ids are ids of the country and segment values: valid while those are kept.
        if (Forget(CountryValues, _countryBytes, CountryUtf8) | Forget(SegmentValues, _segmentBytes, SegmentUtf8)) _codeIdsValid = false;
    }

    /// <summary>How many distinct values of a column <see cref="Clear"/> keeps; a column with more starts again empty.</summary>
    internal const int RetainedValues = 1 << 17;

    /// <summary>Forgets a column's values when it holds more than <see cref="RetainedValues"/>; true when it did.</summary>
    private static bool Forget(DistinctStrings values, Utf8ValueMap byBytes, DistinctUtf8 utf8)
    {
        if (values.Entries.Count <= RetainedValues) return false;
        values.Clear();
        byBytes.Clear();
        utf8.Clear();
        return true;
    }

    /// <summary>
    /// Appends the rows of a block written by <see cref="MartRowBlock.Encode"/> (<see cref="BlockColumns.Mart"/>, asked for
    /// in that order, see <see cref="MartColumns.Columns{TCodec}"/>); <paramref name="pool"/> interns the blocks' dictionary values.
    /// </summary>
    /// <param name="plan">Where the mart's columns are in the block (this build's own blocks when null).</param>
    /// <exception cref="InvalidDataException">The block is cut short or an id points outside its dictionary.</exception>
    public void AppendBlock(ReadOnlySpan<byte> bytes, StringPool pool, BlockPlan? plan = null)
    {
        var block = Begin(bytes, pool, plan ?? BlockPlan.Mart, out var at, out var n);
        block.PlainUtf8(n, OrderId);
        block.Int64s(UserId.AsSpan(at, n));
        block.DateTimes(EventTs.AsSpan(at, n));
        block.DateTimes(ArrivalTs.AsSpan(at, n));
        block.NullableInt32s(Qty.AsSpan(at, n));
        block.NullableDecimals(UnitPrice.AsSpan(at, n));
        block.NullableDecimals(TotalPrice.AsSpan(at, n));
        Ids(ref block, CurrencyValues, _currencyBytes, pool, Currency.AsSpan(at, n));
        Ids(ref block, SkuValues, _skuBytes, pool, Sku.AsSpan(at, n));
        Ids(ref block, ChannelValues, _channelBytes, pool, Channel.AsSpan(at, n));
        Ids(ref block, CountryValues, _countryBytes, pool, Country.AsSpan(at, n));
        Ids(ref block, SegmentValues, _segmentBytes, pool, Segment.AsSpan(at, n));
        block.NullableDateTimes(SignupDate.AsSpan(at, n));
        Ids(ref block, SourceKeyValues, _sourceKeyBytes, pool, SourceKey.AsSpan(at, n));
        Count += n;
    }

    /// <summary>
    /// Appends the rows of a staging block (<see cref="EventColumns"/>' columns: the event's own, without the user's); the
    /// user columns and total_price are left to the join (<see cref="SetUserStrings"/>). Returns the rows' source lines,
    /// valid until the next call.
    /// </summary>
    /// <param name="plan">Where the staged columns are in the block (this build's own blocks when null).</param>
    /// <exception cref="InvalidDataException">The block is cut short or an id points outside its dictionary.</exception>
    public ReadOnlySpan<long> AppendStagingBlock(ReadOnlySpan<byte> bytes, StringPool pool, BlockPlan? plan = null)
    {
        var block = Begin(bytes, pool, plan ?? BlockPlan.Events, out var at, out var n);
        block.PlainUtf8(n, OrderId);
        block.Int64s(UserId.AsSpan(at, n));
        block.DateTimes(EventTs.AsSpan(at, n));
        block.DateTimes(ArrivalTs.AsSpan(at, n));
        block.NullableInt32s(Qty.AsSpan(at, n));
        block.NullableDecimals(UnitPrice.AsSpan(at, n));
        Ids(ref block, CurrencyValues, _currencyBytes, pool, Currency.AsSpan(at, n));
        Ids(ref block, SkuValues, _skuBytes, pool, Sku.AsSpan(at, n));
        Ids(ref block, ChannelValues, _channelBytes, pool, Channel.AsSpan(at, n));
        Ids(ref block, SourceKeyValues, _sourceKeyBytes, pool, SourceKey.AsSpan(at, n));
        if (_lines.Length < n) _lines = new long[n];
        block.Int64s(_lines.AsSpan(0, n));
        Count += n;
        return _lines.AsSpan(0, n);
    }

    /// <summary>Opens a block to append: its reader, the row it starts at and its row count, with room made for them.</summary>
    private ColumnBlockReader Begin(ReadOnlySpan<byte> bytes, StringPool pool, BlockPlan plan, out int at, out int n)
    {
        var block = new ColumnBlockReader(bytes, pool, plan);
        n = block.Rows;
        Ensure(Count + n);
        at = Count;
        return block;
    }

    /// <summary>
    /// Sets the country and segment of rows [from, from + n) from codes into <paramref name="codes"/> (a packed user
    /// dimension's strings, 0 for null): each code is mapped to its column id once, then by an array read per row.
    /// The same ids as <see cref="SetUserStrings"/> with the codes' strings.
    /// </summary>
    public void SetUserCodes(int from, ReadOnlySpan<int> country, ReadOnlySpan<int> segment, string?[] codes)
    {
        if (!ReferenceEquals(codes, _codes) || _countryIdOfCode.Length < codes.Length)
        {
            _codes = codes;
            _countryIdOfCode = new int[codes.Length];
            _segmentIdOfCode = new int[codes.Length];
            _codeIdsValid = false;
        }
        if (!_codeIdsValid)
        {
            Array.Fill(_countryIdOfCode, Unmapped);
            Array.Fill(_segmentIdOfCode, Unmapped);
            _codeIdsValid = true;
        }
        MapCodes(country, Country.AsSpan(from, country.Length), _countryIdOfCode, CountryValues, codes);
        MapCodes(segment, Segment.AsSpan(from, segment.Length), _segmentIdOfCode, SegmentValues, codes);
    }

    private const int Unmapped = -2;
    private string?[]? _codes;
    private int[] _countryIdOfCode = [], _segmentIdOfCode = [];
    private bool _codeIdsValid;

    private static void MapCodes(ReadOnlySpan<int> codes, Span<int> ids, int[] idOfCode, DistinctStrings values, string?[] strings)
    {
        for (var i = 0; i < codes.Length; i++)
        {
            var id = idOfCode[codes[i]];
            if (id == Unmapped)
            {
                id = strings[codes[i]] is { } s ? Id(values, s) : -1;
                idOfCode[codes[i]] = id;
            }
            ids[i] = id;
        }
    }

    /// <summary>Sets the country and segment of rows [from, from + n) to the given strings (the join's user columns).</summary>
    public void SetUserStrings(int from, ReadOnlySpan<string?> country, ReadOnlySpan<string?> segment)
    {
        CountryValues.AddRange(country, Country.AsSpan(from, country.Length));
        SegmentValues.AddRange(segment, Segment.AsSpan(from, segment.Length));
    }

    /// <summary>Copies row <paramref name="from"/> over row <paramref name="to"/> (every column; order_id's bytes are not moved).</summary>
    public void MoveRow(int from, int to)
    {
        OrderId.MoveRow(from, to);
        UserId[to] = UserId[from];
        EventTs[to] = EventTs[from];
        ArrivalTs[to] = ArrivalTs[from];
        Qty[to] = Qty[from];
        UnitPrice[to] = UnitPrice[from];
        TotalPrice[to] = TotalPrice[from];
        Currency[to] = Currency[from];
        Sku[to] = Sku[from];
        Channel[to] = Channel[from];
        Country[to] = Country[from];
        Segment[to] = Segment[from];
        SignupDate[to] = SignupDate[from];
        SourceKey[to] = SourceKey[from];
    }

    /// <summary>Keeps the first <paramref name="count"/> rows.</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)Count, nameof(count));
        Count = count;
        OrderId.Truncate(count);
    }

    /// <summary>The rows as records (the rare paths that merge with rows read back as records).</summary>
    public List<MartRecord> ToRecords()
    {
        var rows = new List<MartRecord>(Count);
        for (var i = 0; i < Count; i++) rows.Add(this[i]);
        return rows;
    }

    /// <summary>Appends one row (a row the partition held, read back from its mart file).</summary>
    public void Append(in MartRecord row)
    {
        Ensure(Count + 1);
        var i = Count;
        OrderId.Add(row.OrderId);
        UserId[i] = row.UserId;
        EventTs[i] = row.EventTs;
        ArrivalTs[i] = row.ArrivalTs;
        Qty[i] = row.Qty;
        UnitPrice[i] = row.UnitPrice;
        TotalPrice[i] = row.TotalPrice;
        Currency[i] = Id(CurrencyValues, row.Currency);
        Sku[i] = Id(SkuValues, row.Sku);
        Channel[i] = Id(ChannelValues, row.Channel);
        Country[i] = Id(CountryValues, row.Country);
        Segment[i] = Id(SegmentValues, row.Segment);
        SignupDate[i] = row.SignupDate;
        SourceKey[i] = Id(SourceKeyValues, row.SourceKey);
        Count++;
    }

    /// <summary>Row <paramref name="i"/> as a record (for tests and messages; the write path never builds one).</summary>
    public MartRecord this[int i]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)i, (uint)Count, nameof(i));
            return new MartRecord(OrderId.StringAt(i), UserId[i], EventTs[i], ArrivalTs[i], Qty[i], UnitPrice[i], TotalPrice[i],
                Value(CurrencyValues, Currency[i]), Value(SkuValues, Sku[i]), Value(ChannelValues, Channel[i]),
                Value(CountryValues, Country[i]), Value(SegmentValues, Segment[i]), SignupDate[i], Value(SourceKeyValues, SourceKey[i])!);
        }
    }

    /// <summary>The values at <paramref name="positions"/> of a column into the front of <paramref name="into"/> (a row group's or block's rows in their order).</summary>
    public static Span<T> Gather<T>(T[] values, ReadOnlySpan<int> positions, T[] into)
    {
        var span = into.AsSpan(0, positions.Length);
        for (var i = 0; i < positions.Length; i++) span[i] = values[positions[i]];
        return span;
    }

    /// <summary>The value of an id of one of the string columns (null for -1).</summary>
    public static string? Value(DistinctStrings values, int id) => id < 0 ? null : values.Entries[id];

    /// <summary>A block's dictionary column: its values mapped onto the partition's once, then each row's id through that map.</summary>
    private void Ids(ref ColumnBlockReader block, DistinctStrings values, Utf8ValueMap byBytes, StringPool pool, Span<int> into)
    {
        if (!block.TryDictionary(out var count))
        {
            into.Fill(-1);
            return;
        }
        if (_blockIds.Length < count) _blockIds = new int[Math.Max(count, _blockIds.Length * 2)];
        var map = _blockIds.AsSpan(0, count);
        for (var k = 0; k < count; k++) map[k] = byBytes.IdOf(block.DictionaryValue(), values, pool);
        block.DictionaryRowIds(count, map, into);
    }

    private static int Id(DistinctStrings values, string? value)
    {
        if (value is null) return -1;
        values.Add(value, out var id);
        return id;
    }

    private void Ensure(int n)
    {
        if (UserId.Length >= n) return;
        var c = Math.Max(n, Math.Max(1024, UserId.Length * 2));
        Array.Resize(ref UserId, c);
        Array.Resize(ref EventTs, c);
        Array.Resize(ref ArrivalTs, c);
        Array.Resize(ref Qty, c);
        Array.Resize(ref UnitPrice, c);
        Array.Resize(ref TotalPrice, c);
        Array.Resize(ref SignupDate, c);
        Array.Resize(ref Currency, c);
        Array.Resize(ref Sku, c);
        Array.Resize(ref Channel, c);
        Array.Resize(ref Country, c);
        Array.Resize(ref Segment, c);
        Array.Resize(ref SourceKey, c);
    }
}
