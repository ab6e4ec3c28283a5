using Highwater.Pipeline.Core.Mart;
using Parquet;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// One row group read ahead: its own reader of the file (so it can read further columns, or earlier row groups for a
/// filtered copy, without sharing a stream with another worker) and a batch holding the columns the checks read,
/// already in their typed form. Disposing closes the reader.
/// </summary>
internal sealed class ReadRowGroup(ParquetReader reader, ParquetRowGroupReader rowGroup, RowBatch batch) : IAsyncDisposable
{
    public ParquetReader Reader { get; } = reader;

    public ParquetRowGroupReader RowGroup { get; } = rowGroup;

    public RowBatch Batch { get; } = batch;

    public ValueTask DisposeAsync()
    {
        Batch.Release();
        RowGroup.Dispose();
        return Reader.DisposeAsync();
    }
}

/// <summary>
/// Reads and decodes the row groups of a gate's files ahead of the evaluation, up to <c>lookahead</c> of them at once
/// on the thread pool, each with its own reader; <see cref="NextAsync"/> hands them out strictly in file and row-group
/// order, so the evaluation sees exactly the sequence of batches a sequential pass would, whatever the threads did.
/// Decoding (decompression, Parquet decoding, strings, typed copies) is most of the gate's work; the evaluation of
/// one row group overlaps the decoding of the next ones. Memory is at most <c>lookahead + 1</c> row groups of the
/// checked columns, in arrays reused from row group to row group (<see cref="ColumnBufferPool"/>). A failure reading a row group surfaces when that row group is next, as it would have sequentially.
/// </summary>
internal sealed class RowGroupReadAhead : IAsyncDisposable
{
    private readonly IReadOnlyList<DatasetFile> _files;
    private readonly IReadOnlyList<string> _partitionBy;
    private readonly IReadOnlyList<CheckEvaluator> _checks;
    private readonly bool _useStatistics;
    private readonly List<(int File, int RowGroup)> _order = [];
    private readonly Queue<Task<ReadRowGroup>> _pending = new();
    private readonly CancellationTokenSource _cancel;
    private readonly ColumnBufferPool? _pool;
    private readonly int _lookahead;
    private int _started;

    /// <param name="rowGroupCounts">The number of row groups of each file (read with its schema).</param>
    /// <param name="checks">
    /// The checks of the pass: a row group is read with the columns of those its footer statistics do not prove
    /// (<see cref="CheckEvaluator.IsProvenBy"/>; every check's, without <paramref name="useStatistics"/>); the other
    /// columns are read later only when needed.
    /// </param>
    /// <param name="pool">Where the batches' arrays come from and go back to; null: each is allocated.</param>
    public RowGroupReadAhead(IReadOnlyList<DatasetFile> files, IReadOnlyList<int> rowGroupCounts, IReadOnlyList<string> partitionBy,
        IReadOnlyList<CheckEvaluator> checks, bool useStatistics, int lookahead, ColumnBufferPool? pool, CancellationToken ct)
    {
        _pool = pool;
        if (lookahead < 1) throw new ArgumentOutOfRangeException(nameof(lookahead), lookahead, "at least one row group is read ahead");
        (_files, _partitionBy, _checks, _useStatistics, _lookahead) = (files, partitionBy, checks, useStatistics, lookahead);
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        for (int f = 0; f < files.Count; f++)
        for (int g = 0; g < rowGroupCounts[f]; g++)
            _order.Add((f, g));
        Fill();
    }

    /// <summary>As many row groups ahead as there are cores to decode them (at least two: one decodes while one is judged).</summary>
    public static int DefaultLookahead => Math.Max(2, Environment.ProcessorCount);

    /// <summary>The next row group in order (the caller disposes it), or null after the last.</summary>
    public async Task<ReadRowGroup?> NextAsync()
    {
        if (_pending.Count == 0) return null;
        var next = _pending.Dequeue();
        Fill();
        return await next;
    }

    private void Fill()
    {
        while (_pending.Count < _lookahead && _started < _order.Count)
        {
            var (f, g) = _order[_started++];
            var ct = _cancel.Token;
            _pending.Enqueue(Task.Run(() => ReadAsync(_files[f], g, ct), ct));
        }
    }

    private async Task<ReadRowGroup> ReadAsync(DatasetFile file, int g, CancellationToken ct)
    {
        var reader = await DatasetReader.OpenAsync(file, ct);
        ParquetRowGroupReader? rg = null;
        try
        {
            rg = reader.OpenRowGroupReader(g);
            var batch = DatasetReader.EmptyBatch(reader, rg, file, DatasetReader.Partitions(file, _partitionBy), _pool);
            batch.ProvenChecks = _useStatistics ? Proven(reader, rg, batch) : null;
            var needed = new List<int>();
            foreach (var check in _checks)
            {
                if (batch.IsProven(check)) continue;
                foreach (var c in check.Check.Columns)
                    if (batch.IndexOf(c) is var i and >= 0 && !needed.Contains(i)) needed.Add(i);
            }
            await DatasetReader.ReadColumnsAsync(rg, batch, needed, ct);
            // The typed copies too, here rather than on the evaluating thread.
            foreach (var i in needed) batch.Column(batch.Fields[i].Name);
            return new ReadRowGroup(reader, rg, batch);
        }
        catch
        {
            rg?.Dispose();
            await reader.DisposeAsync();
            throw;
        }
    }

    /// <summary>The checks whose verdict on the row group its footer statistics settle; null when none does.</summary>
    private HashSet<CheckEvaluator>? Proven(ParquetReader reader, ParquetRowGroupReader rg, RowBatch batch)
    {
        var statistics = new Dictionary<string, ChunkStatistics?>(StringComparer.Ordinal);
        ChunkStatistics? Of(string column)
        {
            if (statistics.TryGetValue(column, out var known)) return known;
            var i = batch.IndexOf(column);
            return statistics[column] = i < 0 ? null : ChunkStatistics.Of(batch.File.Path, reader.Metadata, rg, batch.Fields[i]);
        }

        HashSet<CheckEvaluator>? proven = null;
        foreach (var check in _checks)
            if (check.IsProvenBy(Of)) (proven ??= []).Add(check);
        return proven;
    }

    /// <summary>Stops reading ahead and closes what was read but not handed out.</summary>
    public async ValueTask DisposeAsync()
    {
        await _cancel.CancelAsync();
        while (_pending.Count > 0)
        {
            try
            {
                await using var unused = await _pending.Dequeue();
            }
            catch
            {
                // Read ahead of a failure or of the cancellation: nobody will look at it.
            }
        }

        _cancel.Dispose();
    }
}
