using System.Runtime.InteropServices;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Transform;

/// <summary>Pass 2: rebuilding a partition from what it held, what left it and what was spilled to it; reading and writing mart files.</summary>
internal sealed partial class TransformBatch
{
    /// <summary>Rebuilds one partition: what it held, minus the orders that left it, plus what was spilled to it.</summary>
    public async Task<PartitionOutput> RebuildPartitionAsync(PartitionedSpool.Reader spilled, string dt, CancellationToken ct)
    {
        List<(string File, OrderIndexSegment.WrittenBlock Block)> winners;
        lock (_gate) winners = [.. (_winnerBlocks.GetValueOrDefault(dt) ?? []).OrderBy(b => b.File, StringComparer.Ordinal).ThenBy(b => b.Block.Offset)];
        // The partition is rebuilt as columns: its blocks decode straight into them, and its files are written from them.
        var rows = RentColumns();
        var kit = RentKit();
        var plan = spilled.PlanFor(_mart.Blocks);
        // Room for the new rows at once: grown block by block, a day's columns were copied over and over on the way up.
        rows.Ensure((int)Math.Min(int.MaxValue / 2, spilled.RowsOf(dt) + winners.Sum(b => (long)b.Block.Rows)));
        foreach (var b in spilled.BlocksOf(dt)) rows.AppendBlock(spilled.Read(b, ref kit.Buffer), kit.Strings, plan);
        foreach (var fileBlocks in winners.GroupBy(b => b.File))
        {
            using var handle = File.OpenHandle(fileBlocks.Key, FileMode.Open, FileAccess.Read, FileShare.Read);
            foreach (var (_, block) in fileBlocks)
            {
                if (!PartitionedSpool.TryReadAt(handle, block.Offset, block.Length, ref kit.Buffer))
                    throw new DataException($"{fileBlocks.Key}: the order-index file written by this Transform ends before offset {block.Offset + block.Length:N0}; run Transform again.");
                OrderIndexSegment.DecodeBlock(kit.Buffer.AsSpan(0, block.Length), rows, kit.Strings, fileBlocks.Key);
            }
        }
        ReturnKit(kit);
        HashSet<string>? removed;
        lock (_gate) removed = _removed.GetValueOrDefault(dt);
        // What the partition held follows the new rows, and stays but for the orders that left it and the unkeyed rows
        // of replaced files.
        var newRows = rows.Count;
        if (!_fullRefresh)
            foreach (var key in _manifest.PartitionFiles(Schemas.SalesMart.Dataset, dt))
                await ReadMartFileAsync(key, rows, ct);
        var heldRows = rows.Count - newRows;
        rows.KeepWhere(i => !PartitionRewrite.Leaves(rows, i, removed ?? NoOrders, _replaced), from: newRows);
        string? martFile = null, kpiFile = null;
        var count = rows.Count;
        try
        {
            if (count > 0)
            {
                // The rows are written through their sorted order, not moved into it.
                var order = System.Buffers.ArrayPool<int>.Shared.Rent(count);
                try
                {
                    PartitionRewrite.Order(rows, order.AsSpan(0, count));
                    martFile = Path.Combine(_ctx.Work.MartDir, $"dt={dt}", "part.parquet");
                    kpiFile = Path.Combine(_ctx.Work.KpiDir, $"dt={dt}", "part.parquet");
                    await WriteFileAsync(martFile, s => MartPartitionFile.WriteAsync(s, rows, order, _ctx.MartIntegers));
                    await WriteFileAsync(kpiFile, s => KpiPartitionFile.WriteAsync(s, _kpis.Compute(rows), dt));
                }
                finally
                {
                    System.Buffers.ArrayPool<int>.Shared.Return(order);
                }
            }
        }
        finally
        {
            ReturnColumns(rows);
        }
        _ctx.Log.Diagnostic($"dt={dt}: {heldRows:N0} held, {removed?.Count ?? 0:N0} superseded, {newRows:N0} new -> {count:N0} rows");
        return new PartitionOutput(dt, count, heldRows, newRows, martFile, kpiFile);
    }

    /// <summary>Reads a mart or index file; false when its order_id filter showed none of <paramref name="wanted"/> is in it.</summary>
    private async Task<bool> ReadMartFileAsync(string key, PartitionColumns into, CancellationToken ct, Func<string?, bool>? keep = null,
        IReadOnlyCollection<string>? wanted = null)
    {
        await using var body = await _ctx.Warehouse.OpenReadAsync(key, ct);
        // Index segments are read front to back, straight from the store; Parquet (the mart, and index segments of
        // earlier versions) needs a seekable copy.
        if (OrderIndexSegment.IsSegment(key))
            return await OrderIndexSegment.ReadAsync(body, $"{_ctx.Warehouse.Description}/{key}", into, keep, wanted);
        await using var seekable = await SeekableCopy.OfAsync(body, ct);
        return await MartPartitionFile.ReadAsync(seekable, $"{_ctx.Warehouse.Description}/{key}", into, keep, wanted);
    }

    private static async Task WriteFileAsync(string path, Func<Stream, Task> write)
    {
        await using var s = WorkArea.CreateFile(path); // a fresh file: PublishMart may have hard-linked the old one
        await write(s);
        // PublishMart flushes every file Transform writes to disk before its commit: start the writing now.
        await s.FlushAsync();
        Writeback.Start(s.SafeFileHandle);
    }
}
