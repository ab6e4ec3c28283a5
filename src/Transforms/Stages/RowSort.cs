using System.Runtime.InteropServices;
using Highwater.Model;

namespace Highwater.Stages;

/// <summary>
/// Sorts a list of wide rows by sorting their positions and moving each row once, in place: the sort swaps
/// 4-byte positions instead of 150-byte records and compares rows where they are, and no second copy of the rows is made.
/// </summary>
internal static class RowSort
{
    public delegate int Comparison(in MartRecord a, in MartRecord b);

    /// <summary>
    /// Sorts by a 64-bit key first (a primitive sort of key and position, no comparison calls), then orders each
    /// run of equal keys with <paramref name="tieBreak"/> and finally by position.
    /// </summary>
    public static void SortByKey(List<MartRecord> rows, Func<MartRecord, long> key, Comparison tieBreak)
    {
        var n = rows.Count;
        if (n < 2) return;
        var keys = new long[n];
        var order = new int[n];
        var span = CollectionsMarshal.AsSpan(rows);
        for (var i = 0; i < n; i++)
        {
            keys[i] = key(span[i]);
            order[i] = i;
        }
        Array.Sort(keys, order);
        var ties = Comparer<int>.Create((x, y) =>
        {
            var all = CollectionsMarshal.AsSpan(rows);
            var c = tieBreak(in all[x], in all[y]);
            return c != 0 ? c : x.CompareTo(y);
        });
        for (var from = 0; from < n;)
        {
            var to = from + 1;
            while (to < n && keys[to] == keys[from]) to++;
            if (to - from > 1) Array.Sort(order, from, to - from, ties);
            from = to;
        }
        Permute(CollectionsMarshal.AsSpan(rows), order);
    }

    /// <summary>
    /// Moves the row at <c>order[i]</c> to position i, in place, one cycle of the permutation at a time (each row
    /// is copied once; no second array of rows). <paramref name="order"/> is used up as the visited marks.
    /// </summary>
    internal static void Permute(Span<MartRecord> rows, int[] order)
    {
        for (var i = 0; i < rows.Length; i++)
        {
            if (order[i] < 0) continue;
            if (order[i] == i)
            {
                order[i] = ~i;
                continue;
            }
            var first = rows[i];
            var j = i;
            while (true)
            {
                var k = order[j];
                order[j] = ~k;
                if (k == i)
                {
                    rows[j] = first;
                    break;
                }
                rows[j] = rows[k];
                j = k;
            }
        }
    }
}
