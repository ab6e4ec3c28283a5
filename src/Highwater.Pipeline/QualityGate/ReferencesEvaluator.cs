using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

internal sealed class ReferencesEvaluator(ReferencesCheck check) : MembershipEvaluator(check, check.Column)
{
    public override async Task PrepareAsync(GateContext context, CancellationToken ct)
    {
        var resolve = context.ResolveDataset
            ?? throw new ConfigurationException($"check '{check.Name}' references dataset '{check.ReferencedDataset}' but GateContext.ResolveDataset is not set");
        var files = resolve(check.ReferencedDataset);
        foreach (var file in files)
            await DatasetReader.AddColumnKeysAsync(file, check.ReferencedColumn, Keys, ct);

        Detail = $"{check.Column} in {check.ReferencedDataset}.{check.ReferencedColumn} ({Keys.Count} keys in {files.Count} files)";
    }
}
