using Highwater.Pipeline;
using Highwater.Pipeline.Core.Storage;
using Xunit;

namespace Highwater.Tests.Storage;

[Trait("Kind", "Integration")]
[Trait("Needs", "s3rver")]
[Collection(S3rverCollection.Name)]
public sealed class ObjectStoreFactoryTests(S3rverFixture server)
{
    [Fact]
    public void A_local_folder_opens_a_LocalFolderStore()
    {
        var folder = Path.Combine(Path.GetTempPath(), "highwater-factory");

        var store = ObjectStoreFactory.Open(StorageLocation.Parse(folder, "--landing"));

        Assert.Equal(Path.GetFullPath(folder), Assert.IsType<LocalFolderStore>(store).Root);
    }

    [Fact]
    public async Task An_s3_location_opens_an_S3ObjectStore_over_bucket_and_prefix()
    {
        var location = StorageLocation.Parse($"s3://{S3rverFixture.DefaultBucket}/factory/{Guid.NewGuid():N}/", "--warehouse");

        using var store = Assert.IsType<S3ObjectStore>(ObjectStoreFactory.Open(location, server.CreateOptions()));
        await store.PutAsync("x/y.txt", new MemoryStream([7]));

        Assert.Equal(S3rverFixture.DefaultBucket, store.Bucket);
        Assert.Equal(location.Path + "/", store.RootPrefix);
        Assert.StartsWith($"s3://{S3rverFixture.DefaultBucket}/{location.Path}", store.Description);
        Assert.Equal(["x/y.txt"], await store.ListAsync("").Select(o => o.Key).ToListAsync());
    }

    [Fact]
    public void Unusable_S3_options_are_a_configuration_error()
    {
        var location = StorageLocation.Parse("s3://some-bucket/p", "--landing");

        var e = Assert.Throws<ConfigurationException>(() =>
            ObjectStoreFactory.Open(location, new S3Options { ServiceUrl = new Uri("http://127.0.0.1:9"), ListPageSize = 0 }));

        Assert.Contains("page size", e.Message);
    }
}
