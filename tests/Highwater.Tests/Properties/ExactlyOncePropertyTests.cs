using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Storage;
using Xunit;

namespace Highwater.Tests.Properties;

/// <summary>250 random steps (5 seeds × 50) on local folders (see <see cref="ExactlyOnceProperty"/>).</summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "s3rver")]
public sealed class ExactlyOncePropertyTests
{
    [Fact]
    public async Task Local_mart_equals_a_full_recompute_after_every_step_and_every_crash()
    {
        foreach (var seed in ExactlyOnceProperty.Seeds(11, 22, 33, 44, 55))
            await ExactlyOnceProperty.CheckAsync(seed, steps: 50, h => new LocalFolderStore(h.WarehouseRoot));
    }
}

/// <summary>The same property with the warehouse on S3 (s3rver), fewer steps.</summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "s3rver")]
[Collection(S3rverCollection.Name)]
public sealed class ExactlyOncePropertyS3Tests(S3rverFixture server)
{
    [Fact]
    public async Task S3_mart_equals_a_full_recompute_after_every_step_and_every_crash()
    {
        foreach (var seed in ExactlyOnceProperty.Seeds(7))
            await ExactlyOnceProperty.CheckAsync(seed, steps: 25, _ => server.CreateStore($"property/{Guid.NewGuid():N}"));
    }
}
