using Highwater.Tests.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.WarehouseState;

/// <summary>The warehouse-state cases where the store matters, with the warehouse on S3 (s3rver).</summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "s3rver")]
[Collection(S3rverCollection.Name)]
public sealed class WarehouseStateS3Tests(S3rverFixture server) : IDisposable
{
    private readonly PipelineHarness _h = new();

    [Fact]
    public async Task S3_a_crash_after_the_commit_is_finished_by_the_next_run_with_nothing_new()
    {
        _h.DefaultWarehouse = server.CreateStore($"state/{Guid.NewGuid():N}");
        await WarehouseStateScenarios.CrashAfterCommitIsFinishedWithNothingNewAsync(_h);
    }

    [Fact]
    public async Task S3_a_crash_before_the_commit_is_finished_by_the_next_writing_command()
    {
        _h.DefaultWarehouse = server.CreateStore($"state/{Guid.NewGuid():N}");
        await WarehouseStateScenarios.CrashBeforeCommitIsFinishedAsync(_h);
    }

    [Fact]
    public async Task S3_losing_a_publish_race_says_run_again()
    {
        await WarehouseStateScenarios.LosingAPublishRaceSaysRunAgainAsync(_h, server.CreateStore($"state/{Guid.NewGuid():N}"));
    }

    [Fact]
    public async Task S3_a_retried_lease_put_recognises_its_own_lease()
    {
        await WarehouseStateScenarios.RetriedLeasePutRecognisesItsOwnLeaseAsync(server.CreateStore($"state/{Guid.NewGuid():N}"));
    }

    public void Dispose() => _h.Dispose();
}
