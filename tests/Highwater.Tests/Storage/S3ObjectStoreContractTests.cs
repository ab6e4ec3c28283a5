using Highwater.Storage;
using Xunit;

namespace Highwater.Tests.Storage;

/// <summary>
/// The object store contract for <see cref="S3ObjectStore"/> against s3rver. Each test gets its own key
/// prefix in the shared bucket; a small list page size makes every listing of more than a few keys page.
/// </summary>
[Collection(S3rverCollection.Name)]
public sealed class S3ObjectStoreContractTests(S3rverFixture server) : ObjectStoreContract
{
    /// <summary>Keys per ListObjectsV2 page in these tests: small, so paging is always exercised.</summary>
    public const int PageSize = 100;

    protected override Task<IObjectStore> CreateEmptyStoreAsync() =>
        Task.FromResult<IObjectStore>(server.CreateStore($"contract/{Guid.NewGuid():N}", server.CreateOptions() with { ListPageSize = PageSize }));

    /// <summary>
    /// s3rver streams an object from a file it replaces on overwrite, so a read racing a put can get a body mixing both
    /// versions (AWS S3 never serves one); the SDK then refuses it by its MD5/CRC check, which is what this accepts.
    /// </summary>
    protected override bool IsRefusedTornRead(Exception e) =>
        e is Amazon.Runtime.AmazonClientException && e.Message.Contains("hash", StringComparison.OrdinalIgnoreCase);

    protected override Task ReleaseStoreAsync(IObjectStore store)
    {
        ((S3ObjectStore)store).Dispose();
        return Task.CompletedTask;
    }
}
