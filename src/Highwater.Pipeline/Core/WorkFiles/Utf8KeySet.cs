using System.Text;
using Highwater.Parquet;

namespace Highwater.Pipeline.Core.WorkFiles;

/// <summary>
/// A fixed set of strings asked about by their UTF-8 bytes, so a column held as UTF-8 (a block's plain strings) is
/// matched against it without making a string per value. A value whose length no member has is answered by one bit
/// test; the others by one hash of the bytes and a comparison with the members of that hash. Null members are ignored.
/// </summary>
internal sealed class Utf8KeySet
{
    private readonly Dictionary<ulong, byte[][]> _byHash = [];
    private readonly ulong[] _lengths = new ulong[4]; // bit n: a member is n bytes long (n < 256); longer ones always hash
    private bool _long;

    public Utf8KeySet(IEnumerable<string?> members)
    {
        foreach (var member in members)
        {
            if (member is null) continue;
            var utf8 = Encoding.UTF8.GetBytes(member);
            if (Contains(utf8)) continue;
            if (utf8.Length < 256) _lengths[utf8.Length >> 6] |= 1UL << (utf8.Length & 63);
            else _long = true;
            var hash = SeededHash.Of(utf8);
            _byHash[hash] = _byHash.TryGetValue(hash, out var same) ? [.. same, utf8] : [utf8];
            Count++;
        }
    }

    /// <summary>How many distinct members the set holds.</summary>
    public int Count { get; }

    public bool Contains(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length < 256 ? (_lengths[utf8.Length >> 6] & (1UL << (utf8.Length & 63))) == 0 : !_long) return false;
        if (!_byHash.TryGetValue(SeededHash.Of(utf8), out var members)) return false;
        foreach (var m in members)
            if (utf8.SequenceEqual(m)) return true;
        return false;
    }
}
