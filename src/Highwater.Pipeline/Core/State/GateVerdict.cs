using System.Text.Json;
using System.Text.Json.Serialization;

namespace Highwater.Pipeline.Core.State;

/// <summary>
/// The quality gate's verdict on one batch, kept in the work area for PublishMart:
/// whether it passed, and the exact files to publish per partition (after any quarantine).
/// </summary>
public sealed class GateVerdict
{
    public string BatchId { get; set; } = "";
    public bool Passed { get; set; }
    public Dictionary<string, string?> MartFiles { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, string?> KpiFiles { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> MartRows { get; set; } = new(StringComparer.Ordinal);
    public long QuarantinedRows { get; set; }

    public static string PathIn(WorkArea work) => Path.Combine(work.GateDir, "verdict.json");

    public void Save(WorkArea work) =>
        WorkArea.WriteAtomically(PathIn(work), JsonSerializer.Serialize(this, VerdictJson.Default.GateVerdict));

    public static GateVerdict Load(WorkArea work)
    {
        var path = PathIn(work);
        if (!File.Exists(path))
            throw new PipelineStateException($"No quality gate verdict at {path}: run the QualityGate stage first.");
        return JsonSerializer.Deserialize(File.ReadAllText(path), VerdictJson.Default.GateVerdict)
               ?? throw new PipelineStateException($"{path} is empty: run the QualityGate stage again.");
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(GateVerdict))]
internal sealed partial class VerdictJson : JsonSerializerContext;
