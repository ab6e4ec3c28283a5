using System.Runtime.InteropServices;
using Highwater.Model;

namespace Highwater.Stages;

/// <summary>
/// Sorts a list of wide rows by sorting their positions and moving each row once: a comparison sort that swaps
/// 4-byte positions instead of 100-byte records, and compares rows in place instead of copying them.
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
        var source = rows.ToArray();
        var keys = new long[n];
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            keys[i] = key(source[i]);
            order[i] = i;
        }
        Array.Sort(keys, order);
        var ties = Comparer<int>.Create((x, y) =>
        {
            var c = tieBreak(in source[x], in source[y]);
            return c != 0 ? c : x.CompareTo(y);
        });
        for (var from = 0; from < n;)
        {
            var to = from + 1;
            while (to < n && keys[to] == keys[from]) to++;
            if (to - from > 1) Array.Sort(order, from, to - from, ties);
            from = to;
        }
        var span = CollectionsMarshal.AsSpan(rows);
        for (var i = 0; i < n; i++) span[i] = source[order[i]];
    }
}
