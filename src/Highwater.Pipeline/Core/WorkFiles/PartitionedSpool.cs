using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// A work-area file of column blocks (<see cref="ColumnBlockWriter"/>), each tagged with the partition it belongs
/// to, so a writer can append rows of many partitions as they come and a reader can take one partition's
/// blocks without reading the others. Layout: <c>HWSPOOL3</c>, the blocks (<see cref="ColumnBlockLayout.Compact"/>),
/// a footer (the blocks' column list, <see cref="BlockColumns.ToBinary"/>; then per partition, in ordinal order: its name
/// and the offset, length and row count of each block, in append order), the footer's offset and <c>HWSPOOL3</c> again.
/// A reader maps the columns it wants by name (<see cref="Reader.PlanFor"/>). A file without the closing magic was not
/// completed and is refused; a <c>HWSPOOL2</c> or <c>HWSPOOL1</c> file (an earlier version's work area) is refused with a
/// word to run its stage again.
/// </summary>
public static class PartitionedSpool
{
    private static ReadOnlySpan<byte> Magic => "HWSPOOL3"u8;

    /// <summary>The magics of earlier versions' spools, refused by name: "HWSPOOL" and a version digit.</summary>
    private static bool IsEarlierMagic(ReadOnlySpan<byte> magic) => magic[..7].SequenceEqual("HWSPOOL"u8) && magic[7] is (byte)'1' or (byte)'2';

    public sealed record Block(long Offset, int Length, int Rows);

    /// <summary>Appends blocks; safe to call from several threads (blocks are appended whole, one at a time).</summary>
    public sealed class Writer : IDisposable
    {
        private readonly FileStream _stream;
        private readonly Dictionary<string, List<Block>> _index = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();
        private readonly BlockColumns _columns;
        private bool _completed;

        /// <param name="bufferBytes">
        /// The write buffer; 0 writes each block with one call, straight from the caller's memory (for writers whose
        /// blocks are large anyway, such as the staging writer's, it saves copying every byte once more).
        /// </param>
        /// <param name="columns">The columns of every block appended, in their order.</param>
        public Writer(string path, BlockColumns columns, int bufferBytes = 1 << 20)
        {
            _columns = columns;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            FilePath = path;
            // A new file, never a truncated one: FileMode.Create truncates with ftruncate(0), and ext4 (auto_da_alloc)
            // then writes a truncated file's data out when it is closed, in the closing thread. For the staging batch
            // that would be a wait at the end of Extract, and gigabytes written to disk that Transform reads from the page
            // cache and PublishMart deletes seconds later (and blocks on disk are slower to free than cached pages).
            File.Delete(path);
            _stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: bufferBytes);
            _stream.Write(Magic);
        }

        public string FilePath { get; }

        public long Rows { get; private set; }

        public void Append(string partition, ReadOnlySpan<byte> block, int rows)
        {
            lock (_gate)
            {
                if (!_index.TryGetValue(partition, out var blocks)) _index[partition] = blocks = [];
                blocks.Add(new Block(_stream.Position, block.Length, rows));
                _stream.Write(block);
                Rows += rows;
            }
        }

        /// <summary>Writes the footer and closes the file.</summary>
        public void Complete()
        {
            lock (_gate)
            {
                var footer = _stream.Position;
                var bytes = new List<byte>();
                var number = new byte[8];
                void Int32(int v) { BinaryPrimitives.WriteInt32LittleEndian(number, v); bytes.AddRange(number.AsSpan(0, 4)); }
                void Int64(long v) { BinaryPrimitives.WriteInt64LittleEndian(number, v); bytes.AddRange(number); }
                bytes.AddRange(_columns.ToBinary());
                Int32(_index.Count);
                foreach (var (name, blocks) in _index.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    var utf8 = Encoding.UTF8.GetBytes(name);
                    Int32(utf8.Length);
                    bytes.AddRange(utf8);
                    Int32(blocks.Count);
                    foreach (var b in blocks)
                    {
                        Int64(b.Offset);
                        Int32(b.Length);
                        Int32(b.Rows);
                    }
                }
                Int64(footer);
                bytes.AddRange(Magic);
                _stream.Write(bytes.ToArray());
                _stream.Flush(flushToDisk: false);
                _stream.Dispose();
                _completed = true;
            }
        }

        public void Dispose()
        {
            if (!_completed) _stream.Dispose();
        }
    }

    /// <summary>Reads blocks by partition with positional reads: one reader serves several threads.</summary>
    public sealed class Reader : IDisposable
    {
        private readonly SafeFileHandle _file;
        private readonly Dictionary<string, List<Block>> _index;

        private Reader(string path, SafeFileHandle file, BlockColumns columns, Dictionary<string, List<Block>> index)
        {
            FilePath = path;
            Columns = columns;
            _file = file;
            _index = index;
        }

        public string FilePath { get; }

        /// <summary>The columns of the file's blocks, in their order.</summary>
        public BlockColumns Columns { get; }

        /// <summary>How the <paramref name="wanted"/> columns are read from the file's blocks (see <see cref="BlockPlan"/>).</summary>
        /// <exception cref="InvalidDataException">A column of both has another encoding in the file (naming the file and the column).</exception>
        public BlockPlan PlanFor(BlockColumns wanted)
        {
            lock (_plans)
            {
                if (_plans.TryGetValue(wanted, out var plan)) return plan;
                try
                {
                    return _plans[wanted] = BlockPlan.For(Columns, wanted);
                }
                catch (InvalidDataException e)
                {
                    throw Damaged(FilePath, e.Message);
                }
            }
        }

        private readonly Dictionary<BlockColumns, BlockPlan> _plans = new(ReferenceEqualityComparer.Instance);

        /// <summary>The partitions with at least one block, in ordinal order.</summary>
        public IReadOnlyList<string> Partitions => _index.Keys.Order(StringComparer.Ordinal).ToList();

        public long RowsOf(string partition) => _index.TryGetValue(partition, out var blocks) ? blocks.Sum(b => (long)b.Rows) : 0;

        public IReadOnlyList<Block> BlocksOf(string partition) => _index.TryGetValue(partition, out var blocks) ? blocks : [];

        public static Reader Open(string path)
        {
            var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            try
            {
                var length = RandomAccess.GetLength(file);
                Span<byte> tail = stackalloc byte[16];
                var hasTail = length >= 24 && RandomAccess.Read(file, tail, length - 16) == 16;
                if (hasTail && IsEarlierMagic(tail[8..]))
                    throw Damaged(path, "it was written by an earlier version of highwater");
                if (!hasTail || !tail[8..].SequenceEqual(Magic))
                    throw Damaged(path, "it does not end with the spool trailer (it was not completed)");
                var footer = BinaryPrimitives.ReadInt64LittleEndian(tail);
                if (footer < 8 || footer > length - 16) throw Damaged(path, "its footer offset is out of range");
                var bytes = new byte[length - 16 - footer];
                RandomAccess.Read(file, bytes, footer);
                var at = 0;
                int Int32() { var v = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at)); at += 4; return v; }
                long Int64() { var v = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at)); at += 8; return v; }
                BlockColumns columns;
                try
                {
                    columns = BlockColumns.FromBinary(bytes, out at);
                }
                catch (InvalidDataException e)
                {
                    throw Damaged(path, e.Message);
                }
                var index = new Dictionary<string, List<Block>>(StringComparer.Ordinal);
                var partitions = Int32();
                for (var p = 0; p < partitions; p++)
                {
                    var nameLength = Int32();
                    var name = Encoding.UTF8.GetString(bytes, at, nameLength);
                    at += nameLength;
                    var count = Int32();
                    var blocks = new List<Block>(count);
                    for (var b = 0; b < count; b++) blocks.Add(new Block(Int64(), Int32(), Int32()));
                    index[name] = blocks;
                }
                return new Reader(path, file, columns, index);
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException)
            {
                file.Dispose();
                throw Damaged(path, "its footer is cut short");
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>Reads one block into <paramref name="buffer"/> (grown when too small); returns its bytes.</summary>
        public ReadOnlySpan<byte> Read(Block block, ref byte[] buffer)
        {
            if (!TryReadAt(_file, block.Offset, block.Length, ref buffer))
                throw Damaged(FilePath, $"a block at offset {block.Offset:N0} runs past the end of the file");
            return buffer.AsSpan(0, block.Length);
        }

        public void Dispose() => _file.Dispose();
    }

    /// <summary>
    /// Reads [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) of a file into the start of
    /// <paramref name="buffer"/> (grown when too small); false when the file ends first.
    /// </summary>
    internal static bool TryReadAt(SafeFileHandle file, long offset, int length, ref byte[] buffer)
    {
        if (buffer.Length < length) buffer = new byte[Math.Max(length, buffer.Length * 2)];
        var span = buffer.AsSpan(0, length);
        for (var read = 0; read < span.Length;)
        {
            var n = RandomAccess.Read(file, span[read..], offset + read);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    private static InvalidDataException Damaged(string path, string why) =>
        new($"{path} is not a readable spool file: {why}. The work area is damaged or was written by another version; run the stage that writes it again.");
}
