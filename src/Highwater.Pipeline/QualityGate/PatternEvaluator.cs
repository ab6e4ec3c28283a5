using System.Text.RegularExpressions;
using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

internal sealed class PatternEvaluator : CheckEvaluator
{
    /// <summary>Distinct values whose verdict is remembered; beyond it the regex runs for each new value.</summary>
    public const int DefaultMemoCapacity = 4096;

    private readonly PatternCheck _check;
    private readonly Dictionary<string, bool> _memo = new(StringComparer.Ordinal);
    private readonly StringVerdictCache _verdicts = new();
    private readonly int _memoCapacity;

    public PatternEvaluator(PatternCheck check, int memoCapacity = DefaultMemoCapacity) : base(check)
    {
        _check = check;
        _memoCapacity = memoCapacity;
        Detail = $"{check.Column} matches {check.Regex}";
    }

    /// <summary>How many verdicts are remembered (at most the capacity).</summary>
    internal int MemoCount => _memo.Count;

    /// <summary>
    /// A chunk whose every data page is dictionary-encoded, with every dictionary value matching, passes: each row's value
    /// is one of them. Matched here without the memo (this runs on the read-ahead threads; a Regex matches from any
    /// thread); a value whose match times out proves nothing.
    /// </summary>
    public override bool IsProvenBy(Func<string, ChunkStatistics?> statistics)
    {
        if (statistics(_check.Column)?.DictionaryStrings() is not { } values) return false;
        try
        {
            foreach (var v in values)
                if (v is not null && !_check.Regex.IsMatch(v)) return false;
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }

        return true;
    }

    protected override void Scan(RowBatch batch, bool[]? keep, List<int> failing)
    {
        var c = batch.Column(_check.Column);
        if (c.Kind != CellKind.String)
        {
            // Only strings are matched; other values pass.
            if (c.Kind == CellKind.Other)
                for (int r = 0; r < c.Length; r++)
                    if (Active(keep, r) && c.Value(r) is string o && !Matches(o)) failing.Add(r);
            return;
        }

        var s = c.Strings;
        string? last = null;
        bool lastOk = true;
        for (int r = 0; r < s.Length; r++)
        {
            if (s[r] is not { } v || !Active(keep, r)) continue;
            if (!ReferenceEquals(v, last))
            {
                last = v;
                if (!_verdicts.TryGet(v, out lastOk))
                {
                    lastOk = Matches(v);
                    _verdicts.Set(v, lastOk);
                }
            }

            if (!lastOk) failing.Add(r);
        }
    }

    private bool Matches(string value)
    {
        if (_memo.TryGetValue(value, out bool ok)) return ok;
        try
        {
            ok = _check.Regex.IsMatch(value);
        }
        catch (RegexMatchTimeoutException e)
        {
            // A timeout says nothing about the value: it is neither a pass nor a failing row.
            throw new DataException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"check '{_check.Name}': pattern '{_check.Regex}' timed out after {e.MatchTimeout.TotalSeconds:0.###} s on a {_check.Column} value of {value.Length:N0} characters; the gate cannot decide it"), e);
        }

        if (_memo.Count < _memoCapacity) _memo[value] = ok;
        return ok;
    }

    public override string Offending(RowBatch batch, int row) => $"{_check.Column}={batch.RenderValue(_check.Column, row)}";
}
