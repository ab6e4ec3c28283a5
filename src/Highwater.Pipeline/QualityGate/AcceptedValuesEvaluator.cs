using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

internal sealed class AcceptedValuesEvaluator : MembershipEvaluator
{
    public AcceptedValuesEvaluator(AcceptedValuesCheck check) : base(check, check.Column)
    {
        foreach (var v in check.Values) Keys.Add(v);
        Detail = "accepted: " + string.Join(", ", check.Values.Select(v => ContractValues.Render(v)));
    }

    /// <summary>
    /// A chunk whose every data page is dictionary-encoded, with every dictionary value accepted, passes: each row's value
    /// is one of them. (The accepted values are set in the constructor, so reading them from the read-ahead threads is
    /// safe; references load theirs later and get no such proof.)
    /// </summary>
    public override bool IsProvenBy(Func<string, ChunkStatistics?> statistics)
    {
        if (statistics(Column)?.DictionaryStrings() is not { } values) return false;
        foreach (var v in values)
            if (v is not null && !Keys.ContainsString(v)) return false;
        return true;
    }
}
