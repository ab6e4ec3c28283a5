namespace Highwater.Pipeline.Core.Index;

/// <summary>
/// The order_ids of one order-index bucket held as UTF-8 in a <see cref="Utf8Column"/>, each with the row of the
/// order's first candidate: what Transform's first pass looks each staged row up in, as <see cref="OrderIdTable"/> does
/// for strings. An entry's key is the order_id of its row, so the table holds no key of its own: 8-byte slots (the
/// key's 31-bit hash and the entry's position + 1; linear probing, at most half full) and the entries' rows, in the
/// order they were added. A lookup reads one slot, which <see cref="Prefetch"/> asks for ahead, and compares bytes only
/// when the hashes are equal. Hashed with <see cref="SeededHash"/>. Reusable through <see cref="Reset"/>.
/// <para>Invariants: no null key; an entry's row keeps its order_id (the caller may move the row only to a row that
/// it then records with <see cref="GetRowOrAdd"/>'s reference).</para>
/// </summary>
internal sealed class OrderIdRows
{
    private long[] _slots = []; // 0: empty; otherwise hash << 32 | (entry + 1)
    private int[] _rows = [];
    private int _count;
    private Utf8Column _keys = new();

    public int Count => _count;

    /// <summary>The entries' rows, in the order their keys were added.</summary>
    public ReadOnlySpan<int> Rows => _rows.AsSpan(0, _count);

    /// <summary>Empties the table for keys held in <paramref name="keys"/> and makes room for <paramref name="capacity"/> of them.</summary>
    public void Reset(int capacity, Utf8Column keys)
    {
        _keys = keys;
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 2));
        if (_slots.Length < size || _slots.Length > 4 * size)
        {
            _slots = new long[size];
            _rows = new int[size / 2];
        }
        else if (_count > 0)
        {
            Array.Clear(_slots);
        }
        _count = 0;
    }

    public static int HashOf(ReadOnlySpan<byte> utf8) => (int)(SeededHash.Of(utf8) & int.MaxValue);

    public void Prefetch(int hash) => MemoryHints.Prefetch(ref _slots[hash & (_slots.Length - 1)]);

    /// <summary>
    /// The row of the entry whose key is the order_id of row <paramref name="row"/> (of hash <paramref name="hash"/>); when
    /// there is none it is added with that row, and <paramref name="exists"/> is false.
    /// </summary>
    public ref int GetRowOrAdd(int row, int hash, out bool exists)
    {
        var key = _keys[row];
        var mask = _slots.Length - 1;
        var at = hash & mask;
        for (; _slots[at] != 0; at = (at + 1) & mask)
        {
            var slot = _slots[at];
            var entry = (int)(uint)slot - 1;
            if ((int)(slot >> 32) == hash && key.SequenceEqual(_keys[_rows[entry]]))
            {
                exists = true;
                return ref _rows[entry];
            }
        }
        exists = false;
        if ((_count + 1) * 2 > _slots.Length)
        {
            Grow();
            mask = _slots.Length - 1;
            for (at = hash & mask; _slots[at] != 0; at = (at + 1) & mask) { }
        }
        _slots[at] = (long)hash << 32 | (uint)(_count + 1);
        _rows[_count] = row;
        return ref _rows[_count++];
    }

    private void Grow()
    {
        var size = Math.Max(32, _slots.Length * 2);
        _slots = new long[size];
        Array.Resize(ref _rows, size / 2);
        var mask = size - 1;
        for (var i = 0; i < _count; i++)
        {
            var hash = HashOf(_keys[_rows[i]]);
            var at = hash & mask;
            while (_slots[at] != 0) at = (at + 1) & mask;
            _slots[at] = (long)hash << 32 | (uint)(i + 1);
        }
    }
}
