using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using Parquet;
using static Highwater.Pipeline.Core.Mart.ParquetColumns;
using M = Highwater.Pipeline.Core.Schema.Schemas.SalesMart;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>One Parquet file of a sales_mart partition: written whole, read whole.</summary>
public static class MartPartitionFile
{
    public static Task WriteAsync(Stream stream, IReadOnlyList<MartRecord> rows, ParquetIntegerEncoding integers = ParquetIntegerEncoding.Delta) =>
        Write(stream, rows, order: null, withOrderIdFilter: false, integers);

    /// <summary>
    /// Writes the rows with <see cref="ParquetFileWriter"/> (row groups of <see cref="ParquetColumns.RowGroupRows"/>,
    /// DELTA_BINARY_PACKED integers, Snappy, dictionary pages for repeating strings); with <paramref name="withOrderIdFilter"/>, an <see cref="OrderIdFilter"/> of
    /// their order_ids goes in the footer (order-index segments of earlier versions were written so).
    /// </summary>
    public static Task WriteAsync(Stream stream, IReadOnlyList<MartRecord> rows, bool withOrderIdFilter) =>
        Write(stream, rows, order: null, withOrderIdFilter, ParquetIntegerEncoding.Delta);

    /// <summary>Writes the rows in the given order (<c>order[i]</c> is the position of the i-th row to write; see <see cref="PartitionRewrite.Order"/>).</summary>
    public static Task WriteAsync(Stream stream, List<MartRecord> rows, int[] order)
    {
        if (order.Length < rows.Count) throw new ArgumentException($"the order holds {order.Length} positions for {rows.Count} rows", nameof(order));
        return Write(stream, rows, order, withOrderIdFilter: false, ParquetIntegerEncoding.Delta);
    }

    private static Task Write(Stream stream, IReadOnlyList<MartRecord> rows, int[]? order, bool withOrderIdFilter, ParquetIntegerEncoding integers)
    {
        Dictionary<string, string>? metadata = null;
        if (withOrderIdFilter)
        {
            var filter = OrderIdFilter.For(rows.Count);
            for (var i = 0; i < rows.Count; i++)
                if (rows[i].OrderId is { } id) filter.Add(id);
            metadata = new Dictionary<string, string> { [OrderIdFilter.MetadataKey] = filter.ToText() };
        }
        // Row-group buffers are large (14 arrays of up to a row group each): reused across files rather than
        // allocated per file, which would churn the large-object heap and trigger full GCs on every file.
        var columns = RentColumns(rows.Count);
        try
        {
            using var writer = new ParquetFileWriter(stream, Columns, metadata, integers);
            for (var from = 0; from < rows.Count; from += RowGroupRows)
            {
                var n = Math.Min(RowGroupRows, rows.Count - from);
                if (order is null) columns.Fill(rows, from, n);
                else columns.Fill((List<MartRecord>)rows, order, from, n);
                writer.BeginRowGroup(n);
                writer.WriteStrings(columns.OrderId.AsSpan(0, n));
                writer.WriteInt64s(columns.UserId.AsSpan(0, n));
                writer.WriteTimestamps(columns.EventTs.AsSpan(0, n));
                writer.WriteTimestamps(columns.ArrivalTs.AsSpan(0, n));
                writer.WriteNullableInt32s(columns.Qty.AsSpan(0, n));
                writer.WriteNullableDecimals(columns.UnitPrice.AsSpan(0, n));
                writer.WriteNullableDecimals(columns.TotalPrice.AsSpan(0, n));
                writer.WriteStrings(columns.Currency.AsSpan(0, n));
                writer.WriteStrings(columns.Sku.AsSpan(0, n));
                writer.WriteStrings(columns.Channel.AsSpan(0, n));
                writer.WriteStrings(columns.Country.AsSpan(0, n));
                writer.WriteStrings(columns.Segment.AsSpan(0, n));
                writer.WriteNullableDates(columns.SignupDate.AsSpan(0, n));
                writer.WriteStrings(columns.SourceKey.AsSpan(0, n));
                writer.EndRowGroup();
            }
            writer.Complete();
        }
        finally
        {
            columns.Clear();
            ReturnColumns(columns);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes a partition held as columns in the given order (<c>order[i]</c> is the position of the i-th row to write; see
    /// <see cref="PartitionRewrite.Order(PartitionColumns, Span{int})"/>): the same file as
    /// <see cref="WriteAsync(Stream, List{MartRecord}, int[])"/> writes for the same rows, with each row group's values
    /// gathered straight from the columns (order_id as UTF-8, the other strings as ids into their distinct values).
    /// </summary>
    internal static Task WriteAsync(Stream stream, PartitionColumns rows, int[] order, ParquetIntegerEncoding integers = ParquetIntegerEncoding.Delta)
    {
        if (order.Length < rows.Count) throw new ArgumentException($"the order holds {order.Length} positions for {rows.Count} rows", nameof(order));
        var columns = RentColumns(rows.Count);
        var ids = columns.Ids;
        try
        {
            using var writer = new ParquetFileWriter(stream, Columns, metadata: null, integers);
            for (var from = 0; from < rows.Count; from += RowGroupRows)
            {
                var n = Math.Min(RowGroupRows, rows.Count - from);
                var positions = order.AsSpan(from, n);
                writer.BeginRowGroup(n);
                writer.WriteUtf8(rows.OrderId, positions);
                writer.WriteInt64s(PartitionColumns.Gather(rows.UserId, positions, columns.UserId));
                writer.WriteTimestamps(PartitionColumns.Gather(rows.EventTs, positions, columns.EventTs));
                writer.WriteTimestamps(PartitionColumns.Gather(rows.ArrivalTs, positions, columns.ArrivalTs));
                writer.WriteNullableInt32s(PartitionColumns.Gather(rows.Qty, positions, columns.Qty));
                writer.WriteNullableDecimals(PartitionColumns.Gather(rows.UnitPrice, positions, columns.UnitPrice));
                writer.WriteNullableDecimals(PartitionColumns.Gather(rows.TotalPrice, positions, columns.TotalPrice));
                writer.WriteStringIds(PartitionColumns.Gather(rows.Currency, positions, ids), rows.CurrencyValues.Entries);
                writer.WriteStringIds(PartitionColumns.Gather(rows.Sku, positions, ids), rows.SkuValues.Entries);
                writer.WriteStringIds(PartitionColumns.Gather(rows.Channel, positions, ids), rows.ChannelValues.Entries);
                writer.WriteStringIds(PartitionColumns.Gather(rows.Country, positions, ids), rows.CountryValues.Entries);
                writer.WriteStringIds(PartitionColumns.Gather(rows.Segment, positions, ids), rows.SegmentValues.Entries);
                writer.WriteNullableDates(PartitionColumns.Gather(rows.SignupDate, positions, columns.SignupDate));
                writer.WriteStringIds(PartitionColumns.Gather(rows.SourceKey, positions, ids), rows.SourceKeyValues.Entries);
                writer.EndRowGroup();
            }
            writer.Complete();
        }
        finally
        {
            ReturnColumns(columns);
        }
        return Task.CompletedTask;
    }

    /// <summary>The mart's schema (<see cref="Schemas.SalesMart"/>) as the columns <see cref="ParquetFileWriter"/> writes.</summary>
    internal static readonly ParquetColumnSpec[] Columns = M.Schema.DataFields.Select(ColumnSpec).ToArray();

    /// <summary>A flat Parquet.Net field as the column <see cref="ParquetFileWriter"/> writes for it.</summary>
    internal static ParquetColumnSpec ColumnSpec(global::Parquet.Schema.DataField f) => f switch
    {
        global::Parquet.Schema.DecimalDataField d => new(f.Name, ParquetValueKind.Decimal, f.IsNullable, d.Precision, d.Scale),
        global::Parquet.Schema.DateTimeDataField { DateTimeFormat: global::Parquet.Schema.DateTimeFormat.Date } => new(f.Name, ParquetValueKind.Date, f.IsNullable),
        global::Parquet.Schema.DateTimeDataField => new(f.Name, ParquetValueKind.TimestampMicrosUtc, f.IsNullable),
        global::Parquet.Schema.DataField<string> => new(f.Name, ParquetValueKind.Utf8, f.IsNullable),
        global::Parquet.Schema.DataField<long> => new(f.Name, ParquetValueKind.Int64, f.IsNullable),
        global::Parquet.Schema.DataField<int?> or global::Parquet.Schema.DataField<int> => new(f.Name, ParquetValueKind.Int32, f.IsNullable),
        _ => throw new NotSupportedException($"column '{f.Name}' of type {f.ClrType.Name} has no ParquetFileWriter kind"),
    };

    private static readonly System.Collections.Concurrent.ConcurrentBag<MartColumns> SharedColumns = [];

    /// <summary>Row-group buffers for a file of <paramref name="rows"/> rows: a shared one when it is large enough.</summary>
    private static MartColumns RentColumns(int rows) =>
        SharedColumns.TryTake(out var held) && held.Capacity >= Math.Min(RowGroupRows, rows) ? held
            : new MartColumns(Math.Min(RowGroupRows, Math.Max(rows, 1)));

    /// <summary>Gives buffers back (holding no strings: see <see cref="MartColumns.Clear"/>); only full-size ones are kept, or the first.</summary>
    private static void ReturnColumns(MartColumns columns)
    {
        if (columns.Capacity == RowGroupRows || SharedColumns.IsEmpty) SharedColumns.Add(columns);
    }

    public static Task ReadAsync(Stream stream, string name, List<MartRecord> into) => ReadAsync(stream, name, into, keep: null);

    /// <summary>
    /// Reads the rows whose order_id <paramref name="keep"/> accepts (all rows when it is null). The order_id
    /// column is decoded first; a row group without a wanted row is skipped without decoding its other columns.
    /// </summary>
    public static Task ReadAsync(Stream stream, string name, List<MartRecord> into, Func<string?, bool>? keep) =>
        ReadAsync(stream, name, into, keep, wanted: null);

    /// <summary>
    /// As <see cref="ReadAsync(Stream, string, List{MartRecord}, Func{string?, bool}?)"/>; when the file's footer has an
    /// <see cref="OrderIdFilter"/> and it says none of <paramref name="wanted"/> is in the file, nothing is decoded.
    /// Returns false when the file was skipped that way.
    /// </summary>
    public static async Task<bool> ReadAsync(Stream stream, string name, List<MartRecord> into, Func<string?, bool>? keep, IReadOnlyCollection<string>? wanted)
    {
        await using var reader = await ParquetReader.CreateAsync(stream);
        if (wanted is not null && OrderIdFilter.FromMetadata(reader.CustomMetadata) is { } filter && !wanted.Any(filter.MayContain))
            return false;
        var s = reader.Schema;
        var local = LocalChunks.Of(stream, reader); // a local file's chunks decoded directly where they can be
        for (var i = 0; i < reader.RowGroupCount; i++)
        {
            using var g = reader.OpenRowGroupReader(i);
            var orderId = await ReadString(g, s, M.OrderId, name, local);
            if (keep is not null && !orderId.Any(keep)) continue;
            var userId = await Read<long>(g, s, M.UserId, name, local);
            var eventTs = await Read<DateTime>(g, s, M.EventTs, name, local);
            var arrivalTs = await Read<DateTime>(g, s, M.ArrivalTs, name, local);
            var qty = await ReadNullable<int>(g, s, M.Qty, name, local);
            var unitPrice = await ReadNullable<decimal>(g, s, M.UnitPrice, name, local);
            var totalPrice = await ReadNullable<decimal>(g, s, M.TotalPrice, name, local);
            var currency = await ReadString(g, s, M.Currency, name, local);
            var sku = await ReadString(g, s, M.Sku, name, local);
            var channel = await ReadString(g, s, M.Channel, name, local);
            var country = await ReadString(g, s, M.Country, name, local);
            var segment = await ReadString(g, s, M.Segment, name, local);
            var signup = await ReadNullable<DateTime>(g, s, M.SignupDate, name, local);
            var sourceKey = await ReadString(g, s, M.SourceKey, name, local);
            if (keep is null) into.EnsureCapacity(into.Count + orderId.Length);
            for (var r = 0; r < orderId.Length; r++)
            {
                if (keep is not null && !keep(orderId[r])) continue;
                into.Add(new MartRecord(orderId[r], userId[r], UtcTimestamp.Normalize(eventTs[r]), UtcTimestamp.Normalize(arrivalTs[r]),
                    qty[r], unitPrice[r], totalPrice[r], currency[r], sku[r], channel[r], country[r], segment[r],
                    signup[r] is { } d ? DateTime.SpecifyKind(d.Date, DateTimeKind.Utc) : null, sourceKey[r]!));
            }
        }
        return true;
    }
}
