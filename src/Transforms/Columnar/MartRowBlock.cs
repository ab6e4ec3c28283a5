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

    /// <summary>Appends the rows of a block written by <see cref="Encode"/> to <paramref name="into"/>.</summary>
    public void Decode(ReadOnlySpan<byte> bytes, StringPool pool, List<MartRecord> into)
    {
        var block = new ColumnBlockReader(bytes, pool);
        var n = block.Rows;
        _columns.Ensure(n);
        _columns.Columns(ref block, n);
        _columns.AppendTo(into, n);
        _columns.Clear();
    }
}
