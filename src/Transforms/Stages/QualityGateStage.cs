namespace Highwater.Stages;
// placeholder until the contracts engine lands (replaced in the next commit)
public static class QualityGateStage
{
    public static Task RunAsync(PipelineContext ctx, CancellationToken ct) => throw new NotImplementedException();
    public static void ValidateContracts(string dir, IStageLog log) => throw new NotImplementedException();
}
