using Parquet;
using Parquet.Schema;
using Highwater.Pipeline.Core.State;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// Writes the rows of one input file that survive quarantine into a copy with the same schema, one output row group
/// per input row group. <see cref="CompleteAsync"/> keeps the copy only when rows were removed.
/// </summary>
internal sealed class FilteredFileWriter : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private bool _closed;

    private FilteredFileWriter(string path, FileStream stream, ParquetWriter writer)
    {
        Path = path;
        _stream = stream;
        _writer = writer;
    }

    public string Path { get; }

    public long RemovedRows { get; private set; }

    public static async Task<FilteredFileWriter> CreateAsync(string path, ParquetSchema schema, CancellationToken ct)
    {
        var stream = WorkArea.CreateFile(path, FileAccess.ReadWrite); // a fresh file: PublishMart may hard-link it
        var writer = await ParquetWriter.CreateAsync(schema, stream, null, false, ct);
        return new FilteredFileWriter(path, stream, writer);
    }

    public async Task WriteAsync(RowBatch batch, bool[] keep, int kept)
    {
        RemovedRows += batch.RowCount - kept;
        if (kept == 0) return;
        using var g = _writer.CreateRowGroup();
        for (int c = 0; c < batch.Fields.Count; c++)
            await RowGroupColumns.WriteFilteredAsync(g, batch.Fields[c], batch.ColumnArray(c), keep, kept);
    }

    /// <summary>Closes the copy; returns true when it holds fewer rows than the input (else the copy is deleted).</summary>
    public async Task<bool> CompleteAsync()
    {
        await CloseAsync();
        if (RemovedRows > 0) return true;
        File.Delete(Path);
        return false;
    }

    private async Task CloseAsync()
    {
        if (_closed) return;
        _closed = true;
        await _writer.DisposeAsync();
        await _stream.DisposeAsync();
    }

    public async ValueTask DisposeAsync() => await CloseAsync();
}
