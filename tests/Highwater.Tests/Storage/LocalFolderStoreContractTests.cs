using Highwater.Pipeline.Core.Storage;
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

/// <summary>
/// <see cref="LocalFolderStore.PutFileAsync"/> links a file on the warehouse's file system and copies one from another.
/// Writing into the source in place tells the two apart: a link shares the data, a copy does not.
/// </summary>
public sealed class LocalFolderStorePutFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("highwater-local-putfile-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_file_on_the_same_file_system_is_linked_not_copied()
    {
        // Writing in place (what no work-area writer may do after a publish) shows through: the data is shared.
        var (published, files) = await PutThenWriteInPlaceAsync(Path.Combine(_root, "work"));

        Assert.Equal("VERSION 1", published);
        Assert.Equal(["part-r1.parquet"], files);
    }

    /// <summary>
    /// Puts a file "version 1" from <paramref name="folder"/> into a warehouse, then overwrites its first bytes in place;
    /// returns what the warehouse object then holds and the files of its folder.
    /// </summary>
    private async Task<(string Published, string[] Files)> PutThenWriteInPlaceAsync(string folder)
    {
        var store = new LocalFolderStore(Path.Combine(_root, "warehouse"));
        var source = Path.Combine(folder, "part.parquet");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(source, "version 1");

        await store.PutFileAsync("gold/dt=2025-01-01/part-r1.parquet", source);
        await using (var inPlace = new FileStream(source, FileMode.Open, FileAccess.Write))
            await inPlace.WriteAsync("VERSION"u8.ToArray());

        var partition = Path.Combine(store.Root, "gold", "dt=2025-01-01");
        return (await File.ReadAllTextAsync(Path.Combine(partition, "part-r1.parquet")),
            Directory.GetFiles(partition).Select(f => Path.GetFileName(f)).ToArray());
    }

    /// <summary>
    /// Readers racing puts of two versions see one of them whole every time (local only: s3rver, the S3 stand-in of
    /// the tests, serves an object from a file it replaces on overwrite, so a read racing a put there can break off;
    /// S3 itself replaces an object whole, and the contract's failed-put test holds for both).
    /// </summary>
    [Fact]
    public async Task PutFile_is_atomic_for_readers()
    {
        var store = new LocalFolderStore(Path.Combine(_root, "warehouse"));
        var versions = new[] { new byte[200_003], new byte[350_011] };
        new Random(11).NextBytes(versions[0]);
        new Random(12).NextBytes(versions[1]);
        var sources = new string[2];
        for (var i = 0; i < 2; i++)
        {
            sources[i] = Path.Combine(_root, $"v{i}.bin");
            await File.WriteAllBytesAsync(sources[i], versions[i]);
        }
        await store.PutFileAsync("gold/atomic.bin", sources[0]);
        var done = false;
        var reads = 0;
        var reader = Task.Run(async () =>
        {
            while (!Volatile.Read(ref done) || reads < 3)
            {
                await using var s = await store.OpenReadAsync("gold/atomic.bin");
                using var copy = new MemoryStream();
                await s.CopyToAsync(copy);
                var bytes = copy.ToArray();
                Assert.True(bytes.AsSpan().SequenceEqual(versions[0]) || bytes.AsSpan().SequenceEqual(versions[1]),
                    $"read {bytes.Length} bytes that are neither version");
                reads++;
            }
        });

        for (var i = 1; i <= 40; i++) await store.PutFileAsync("gold/atomic.bin", sources[i % 2]);
        Volatile.Write(ref done, true);
        await reader;

        Assert.Equal(versions[0], await File.ReadAllBytesAsync(Path.Combine(store.Root, "gold", "atomic.bin")));
        Assert.Equal(["atomic.bin"], Directory.GetFiles(Path.Combine(store.Root, "gold")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Putting_the_same_file_twice_leaves_no_temporary_name_behind()
    {
        var store = new LocalFolderStore(Path.Combine(_root, "warehouse"));
        var source = Path.Combine(_root, "part.parquet");
        await File.WriteAllTextAsync(source, "data");

        await store.PutFileAsync("gold/part.parquet", source);
        await store.PutFileAsync("gold/part.parquet", source); // the target is already a name of the source

        Assert.Equal(["part.parquet"], Directory.GetFiles(Path.Combine(store.Root, "gold")).Select(Path.GetFileName));
        Assert.Equal("data", await File.ReadAllTextAsync(Path.Combine(store.Root, "gold", "part.parquet")));
    }

    [Fact]
    public async Task A_file_on_another_file_system_is_copied()
    {
        // /dev/shm is a tmpfs on Linux, another file system than the temporary folder: link() fails with EXDEV.
        Assert.True(Directory.Exists("/dev/shm"), "this test needs /dev/shm (a tmpfs) as a second file system");
        var elsewhere = Directory.CreateTempSubdirectory("highwater-putfile-").FullName;
        var shm = Path.Combine("/dev/shm", Path.GetFileName(elsewhere));
        Directory.Delete(elsewhere);
        Directory.CreateDirectory(shm);
        try
        {
            var (published, files) = await PutThenWriteInPlaceAsync(shm);

            Assert.Equal("version 1", published);
            Assert.Equal(["part-r1.parquet"], files);
        }
        finally
        {
            Directory.Delete(shm, recursive: true);
        }
    }
}
