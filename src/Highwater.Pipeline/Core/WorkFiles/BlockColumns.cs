using System.Buffers.Binary;
using System.Text;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// The physical encodings of a column block's columns (<see cref="ColumnBlockWriter"/>): what a column's bytes are, not
/// what it means. The numbers are the kind bytes of a column list (<see cref="BlockColumns"/>) and never change.
/// </summary>
public enum BlockEncoding : byte
{
    /// <summary>Mostly unique strings: a length and the UTF-8 per row (<see cref="IColumnCodec.PlainStrings"/>).</summary>
    PlainString = 1,

    /// <summary>Low-cardinality strings: the block's distinct values, then an id per row (<see cref="IColumnCodec.DictionaryStrings"/>).</summary>
    DictionaryString = 2,

    /// <summary>A non-null 64-bit integer per row.</summary>
    Int64 = 3,

    /// <summary>A non-null timestamp per row (a DateTime's 64 bits).</summary>
    Timestamp = 4,

    /// <summary>A presence byte and a timestamp per row (dates too).</summary>
    NullableTimestamp = 5,

    /// <summary>A form byte, a presence byte and a one- or four-byte integer per row.</summary>
    NullableInt32 = 6,

    /// <summary>A presence byte and a 16-byte decimal per row.</summary>
    NullableDecimal = 7,

    /// <summary>A presence byte per row, then a 64-bit integer per row (a null row's is 0).</summary>
    NullableInt64 = 8,
}

/// <summary>One column of a block: its name (as in the dataset's schema) and its encoding.</summary>
public readonly record struct BlockColumn(string Name, BlockEncoding Kind);

/// <summary>
/// The columns of a column block, in the order their bytes follow each other: what a self-describing work file
/// (<c>HWIDX004</c> segments, <c>HWSPOOL3</c> spools) stores once, so that a reader maps the columns it wants by name
/// (<see cref="BlockPlan"/>). Binary form: <c>int32</c> C, then per column a <c>u8</c> kind (<see cref="BlockEncoding"/>),
/// an <c>int32</c> name length and the name's UTF-8. Names are distinct (ordinal) and non-empty.
/// </summary>
public sealed class BlockColumns : IEquatable<BlockColumns>
{
    /// <summary>More columns than any schema has: a list that says otherwise is damaged.</summary>
    internal const int MaxColumns = 4096;

    private readonly Dictionary<string, int> _byName;

    public BlockColumns(IEnumerable<BlockColumn> columns)
    {
        Columns = [.. columns];
        _byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Columns.Count; i++)
        {
            var c = Columns[i];
            if (string.IsNullOrEmpty(c.Name)) throw new ArgumentException($"column {i + 1} has no name");
            if (!Enum.IsDefined(c.Kind)) throw new ArgumentException($"column {c.Name} has kind {(byte)c.Kind}, which is not an encoding");
            if (!_byName.TryAdd(c.Name, i)) throw new ArgumentException($"column {c.Name} is listed twice");
        }
    }

    public IReadOnlyList<BlockColumn> Columns { get; }

    public int Count => Columns.Count;

    /// <summary>The position of the column named <paramref name="name"/>, or -1.</summary>
    public int IndexOf(string name) => _byName.GetValueOrDefault(name, -1);

    /// <summary>The shipped events' staging columns (<see cref="EventLayout.Default"/>): tests and tools that build rows in code.</summary>
    public static BlockColumns Events => EventLayout.Default.Block;

    /// <summary>The shipped sales_mart's columns (<see cref="DatasetColumns.ShippedMart"/>): tests and tools that build rows in code.</summary>
    public static BlockColumns Mart => DatasetColumns.ShippedMart.Blocks;

    /// <summary>The binary form (see the class).</summary>
    public byte[] ToBinary()
    {
        var bytes = new List<byte>();
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(number, Count);
        bytes.AddRange(number);
        foreach (var c in Columns)
        {
            bytes.Add((byte)c.Kind);
            var name = Encoding.UTF8.GetBytes(c.Name);
            BinaryPrimitives.WriteInt32LittleEndian(number, name.Length);
            bytes.AddRange(number);
            bytes.AddRange(name);
        }
        return [.. bytes];
    }

    /// <summary>Reads the binary form at the start of <paramref name="bytes"/>; <paramref name="length"/> is how many bytes it took.</summary>
    /// <exception cref="InvalidDataException">The list is cut short or malformed (saying how).</exception>
    public static BlockColumns FromBinary(ReadOnlySpan<byte> bytes, out int length)
    {
        var at = 0;
        int Int32(ReadOnlySpan<byte> b)
        {
            if (at + 4 > b.Length) throw new InvalidDataException("its column list is cut short");
            var v = BinaryPrimitives.ReadInt32LittleEndian(b[at..]);
            at += 4;
            return v;
        }
        var count = Int32(bytes);
        if (count is < 0 or > MaxColumns) throw new InvalidDataException($"its column list says it holds {count} columns");
        var columns = new List<BlockColumn>(count);
        for (var i = 0; i < count; i++)
        {
            if (at >= bytes.Length) throw new InvalidDataException("its column list is cut short");
            var kind = (BlockEncoding)bytes[at++];
            if (!Enum.IsDefined(kind)) throw new InvalidDataException($"its column {i + 1} has kind {(byte)kind}, which is not an encoding");
            var n = Int32(bytes);
            if (n <= 0 || at + n > bytes.Length) throw new InvalidDataException($"its column {i + 1} has a name of {n} bytes, past the list's end or empty");
            string name;
            try
            {
                name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.Slice(at, n));
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException($"its column {i + 1}'s name is not UTF-8");
            }
            at += n;
            columns.Add(new BlockColumn(name, kind));
        }
        length = at;
        try
        {
            return new BlockColumns(columns);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"its column list is not valid: {e.Message}");
        }
    }

    public bool Equals(BlockColumns? other) => other is not null && Columns.SequenceEqual(other.Columns);

    public override bool Equals(object? obj) => Equals(obj as BlockColumns);

    public override int GetHashCode() => Count;

    public override string ToString() => string.Join(", ", Columns.Select(c => $"{c.Name} {c.Kind}"));
}

/// <summary>
/// How the columns a reader wants are found in a file's blocks, by name: for each wanted column, the file column of the
/// same name (its kind must be the same) or none, which reads as null (the type's default for a non-null kind). File
/// columns no one wants are skipped, and the order of the file's columns does not matter. Made once per file, not per block.
/// </summary>
public sealed class BlockPlan
{
    private BlockPlan(BlockColumns file, BlockColumns wanted, int[] fileIndex, ColumnBlockLayout layout)
    {
        File = file;
        Wanted = wanted;
        FileIndex = fileIndex;
        Layout = layout;
        InOrder = file.Equals(wanted);
    }

    public BlockColumns File { get; }
    public BlockColumns Wanted { get; }
    public ColumnBlockLayout Layout { get; }

    /// <summary>The file's position of each wanted column, -1 when the file lacks it.</summary>
    internal int[] FileIndex { get; }

    /// <summary>True when the file holds exactly the wanted columns in the wanted order: blocks are read straight through.</summary>
    internal bool InOrder { get; }

    /// <summary>Blocks of <paramref name="file"/>'s columns read as <paramref name="wanted"/>.</summary>
    /// <exception cref="InvalidDataException">A column of both has another encoding in the file (naming the column).</exception>
    public static BlockPlan For(BlockColumns file, BlockColumns wanted, ColumnBlockLayout layout = ColumnBlockLayout.Compact)
    {
        var index = new int[wanted.Count];
        for (var w = 0; w < wanted.Count; w++)
        {
            var c = wanted.Columns[w];
            var f = file.IndexOf(c.Name);
            if (f >= 0 && file.Columns[f].Kind != c.Kind)
                throw new InvalidDataException($"its column {c.Name} is stored as {file.Columns[f].Kind}, where this version reads {c.Kind}");
            index[w] = f;
        }
        return new BlockPlan(file, wanted, index, layout);
    }

    /// <summary>Blocks written with the wanted columns themselves (this build's own files).</summary>
    public static BlockPlan Same(BlockColumns columns, ColumnBlockLayout layout = ColumnBlockLayout.Compact) => For(columns, columns, layout);

    /// <summary>The file's columns a reader of this plan does not read (for messages and tests).</summary>
    public IEnumerable<string> Ignored => File.Columns.Where(c => Wanted.IndexOf(c.Name) < 0).Select(c => c.Name);

    /// <summary>The wanted columns the file lacks, read as null.</summary>
    public IEnumerable<string> Missing => Wanted.Columns.Where((_, w) => FileIndex[w] < 0).Select(c => c.Name);
}
