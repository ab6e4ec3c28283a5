using Highwater.Pipeline.Core.Storage;
using Xunit;

namespace Highwater.Tests.Storage;

/// <summary>
/// The object store contract for <see cref="S3ObjectStore"/> against s3rver. Each test gets its own key
/// prefix in the shared bucket; a small list page size makes every listing of more than a few keys page.
/// </summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "s3rver")]
[Collection(S3rverCollection.Name)]
public sealed class S3ObjectStoreContractTests(S3rverFixture server) : ObjectStoreContract
{
    /// <summary>Keys per ListObjectsV2 page in these tests: small, so paging is always exercised.</summary>
    public const int PageSize = 100;

    protected override Task<IObjectStore> CreateEmptyStoreAsync() =>
        Task.FromResult<IObjectStore>(server.CreateStore($"contract/{Guid.NewGuid():N}", server.CreateOptions() with { ListPageSize = PageSize }));

    protected override Task ReleaseStoreAsync(IObjectStore store)
    {
        ((S3ObjectStore)store).Dispose();
        return Task.CompletedTask;
    }
}
