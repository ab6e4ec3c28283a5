using System.Runtime.CompilerServices;

namespace Highwater.Parquet.Writing;

/// <summary>
/// Renumbers ids into a column's distinct values by the order a run of rows first uses them: how a block or a Parquet
/// page gets its own dictionary (exactly the values it uses, in first-use order, as <see cref="DistinctStrings"/> would
/// give for the same strings) from rows held as ids (the mart's partition columns). Reusable through <see cref="Reset"/>.
/// </summary>
internal sealed class FirstUseIds
{
    private int[] _remap = [];

    /// <summary>The original ids, in the order of their new ones.</summary>
    public List<int> Used { get; } = [];

    /// <summary>Starts a run over ids into <paramref name="valueCount"/> values.</summary>
    public void Reset(int valueCount)
    {
        if (_remap.Length < valueCount) _remap = new int[Math.Max(valueCount, 2 * _remap.Length)];
        _remap.AsSpan(0, valueCount).Fill(-1);
        Used.Clear();
    }

    /// <summary>The new id of <paramref name="id"/> (not null: 0 or more), numbered when the run first meets it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Map(int id)
    {
        ref var at = ref _remap[id];
        if (at < 0)
        {
            at = Used.Count;
            Used.Add(id);
        }
        return at;
    }
}
