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

/// <summary>A listing with StartAfter does not enter folders whose keys all sort before it, and lists the same keys.</summary>
public sealed class LocalFolderStoreStartAfterTests
{
    [Theory]
    [InlineData("events/2026-01-01/", "events/2026-01-08", true)]
    [InlineData("events/2026-01-07/", "events/2026-01-08", true)]
    [InlineData("events/2026-01-08/", "events/2026-01-08", false)]  // the start folder itself: its keys sort after it
    [InlineData("events/2026-01-09/", "events/2026-01-08", false)]
    [InlineData("events/2026-01-08/", "events/2026-01-08/b.json", false)] // holds keys after b.json
    [InlineData("events/2026-01-0/", "events/2026-01-08", true)]    // '/' sorts before '8'
    [InlineData("events/2026-01-08-late/", "events/2026-01-08", false)]
    [InlineData("a/", "a-b", false)]                                  // '/' sorts after '-': a/… > a-b
    [InlineData("a-/", "a/", true)]
    [InlineData("events/", "events/2026-01-08", false)]              // a prefix of startAfter
    public void A_folder_is_skipped_only_when_every_key_in_it_sorts_at_or_before_start_after(string folder, string startAfter, bool skipped)
    {
        var every = new[] { "", "a", "zzz", "0", "~", "\u00e9" }.Select(rest => folder + rest);
        Assert.Equal(skipped, LocalFolderStore.AllKeysAtOrBefore(folder, startAfter));
        if (skipped) Assert.All(every, key => Assert.True(string.CompareOrdinal(key, startAfter) <= 0, key));
    }

    [Fact]
    public async Task Listing_after_every_key_and_folder_name_gives_the_keys_a_full_listing_would()
    {
        var root = Directory.CreateTempSubdirectory("highwater-local-after-").FullName;
        try
        {
            var store = new LocalFolderStore(root);
            string[] keys =
            [
                "events/2026-01-01/a.json", "events/2026-01-01/b.json", "events/2026-01-0/x.json", "events/2026-01-02/a.json",
                "events/2026-01-02/sub/deep.json", "events/2026-01-02-late/a.json", "events/2026-01-02.json", "events/2026-01-10/a.json",
                "events/2026-01-1/a.json", "events/a-b/c.json", "events/a/b.json", "events/a.txt", "other/2026-01-01/a.json",
            ];
            foreach (var key in keys) await store.PutAsync(key, new MemoryStream([1]));
            var full = await store.ListAsync("events/").Select(o => o.Key).ToListAsync();

            var starts = keys.Concat(keys.Select(k => k[..k.LastIndexOf('/')])).Concat(["events/", "events/2026-01-02/sub", "events/2026-01-015", "events/2026-01-0", ""]);
            foreach (var startAfter in starts.Distinct())
            {
                var listed = await store.ListAsync("events/", startAfter).Select(o => o.Key).ToListAsync();
                Assert.Equal(full.Where(k => string.CompareOrdinal(k, startAfter) > 0), listed);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
