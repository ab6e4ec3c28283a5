using System.Buffers.Binary;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Core.Index;

/// <summary>
/// One segment of an order-index bucket: the candidates' full sales_mart rows in Highwater's own column blocks
/// (<see cref="PartitionColumns"/> blocks), not Parquet. The index is internal state that only Highwater reads, whole or
/// not at all, so it does not need Parquet's encodings and statistics: writing 10M candidates as Parquet cost
/// about as much as writing the mart itself. Layout:
/// <c>HWIDX004</c>, the blocks' column list (int32 length, then its binary form, <see cref="BlockColumns.ToBinary"/>), the
/// <see cref="OrderIdFilter"/> (int32 length, then its binary form, <see cref="OrderIdFilter.ToBinary"/>), the blocks (each an
/// int32 byte length, then the block, <see cref="ColumnBlockLayout.Compact"/>), an int32 -1, and <c>HWIDX004</c> again; a
/// file without the closing magic was cut short and is refused with its name. The reader takes the mart's columns from the
/// blocks by name (<see cref="BlockPlan"/>), so a segment written with more, fewer or reordered columns reads without a new
/// version. Segments written by earlier versions are still read, with the column list they were all written with
/// (<see cref="FixedColumns"/>): <c>HWIDX003</c> (no column list), <c>HWIDX002</c> (the same, with
/// <see cref="ColumnBlockLayout.Wide"/> blocks; fixtures beside the tests keep one of each) and Parquet files
/// (<see cref="MartPartitionFile"/> with the filter in the footer).
/// </summary>
public static class OrderIndexSegment
{
    public const int BlockRows = 32_768;

    /// <summary>The file extension of a segment (Parquet segments of earlier versions end in .parquet).</summary>
    public const string Extension = ".hwidx";
    private static ReadOnlySpan<byte> Magic => "HWIDX004"u8;
    private static ReadOnlySpan<byte> FixedMagic => "HWIDX003"u8;
    private static ReadOnlySpan<byte> WideMagic => "HWIDX002"u8;

    /// <summary>
    /// The columns of every <c>HWIDX003</c> and <c>HWIDX002</c> block, which carry no list of their own: sales_mart's 14
    /// columns as those versions wrote them. A fact of those formats, so it is spelled out here and never follows the schema.
    /// </summary>
    internal static readonly BlockColumns FixedColumns = new([
        new("order_id", BlockEncoding.PlainString), new("user_id", BlockEncoding.Int64), new("event_ts", BlockEncoding.Timestamp),
        new("arrival_ts", BlockEncoding.Timestamp), new("qty", BlockEncoding.NullableInt32), new("unit_price", BlockEncoding.NullableDecimal),
        new("total_price", BlockEncoding.NullableDecimal), new("currency", BlockEncoding.DictionaryString),
        new("sku", BlockEncoding.DictionaryString), new("channel", BlockEncoding.DictionaryString),
        new("country", BlockEncoding.DictionaryString), new("segment", BlockEncoding.DictionaryString),
        new("signup_date", BlockEncoding.NullableTimestamp), new("source_key", BlockEncoding.DictionaryString),
    ]);

    /// <summary>
    /// Rows of a segment written together, in blocks of their own; a group with a <see cref="Partition"/> is reported
    /// back by <see cref="Write"/> so the blocks can be read again from the local file (Transform reads a partition's new
    /// winners from the index file instead of spilling them).
    /// </summary>
    public sealed record RowGroup(string? Partition, List<int> Positions);

    /// <summary>Where a block of a tagged group was written: its bytes are at [Offset, Offset + Length) of the file.</summary>
    public sealed record WrittenBlock(string Partition, long Offset, int Length, int Rows);

    /// <summary>
    /// Writes the segment (synchronously: segments are written to local work-area files) with the rows in the given
    /// groups (which together hold every row once), each group in blocks of their own, encoded with the caller's block
    /// buffer (it grows to a block of wide rows, and a writer of many segments reuses it); returns the blocks of the
    /// groups that name a partition. The stream must report its position.
    /// </summary>
    internal static List<WrittenBlock> Write(Stream stream, PartitionColumns rows, IReadOnlyList<RowGroup> groups, ColumnBlockWriter block)
    {
        CheckGroups(groups, rows.Count);
        var filter = OrderIdFilter.For(rows.Count);
        for (var i = 0; i < rows.Count; i++)
            if (!rows.OrderId.IsNull(i)) filter.Add(rows.OrderId[i]);
        return WriteBlocks(stream, rows.Columns, filter, groups, positions =>
        {
            rows.Encode(block, positions);
            return block.Written;
        });
    }

    /// <summary>Writes every row as one group.</summary>
    internal static void Write(Stream stream, PartitionColumns rows) =>
        Write(stream, rows, [new RowGroup(null, Enumerable.Range(0, rows.Count).ToList())], new ColumnBlockWriter());

    internal delegate ReadOnlySpan<byte> BlockEncoder(ReadOnlySpan<int> positions);

    private static void CheckGroups(IReadOnlyList<RowGroup> groups, int rows)
    {
        var positions = groups.Sum(g => (long)g.Positions.Count);
        if (positions != rows)
            throw new ArgumentException($"the groups hold {positions:N0} positions for {rows:N0} rows", nameof(groups));
    }

    /// <summary>
    /// The segment around its column list and filter: each group's rows in blocks of their own, encoded by
    /// <paramref name="encode"/> with the columns <paramref name="columns"/> lists.
    /// </summary>
    internal static List<WrittenBlock> WriteBlocks(Stream stream, BlockColumns columns, OrderIdFilter filter, IReadOnlyList<RowGroup> groups,
        BlockEncoder encode)
    {
        stream.Write(Magic);
        var list = columns.ToBinary();
        WriteInt32(stream, list.Length);
        stream.Write(list);
        var bits = filter.ToBinary();
        WriteInt32(stream, bits.Length);
        stream.Write(bits);

        var written = new List<WrittenBlock>();
        foreach (var group in groups)
            for (var from = 0; from < group.Positions.Count; from += BlockRows)
            {
                var n = Math.Min(BlockRows, group.Positions.Count - from);
                var bytes = encode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(group.Positions).Slice(from, n));
                WriteInt32(stream, bytes.Length);
                if (group.Partition is { } partition) written.Add(new WrittenBlock(partition, stream.Position, bytes.Length, n));
                stream.Write(bytes);
            }
        WriteInt32(stream, -1);
        stream.Write(Magic);
        return written;
    }

    /// <summary>
    /// Decodes one block of a segment (read whole, or one that <see cref="Write"/> reported) into a holder of this build's
    /// mart columns, as <paramref name="plan"/> says (this build's blocks when null).
    /// </summary>
    internal static void DecodeBlock(ReadOnlySpan<byte> block, PartitionColumns into, StringPool pool, string name, BlockPlan? plan = null)
    {
        try
        {
            into.AppendBlock(block, pool, plan);
        }
        catch (InvalidDataException e)
        {
            throw Damaged(name, e.Message);
        }
    }

    /// <summary>True when the file (a warehouse key or a local path) is a segment of this format, not a Parquet one.</summary>
    public static bool IsSegment(string key) => key.EndsWith(Extension, StringComparison.Ordinal);

    /// <summary>
    /// Appends the rows whose order_id <paramref name="keep"/> accepts (all when it is null). When the segment's filter
    /// shows none of <paramref name="wanted"/> is in it, nothing is decoded and the answer is false.
    /// </summary>
    internal static async Task<bool> ReadAsync(Stream stream, string name, PartitionColumns into, Func<string?, bool>? keep,
        IReadOnlyCollection<string>? wanted)
    {
        var magic = await ReadExactlyAsync(stream, Magic.Length, name);
        var wantedColumns = into.Columns;
        var plan = magic.AsSpan().SequenceEqual(Magic) ? await ReadColumnsAsync(stream, name, wantedColumns)
            : magic.AsSpan().SequenceEqual(FixedMagic) ? Plan(FixedColumns, wantedColumns, ColumnBlockLayout.Compact, name)
            : magic.AsSpan().SequenceEqual(WideMagic) ? Plan(FixedColumns, wantedColumns, ColumnBlockLayout.Wide, name)
            : throw Damaged(name, "it does not start like an order-index segment");
        // The wanted ids the filter may hold: a row with a wanted id has one of these (the filter's "no" is certain). A block
        // whose order_id column holds none of them is not decoded: most of a segment's "maybe"s are the filter's false ones.
        var maybe = await ReadFilterAsync(stream, name, wanted);
        if (maybe is { Count: 0 }) return false;
        var orderIds = maybe is null ? null : OrderIdPlan(plan, into, name);

        var pool = new StringPool();
        while (true)
        {
            var length = await ReadInt32Async(stream, name);
            if (length == -1) break;
            if (length < 0 || (stream.CanSeek && length > stream.Length - stream.Position))
                throw Damaged(name, $"a block of {length:N0} bytes is announced at offset {stream.Position - 4:N0}");
            var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
            try
            {
                await ReadExactlyAsync(stream, bytes.AsMemory(0, length), name);
                if (orderIds is not null && !HoldsAny(bytes.AsSpan(0, length), orderIds, maybe!, pool, name)) continue;
                var from = into.Count;
                DecodeBlock(bytes.AsSpan(0, length), into, pool, name, plan);
                if (keep is not null) into.KeepWhere(i => keep(into.OrderId.StringAt(i)), from);
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
            }
        }
        if (!(await ReadExactlyAsync(stream, Magic.Length, name)).AsSpan().SequenceEqual(magic))
            throw Damaged(name, "it does not end with the closing mark (it was cut short)");
        return true;
    }

    /// <summary>
    /// Reads the segment's order_id filter and gives the <paramref name="wanted"/> ids it may hold (null when none are
    /// wanted). The filter's bytes and words are pooled: a one-day run reads the filter of every held segment.
    /// </summary>
    private static async Task<Utf8KeySet?> ReadFilterAsync(Stream stream, string name, IReadOnlyCollection<string>? wanted)
    {
        var length = await ReadInt32Async(stream, name);
        if (length < 0) throw Damaged(name, $"its order_id filter is said to be {length:N0} bytes");
        if (stream.CanSeek && length > stream.Length - stream.Position)
            throw Damaged(name, $"its order_id filter of {length:N0} bytes runs past the end of the file");
        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await ReadExactlyAsync(stream, bytes.AsMemory(0, length), name);
            var filter = OrderIdFilter.FromBinary(bytes.AsSpan(0, length), rented: true) ?? throw Damaged(name, "its order_id filter is not readable");
            try
            {
                return wanted is null ? null : new Utf8KeySet(wanted.Where(filter.MayContain));
            }
            finally
            {
                filter.Return();
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>A plan that reads only the order_id column of the segment's blocks (read with <paramref name="plan"/>).</summary>
    private static BlockPlan OrderIdPlan(BlockPlan plan, PartitionColumns into, string name) =>
        Plan(plan.File, new BlockColumns([into.OrderIdColumn]), plan.Layout, name);

    /// <summary>Whether the block's order_id column holds one of <paramref name="ids"/>; only that column is scanned.</summary>
    private static bool HoldsAny(ReadOnlySpan<byte> block, BlockPlan orderIds, Utf8KeySet ids, StringPool pool, string name)
    {
        try
        {
            return new ColumnBlockReader(block, pool, orderIds).AnyPlainUtf8In(ids);
        }
        catch (InvalidDataException e)
        {
            throw Damaged(name, e.Message);
        }
    }

    /// <summary>How the <paramref name="wanted"/> mart columns are read from blocks of <paramref name="columns"/>; refused with the segment's name.</summary>
    private static BlockPlan Plan(BlockColumns columns, BlockColumns wanted, ColumnBlockLayout layout, string name)
    {
        try
        {
            return BlockPlan.For(columns, wanted, layout);
        }
        catch (InvalidDataException e)
        {
            throw Damaged(name, e.Message);
        }
    }

    /// <summary>More bytes than any column list takes (4,096 columns of long names): a length past it is damage.</summary>
    private const int MaxColumnListBytes = 1 << 20;

    /// <summary>An <c>HWIDX004</c> segment's column list, planned onto the <paramref name="wanted"/> mart columns.</summary>
    private static async Task<BlockPlan> ReadColumnsAsync(Stream stream, string name, BlockColumns wanted)
    {
        var length = await ReadInt32Async(stream, name);
        if (length is < 4 or > MaxColumnListBytes) throw Damaged(name, $"its column list is said to be {length:N0} bytes");
        var list = await ReadExactlyAsync(stream, length, name);
        try
        {
            var columns = BlockColumns.FromBinary(list, out var used);
            if (used != list.Length) throw new InvalidDataException($"its column list holds {list.Length - used:N0} bytes past its last column");
            return Plan(columns, wanted, ColumnBlockLayout.Compact, name);
        }
        catch (InvalidDataException e)
        {
            throw Damaged(name, e.Message);
        }
    }

    private static void WriteInt32(Stream stream, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    private static async Task<int> ReadInt32Async(Stream stream, string name) =>
        BinaryPrimitives.ReadInt32LittleEndian(await ReadExactlyAsync(stream, 4, name));

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, string name)
    {
        if (count < 0) throw Damaged(name, $"a length of {count} was read");
        var bytes = new byte[count];
        await ReadExactlyAsync(stream, bytes, name);
        return bytes;
    }

    private static async Task ReadExactlyAsync(Stream stream, Memory<byte> into, string name)
    {
        try
        {
            await stream.ReadExactlyAsync(into);
        }
        catch (EndOfStreamException)
        {
            throw Damaged(name, "it ends early (it was cut short)");
        }
    }

    private static DataException Damaged(string name, string why) =>
        new($"{name}: the order-index segment is damaged: {why}. Rebuild the index with ./build.sh --target=Backfill --full-refresh.");
}
