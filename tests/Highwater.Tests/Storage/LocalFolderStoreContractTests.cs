using Highwater.Storage;
using Xunit;

namespace Highwater.Tests.Storage;

/// <summary>The object store contract for <see cref="LocalFolderStore"/> over a fresh temporary folder.</summary>
public sealed class LocalFolderStoreContractTests : ObjectStoreContract
{
    protected override Task<IObjectStore> CreateEmptyStoreAsync() =>
        Task.FromResult<IObjectStore>(new LocalFolderStore(Directory.CreateTempSubdirectory("highwater-local-store-").FullName));

    protected override Task ReleaseStoreAsync(IObjectStore store)
    {
        Directory.Delete(((LocalFolderStore)store).Root, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>Listing order where folder walks and ordinal order disagree ('a-b' and 'a.txt' sort before 'a/').</summary>
public sealed class LocalFolderStoreOrderingTests
{
    [Fact]
    public async Task Names_continuing_with_characters_below_slash_sort_before_the_folder()
    {
        var root = Directory.CreateTempSubdirectory("highwater-local-order-").FullName;
        try
        {
            var store = new LocalFolderStore(root);
            string[] keys = ["a/x", "a-b.txt", "a.txt", "a/b.txt", "a/b/c", "a!"];
            foreach (var key in keys) await store.PutAsync(key, new MemoryStream([1]));

            var listed = await store.ListAsync("").Select(o => o.Key).ToListAsync();

            Assert.Equal(["a!", "a-b.txt", "a.txt", "a/b.txt", "a/b/c", "a/x"], listed);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
