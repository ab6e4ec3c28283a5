using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// sales_mart rows as one <see cref="PartitionedSpool"/> block (<see cref="BlockColumns.Mart"/>): how
/// Transform spills the winners it finds bucket by bucket to the partitions they belong to, so that each
/// partition is then rebuilt from its own rows only.
/// </summary>
public sealed class MartRowBlock
{
    private readonly MartColumns _columns = new(0);

    /// <summary>Encodes the rows at <paramref name="positions"/> of <paramref name="rows"/>, gathered straight into the columns.</summary>
    public void Encode(ColumnBlockWriter block, List<MartRecord> rows, ReadOnlySpan<int> positions)
    {
        var n = positions.Length;
        _columns.Ensure(n);
        _columns.Fill(rows, positions, 0, n);
        block.Begin(n);
        _columns.Columns(ref block, n);
        _columns.Clear();
    }

    /// <summary>
    /// Encodes the rows at <paramref name="positions"/> of a partition's or bucket's columns: the same block as
    /// <see cref="Encode(ColumnBlockWriter, List{MartRecord}, ReadOnlySpan{int})"/> gives for the same rows.
    /// </summary>
    internal void Encode(ColumnBlockWriter block, PartitionColumns rows, ReadOnlySpan<int> positions)
    {
        var n = positions.Length;
        _columns.Ensure(n);
        var c = _columns;
        block.Begin(n);
        block.PlainUtf8(rows.OrderId, positions);
        block.Int64s(PartitionColumns.Gather(rows.UserId, positions, c.UserId));
        block.DateTimes(PartitionColumns.Gather(rows.EventTs, positions, c.EventTs));
        block.DateTimes(PartitionColumns.Gather(rows.ArrivalTs, positions, c.ArrivalTs));
        block.NullableInt32s(PartitionColumns.Gather(rows.Qty, positions, c.Qty));
        block.NullableDecimals(PartitionColumns.Gather(rows.UnitPrice, positions, c.UnitPrice));
        block.NullableDecimals(PartitionColumns.Gather(rows.TotalPrice, positions, c.TotalPrice));
        block.DictionaryIds(PartitionColumns.Gather(rows.Currency, positions, c.Ids), rows.CurrencyValues.Entries, rows.CurrencyUtf8);
        block.DictionaryIds(PartitionColumns.Gather(rows.Sku, positions, c.Ids), rows.SkuValues.Entries, rows.SkuUtf8);
        block.DictionaryIds(PartitionColumns.Gather(rows.Channel, positions, c.Ids), rows.ChannelValues.Entries, rows.ChannelUtf8);
        block.DictionaryIds(PartitionColumns.Gather(rows.Country, positions, c.Ids), rows.CountryValues.Entries, rows.CountryUtf8);
        block.DictionaryIds(PartitionColumns.Gather(rows.Segment, positions, c.Ids), rows.SegmentValues.Entries, rows.SegmentUtf8);
        block.NullableDateTimes(PartitionColumns.Gather(rows.SignupDate, positions, c.SignupDate));
        block.DictionaryIds(PartitionColumns.Gather(rows.SourceKey, positions, c.Ids), rows.SourceKeyValues.Entries, rows.SourceKeyUtf8);
    }

    /// <summary>
    /// Appends the rows of a block written by <see cref="Encode"/> (or, as <paramref name="plan"/> says, of another column
    /// list or layout) to <paramref name="into"/>.
    /// </summary>
    public void Decode(ReadOnlySpan<byte> bytes, StringPool pool, List<MartRecord> into, BlockPlan? plan = null)
    {
        var block = new ColumnBlockReader(bytes, pool, plan ?? BlockPlan.Mart);
        var n = block.Rows;
        _columns.Ensure(n);
        _columns.Columns(ref block, n);
        _columns.AppendTo(into, n);
        _columns.Clear();
    }
}
