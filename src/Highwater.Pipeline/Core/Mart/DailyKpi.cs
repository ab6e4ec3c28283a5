using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// The daily KPI table for one dt partition: per country, segment and currency, the number of orders,
/// units, revenue (sum of total_price), distinct buyers and average order value (revenue / orders,
/// rounded half away from zero to 2 places). Null qty or total_price count as zero.
/// </summary>
public static class DailyKpi
{
    public static List<KpiRecord> Compute(IEnumerable<MartRecord> partition) =>
        Compute(partition is List<MartRecord> list ? CollectionsMarshal.AsSpan(list) : partition.ToArray());

    /// <summary>
    /// One pass over the rows: each row finds its group (a partition has a few hundred at most), adds to its sums
    /// and appends its user_id to the group's buyers; distinct buyers are counted at the end, group by group, in a set
    /// sized for the group's ids (see <see cref="Group.DistinctBuyers"/>).
    /// </summary>
    public static List<KpiRecord> Compute(ReadOnlySpan<MartRecord> rows)
    {
        var index = new Dictionary<GroupKey, int>(GroupKey.Comparer);
        var groups = new List<Group>();
        var byReference = new GroupsByReference();
        for (var i = 0; i < rows.Length; i++)
        {
            ref readonly var row = ref rows[i];
            if (!byReference.TryGet(row.Country, row.Segment, row.Currency, out var at))
            {
                ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(index, new GroupKey(row.Country, row.Segment, row.Currency), out var exists);
                if (!exists)
                {
                    slot = groups.Count;
                    groups.Add(new Group());
                }
                at = slot;
                byReference.Add(row.Country, row.Segment, row.Currency, at);
            }
            var g = groups[at];
            g.Orders++;
            g.Units += row.Qty ?? 0;
            g.Revenue += row.TotalPrice ?? 0m;
            g.Buyers.Add(row.UserId);
        }
        return index
            .OrderBy(g => g.Key.Country, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Segment, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Currency, StringComparer.Ordinal)
            .Select(g => Record(g.Key, groups[g.Value]))
            .ToList();
    }

    /// <summary>
    /// The same KPIs for a partition held as columns: a row finds its group by its three string ids (in a table indexed
    /// by them while the partition has few distinct values of each, as it does: codes from the user dimension and the
    /// events), and the groups are named and ordered by their strings at the end.
    /// </summary>
    internal static List<KpiRecord> Compute(PartitionColumns rows)
    {
        var (countries, segments, currencies) = (rows.CountryValues.Entries.Count + 1, rows.SegmentValues.Entries.Count + 1, rows.CurrencyValues.Entries.Count + 1);
        var groups = new List<Group>();
        var keys = new List<(int Country, int Segment, int Currency)>();
        // Ids are shifted by one so that null (-1) has a place; a slot holds its group + 1.
        var flat = (long)countries * segments * currencies <= 1 << 20 ? new int[countries * segments * currencies] : null;
        var sparse = flat is null ? new Dictionary<long, int>() : null;
        for (var i = 0; i < rows.Count; i++)
        {
            var (country, segment, currency) = (rows.Country[i], rows.Segment[i], rows.Currency[i]);
            var key = ((long)(country + 1) * segments + segment + 1) * currencies + currency + 1;
            ref var slot = ref flat is not null ? ref flat[key] : ref CollectionsMarshal.GetValueRefOrAddDefault(sparse!, key, out _);
            if (slot == 0)
            {
                groups.Add(new Group());
                keys.Add((country, segment, currency));
                slot = groups.Count;
            }
            var g = groups[slot - 1];
            g.Orders++;
            g.Units += rows.Qty[i] ?? 0;
            g.Revenue += rows.TotalPrice[i] ?? 0m;
            g.Buyers.Add(rows.UserId[i]);
        }
        string? Name(DistinctStrings values, int id) => PartitionColumns.Value(values, id);
        return keys.Select((k, i) => (Key: new GroupKey(Name(rows.CountryValues, k.Country), Name(rows.SegmentValues, k.Segment), Name(rows.CurrencyValues, k.Currency)), Totals: groups[i]))
            .OrderBy(g => g.Key.Country, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Segment, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Currency, StringComparer.Ordinal)
            .Select(g => Record(g.Key, g.Totals))
            .ToList();
    }

    private static KpiRecord Record(GroupKey key, Group totals) =>
        new(key.Country, key.Segment, key.Currency, totals.Orders, totals.Units, totals.Revenue, totals.DistinctBuyers(),
            decimal.Round(totals.Revenue / totals.Orders, Schemas.MoneyScale, MidpointRounding.AwayFromZero));

    private sealed class Group
    {
        public long Orders, Units;
        public decimal Revenue;
        public readonly List<long> Buyers = [];

        /// <summary>
        /// Counts the distinct user_ids with an open-addressing set sized for the group (at most half full, so it stays
        /// in cache). Sorting the ids instead cost more than the rest of the KPIs: under Native AOT a sort of longs goes
        /// through a comparer call per comparison.
        /// </summary>
        public long DistinctBuyers()
        {
            var ids = CollectionsMarshal.AsSpan(Buyers);
            var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, ids.Length * 2));
            var slots = System.Buffers.ArrayPool<long>.Shared.Rent(size);
            try
            {
                // long.MinValue marks an empty slot; a user_id of that value is counted on the side.
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

    /// <summary>
    /// Groups by the instances of their three strings: the values of a partition come from the user dimension and a
    /// string pool, so a few instances stand for each group and a row finds its group without hashing characters (the
    /// ordinal lookup by <see cref="GroupKey"/> runs once per new triple of instances, and decides the group). Open
    /// addressing with linear probing, at most half full; bounded, since unpooled strings would bring a triple per row.
    /// </summary>
    private sealed class GroupsByReference
    {
        private const int MaxEntries = 1 << 12;
        // A slot holds its group + 1: 0 marks an empty slot (a triple of nulls is a key like any other).
        private (string? Country, string? Segment, string? Currency, int GroupPlusOne)[] _slots = new (string?, string?, string?, int)[64];
        private int _count;

        public bool TryGet(string? country, string? segment, string? currency, out int group)
        {
            var mask = _slots.Length - 1;
            for (var at = Hash(country, segment, currency) & mask; _slots[at].GroupPlusOne != 0; at = (at + 1) & mask)
            {
                ref readonly var s = ref _slots[at];
                if (ReferenceEquals(s.Country, country) && ReferenceEquals(s.Segment, segment) && ReferenceEquals(s.Currency, currency))
                {
                    group = s.GroupPlusOne - 1;
                    return true;
                }
            }
            group = -1;
            return false;
        }

        /// <summary>Remembers a triple that <see cref="TryGet"/> did not find.</summary>
        public void Add(string? country, string? segment, string? currency, int group)
        {
            if (_count >= MaxEntries) return;
            if ((_count + 1) * 2 > _slots.Length)
            {
                var slots = _slots;
                (_slots, _count) = (new (string?, string?, string?, int)[slots.Length * 2], 0);
                foreach (var slot in slots)
                    if (slot.GroupPlusOne != 0) Insert(slot);
            }
            Insert((country, segment, currency, group + 1));
        }

        private void Insert((string? Country, string? Segment, string? Currency, int GroupPlusOne) entry)
        {
            var mask = _slots.Length - 1;
            var at = Hash(entry.Country, entry.Segment, entry.Currency) & mask;
            while (_slots[at].GroupPlusOne != 0) at = (at + 1) & mask;
            _slots[at] = entry;
            _count++;
        }

        private static int Hash(string? country, string? segment, string? currency) =>
            (int)((uint)(RuntimeHelpers.GetHashCode(country) * -1640531535 ^ RuntimeHelpers.GetHashCode(segment) * 40503
                        ^ RuntimeHelpers.GetHashCode(currency)) * 2654435769u >> 8);
    }

    /// <summary>A group's key; compared ordinally, hashed without per-process randomisation (the values are short codes).</summary>
    private readonly record struct GroupKey(string? Country, string? Segment, string? Currency)
    {
        public static readonly IEqualityComparer<GroupKey> Comparer = new OrdinalComparer();

        private sealed class OrdinalComparer : IEqualityComparer<GroupKey>
        {
            public bool Equals(GroupKey a, GroupKey b) =>
                string.Equals(a.Country, b.Country, StringComparison.Ordinal) && string.Equals(a.Segment, b.Segment, StringComparison.Ordinal)
                && string.Equals(a.Currency, b.Currency, StringComparison.Ordinal);

            public int GetHashCode(GroupKey k) => Mix(Mix(Mix(17, k.Country), k.Segment), k.Currency);

            private static int Mix(int hash, string? s)
            {
                if (s is null) return hash * 31 - 1;
                foreach (var c in s) hash = hash * 31 + c;
                return hash * 31 + s.Length;
            }
        }
    }
}
