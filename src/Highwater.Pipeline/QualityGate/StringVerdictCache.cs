using System.Runtime.CompilerServices;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// Verdicts on a few string instances, found by reference: the rows of a dictionary-encoded column share its
/// entries' strings (<see cref="ColumnChunkDecoder"/>), so a check on such a column (a pattern on currency, accepted
/// channels) judges each distinct value of a row group once instead of hashing its characters on every row. Direct
/// mapped by the instance's identity hash; a slot holds its string alive, so an identity seen again is the same string.
/// </summary>
internal sealed class StringVerdictCache
{
    private const int Slots = 64; // a power of two; more than a low-cardinality column's values

    private readonly string?[] _values = new string?[Slots];
    private readonly bool[] _verdicts = new bool[Slots];

    public bool TryGet(string value, out bool verdict)
    {
        int slot = RuntimeHelpers.GetHashCode(value) & (Slots - 1);
        if (ReferenceEquals(_values[slot], value))
        {
            verdict = _verdicts[slot];
            return true;
        }

        verdict = false;
        return false;
    }

    public void Set(string value, bool verdict)
    {
        int slot = RuntimeHelpers.GetHashCode(value) & (Slots - 1);
        _values[slot] = value;
        _verdicts[slot] = verdict;
    }
}
