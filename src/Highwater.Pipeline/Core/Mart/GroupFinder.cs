using System.Runtime.InteropServices;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// Numbers the groups of a partition by their key ids (one string column each, -1 for null), in first-seen order.
/// While the keys' distinct values multiply to at most 2^20 combinations (codes such as countries and currencies), a
/// row finds its group in a table indexed by its ids; beyond that, key column by key column in a map from (the
/// prefix's number, the id) to the next prefix's number, exact however many values there are.
/// </summary>
internal sealed class GroupFinder
{
    private const long FlatLimit = 1 << 20;
    private readonly (int[] Ids, List<string> Values)[] _columns;
    private readonly long[] _radix;
    private readonly int[]? _flat; // a slot holds its group + 1
    private readonly Dictionary<long, int>[]? _maps;
    private readonly List<int>[] _keyIds;
    private int _count;

    public GroupFinder((int[] Ids, List<string> Values)[] columns)
    {
        _columns = columns;
        _keyIds = columns.Select(_ => new List<int>()).ToArray();
        _radix = new long[columns.Length];
        long size = 1;
        for (int k = columns.Length - 1; k >= 0 && size <= FlatLimit; k--)
        {
            _radix[k] = size;
            size *= columns[k].Values.Count + 1;
        }
        if (size <= FlatLimit) _flat = new int[size];
        else _maps = columns.Select(_ => new Dictionary<long, int>()).ToArray();
    }

    public int Count => _count;

    /// <summary>The ids of key column <paramref name="k"/>, by group.</summary>
    public List<int> KeyIds(int k) => _keyIds[k];

    /// <summary>Sets <paramref name="groups"/>[i] to the group of row <paramref name="from"/> + i, numbering new groups.</summary>
    public void Find(int from, Span<int> groups)
    {
        if (_columns.Length == 0)
        {
            if (groups.Length > 0 && _count == 0) _count = 1;
            groups.Clear();
            return;
        }
        if (_flat is not null)
        {
            FindFlat(from, groups);
            return;
        }
        for (int i = 0; i < groups.Length; i++)
        {
            int row = from + i;
            ref int slot = ref MapSlot(row);
            if (slot == 0)
            {
                for (int k = 0; k < _columns.Length; k++) _keyIds[k].Add(_columns[k].Ids[row]);
                slot = ++_count;
            }
            groups[i] = slot - 1;
        }
    }

    /// <summary>The flat table's index of each row, summed key column by key column (a tight loop each), then looked up.</summary>
    private void FindFlat(int from, Span<int> groups)
    {
        var keys = groups; // the index fits an int: the table has at most 2^20 slots
        keys.Clear();
        for (int k = 0; k < _columns.Length; k++)
        {
            var ids = _columns[k].Ids.AsSpan(from, keys.Length);
            int radix = (int)_radix[k];
            for (int i = 0; i < keys.Length; i++) keys[i] += (ids[i] + 1) * radix;
        }
        var flat = _flat!;
        for (int i = 0; i < keys.Length; i++)
        {
            ref int slot = ref flat[keys[i]];
            if (slot == 0)
            {
                for (int k = 0; k < _columns.Length; k++) _keyIds[k].Add(_columns[k].Ids[from + i]);
                slot = ++_count;
            }
            keys[i] = slot - 1;
        }
    }

    private ref int MapSlot(int row)
    {
        long node = _columns[0].Ids[row] + 1;
        for (int k = 1; k < _columns.Length; k++)
        {
            long key = node * (_columns[k].Values.Count + 1) + _columns[k].Ids[row] + 1;
            if (k == _columns.Length - 1) return ref CollectionsMarshal.GetValueRefOrAddDefault(_maps![k], key, out _);
            ref int next = ref CollectionsMarshal.GetValueRefOrAddDefault(_maps![k], key, out bool exists);
            if (!exists) next = _maps[k].Count;
            node = next;
        }
        return ref CollectionsMarshal.GetValueRefOrAddDefault(_maps![0], node, out _);
    }
}

/// <summary>
/// Counts distinct values with an open-addressing set sized for them (at most half full, so it stays in cache). Sorting
/// the values instead cost more than the rest of the KPIs: under Native AOT a sort of longs goes through a comparer call
/// per comparison.
/// </summary>
internal static class DistinctCount
{
    public static long Of(ReadOnlySpan<long> ids)
    {
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, ids.Length * 2));
        var slots = System.Buffers.ArrayPool<long>.Shared.Rent(size);
        try
        {
            // long.MinValue marks an empty slot; a value of that value is counted on the side.
            slots.AsSpan(0, size).Fill(long.MinValue);
            var mask = size - 1;
            long distinct = 0;
            var sawMinValue = false;
            foreach (var id in ids)
            {
                if (id == long.MinValue)
                {
                    sawMinValue = true;
                    continue;
                }
                var at = (int)((ulong)id * 0x9E3779B97F4A7C15UL >> 40) & mask;
                while (slots[at] != long.MinValue && slots[at] != id) at = (at + 1) & mask;
                if (slots[at] == id) continue;
                slots[at] = id;
                distinct++;
            }
            return distinct + (sawMinValue ? 1 : 0);
        }
        finally
        {
            System.Buffers.ArrayPool<long>.Shared.Return(slots);
        }
    }
}
