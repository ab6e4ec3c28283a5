using System.Buffers;
using System.Runtime.InteropServices;
using Highwater.Pipeline.Core.Schema;

namespace Highwater.Pipeline.Transform;

/// <summary>
/// Orders wide rows by sorting small entries (a key, a tie-break prefix and a position each) instead of the rows: the
/// rows are then written through the order, never moved.
/// </summary>
internal static class RowSort
{
    /// <summary>
    /// The order of rows given as entries (a key, a prefix and a position each), with <paramref name="tieBreak"/> between
    /// positions whose key and prefix are equal, then by position: <c>order[i]</c> is the position of the i-th row. The
    /// entries are sorted in place. Rows with equal keys are common (a day of events has several a second), so each entry
    /// also carries the first bytes of the tie-break's leading string (see <see cref="OrdinalPrefix"/>): most ties are
    /// settled by comparing two integers, and <paramref name="tieBreak"/> runs only when those are equal too.
    /// </summary>
    public static void Order<TTieBreak>(Span<Entry> entries, TTieBreak tieBreak, Span<int> order) where TTieBreak : struct, ITieBreak
    {
        if (order.Length != entries.Length) throw new ArgumentException($"the order holds {order.Length} positions for {entries.Length} rows", nameof(order));
        SortEntries(entries, new EntryOrder<TTieBreak>(tieBreak));
        for (var i = 0; i < entries.Length; i++) order[i] = entries[i].Position;
    }

    /// <summary>A row to sort: its key, the prefix of its tie-break string and its position.</summary>
    public readonly record struct Entry(long Key, OrdinalPrefix Prefix, int Position);

    /// <summary>Compares the rows at two positions whose keys and prefixes are equal.</summary>
    public interface ITieBreak
    {
        int Compare(int x, int y);
    }

    /// <summary>
    /// Sorts the entries: distributed first into about one bucket per entry by the high bits of their key's offset from
    /// the smallest key (a day's event times spread evenly), then each bucket sorted on its own, so the comparison sort
    /// only ever sees a few entries at a time. Keys all in a few buckets still sort correctly, only more slowly.
    /// </summary>
    private static void SortEntries<TOrder>(Span<Entry> entries, TOrder order) where TOrder : struct, IComparer<Entry>
    {
        var n = entries.Length;
        long min = long.MaxValue, max = long.MinValue;
        foreach (var e in entries)
        {
            if (e.Key < min) min = e.Key;
            if (e.Key > max) max = e.Key;
        }
        if (n < 256 || min == max)
        {
            entries.Sort(order);
            return;
        }
        var bucketBits = System.Numerics.BitOperations.Log2((uint)n);               // 2^bucketBits <= n buckets
        var spanBits = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(max - min)); // bits of the largest offset
        var shift = Math.Max(0, spanBits - bucketBits);
        var buckets = 1 << Math.Min(bucketBits, spanBits);
        var starts = ArrayPool<int>.Shared.Rent(buckets + 1);
        var sorted = ArrayPool<Entry>.Shared.Rent(n);
        try
        {
            Array.Clear(starts, 0, buckets + 1);
            foreach (var e in entries) starts[(int)((ulong)(e.Key - min) >> shift) + 1]++;
            for (var b = 0; b < buckets; b++) starts[b + 1] += starts[b];
            foreach (var e in entries) sorted[starts[(int)((ulong)(e.Key - min) >> shift)]++] = e;
            // starts[b] is now the end of bucket b (the start of b + 1).
            var from = 0;
            for (var b = 0; b < buckets; b++)
            {
                var to = starts[b];
                if (to - from > SmallBucket) sorted.AsSpan(from, to - from).Sort(order);
                else if (to - from > 1) InsertionSort(sorted.AsSpan(from, to - from), order);
                from = to;
            }
            sorted.AsSpan(0, n).CopyTo(entries);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(starts);
            ArrayPool<Entry>.Shared.Return(sorted);
        }
    }

    /// <summary>Buckets up to this size (nearly all: about one entry per bucket) are sorted here, without a comparer call per step.</summary>
    private const int SmallBucket = 16;

    private static void InsertionSort<TOrder>(Span<Entry> entries, TOrder order) where TOrder : struct, IComparer<Entry>
    {
        for (var i = 1; i < entries.Length; i++)
        {
            var e = entries[i];
            var j = i - 1;
            while (j >= 0 && order.Compare(entries[j], e) > 0)
            {
                entries[j + 1] = entries[j];
                j--;
            }
            entries[j + 1] = e;
        }
    }

    private readonly struct EntryOrder<TTieBreak>(TTieBreak tieBreak) : IComparer<Entry> where TTieBreak : struct, ITieBreak
    {
        public int Compare(Entry x, Entry y)
        {
            var c = x.Key.CompareTo(y.Key);
            if (c != 0) return c;
            c = x.Prefix.CompareTo(y.Prefix);
            if (c != 0) return c;
            c = tieBreak.Compare(x.Position, y.Position);
            return c != 0 ? c : x.Position.CompareTo(y.Position);
        }
    }
}

/// <summary>
/// The first eight UTF-16 units of a string packed into two integers, so that comparing two prefixes never
/// contradicts <see cref="string.CompareOrdinal(string, string)"/>: when one prefix is less, so is its string; when
/// they are equal the strings may still differ (one is longer, or they differ after the eighth unit), and the
/// caller must compare the strings. A null string and the empty string both pack to zero.
/// </summary>
internal readonly record struct OrdinalPrefix(ulong High, ulong Low) : IComparable<OrdinalPrefix>
{
    public static OrdinalPrefix Of(string? s)
    {
        if (s is null) return default;
        ulong high = 0, low = 0;
        for (var i = 0; i < 4; i++) high = high << 16 | (i < s.Length ? s[i] : 0u);
        for (var i = 4; i < 8; i++) low = low << 16 | (i < s.Length ? s[i] : 0u);
        return new OrdinalPrefix(high, low);
    }

    public int CompareTo(OrdinalPrefix other)
    {
        var c = High.CompareTo(other.High);
        return c != 0 ? c : Low.CompareTo(other.Low);
    }
}
