using System.Security.Cryptography;
using System.Text;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;
using Xunit;

namespace Highwater.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="IObjectStore"/> must have. Each concrete subclass supplies a fresh,
/// empty store per test; xunit runs every test here once per subclass.
/// </summary>
public abstract class ObjectStoreContract : IAsyncLifetime
{
    private IObjectStore? _store;

    /// <summary>The store under test; empty at the start of each test.</summary>
    protected IObjectStore Store => _store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    /// <summary>Creates a fresh, empty store.</summary>
    protected abstract Task<IObjectStore> CreateEmptyStoreAsync();

    /// <summary>Releases what <see cref="CreateEmptyStoreAsync"/> made.</summary>
    protected virtual Task ReleaseStoreAsync(IObjectStore store) => Task.CompletedTask;

    public async Task InitializeAsync() => _store = await CreateEmptyStoreAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null) await ReleaseStoreAsync(_store);
        if (_localFolder is not null && Directory.Exists(_localFolder)) Directory.Delete(_localFolder, recursive: true);
    }

    [Fact]
    public async Task Put_then_read_returns_the_same_bytes()
    {
        var bytes = Encoding.UTF8.GetBytes("id,amount\n1,10.5\n2,-3\n");
        await Store.PutAsync("landing/orders.csv", new MemoryStream(bytes));

        Assert.Equal(bytes, await ReadAllAsync("landing/orders.csv"));
    }

    [Fact]
    public async Task OpenReadFrom_reads_from_the_offset_to_the_end_and_nothing_before()
    {
        var content = GeneratedBytes(100_003, seed: 11);
        await Store.PutAsync("tail/blob.bin", new MemoryStream(content));

        foreach (var offset in new long[] { 0, 1, 99_000, 100_002 })
        {
            await using var read = await Store.OpenReadFromAsync("tail/blob.bin", offset);
            using var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(content[(int)offset..], copy.ToArray());
        }
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.OpenReadFromAsync("tail/missing.bin", 10));
    }

    [Fact]
    public async Task Put_from_a_non_seekable_stream_round_trips()
    {
        await Store.PutAsync("generated.bin", new GeneratedStream(100_003, seed: 7));

        Assert.Equal(GeneratedStream.HashOf(100_003, 7), SHA256.HashData(await ReadAllAsync("generated.bin")));
    }

    [Fact]
    public async Task Put_overwrites_an_existing_object()
    {
        await Store.PutAsync("state.json", Text("{\"v\":1}"));
        var first = await Store.HeadAsync("state.json");
        await Store.PutAsync("state.json", Text("{\"v\":2,\"more\":true}"));

        Assert.Equal("{\"v\":2,\"more\":true}", Encoding.UTF8.GetString(await ReadAllAsync("state.json")));
        var second = await Store.HeadAsync("state.json");
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal(19, second.Size);
    }

    [Fact]
    public async Task Empty_object_round_trips()
    {
        await Store.PutAsync("markers/_SUCCESS", new MemoryStream());

        var head = await Store.HeadAsync("markers/_SUCCESS");
        Assert.NotNull(head);
        Assert.Equal(0, head.Size);
        Assert.Empty(await ReadAllAsync("markers/_SUCCESS"));
        Assert.Equal(["markers/_SUCCESS"], await KeysAsync("markers/"));
    }

    [Fact]
    public async Task Head_describes_the_object()
    {
        var before = DateTimeOffset.UtcNow.AddMinutes(-5);
        await Store.PutAsync("a/b.txt", Text("hello"));

        var head = await Store.HeadAsync("a/b.txt");

        Assert.NotNull(head);
        Assert.Equal("a/b.txt", head.Key);
        Assert.Equal(5, head.Size);
        Assert.False(string.IsNullOrEmpty(head.ETag));
        Assert.InRange(head.LastModified, before, DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task Head_of_a_missing_key_is_null()
    {
        await Store.PutAsync("present.txt", Text("x"));

        Assert.Null(await Store.HeadAsync("absent.txt"));
        Assert.Null(await Store.HeadAsync("present.txt/child"));
    }

    [Fact]
    public async Task Opening_a_missing_key_throws_ObjectNotFoundException()
    {
        var e = await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.OpenReadAsync("nope/missing.csv"));
        Assert.Equal("nope/missing.csv", e.Key);
        Assert.Contains("nope/missing.csv", e.Message);
    }

    [Fact]
    public async Task List_returns_every_key_recursively_in_ordinal_order()
    {
        // Ordinal order: upper case before '_' before lower case; digits before letters; folders interleave by name.
        string[] keys = ["b.txt", "a/z.txt", "a0.txt", "A.txt", "a/b/c/d/e.txt", "a/c.txt", "_meta", "Z/1", "a/B"];
        foreach (var key in keys) await Store.PutAsync(key, Text(key));

        var listed = await Store.ListAsync("").ToListAsync();

        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), listed.Select(o => o.Key));
        Assert.All(listed, o => Assert.Equal(Encoding.UTF8.GetByteCount(o.Key), o.Size));
    }

    [Fact]
    public async Task List_filters_by_prefix_including_partial_names()
    {
        foreach (var key in (string[])["data/2024-01/x", "data/2024-02/y", "data/2025-01/z", "dataset/q", "other/r"])
            await Store.PutAsync(key, Text(key));

        Assert.Equal(["data/2024-01/x", "data/2024-02/y"], await KeysAsync("data/2024-"));
        Assert.Equal(["data/2024-01/x", "data/2024-02/y", "data/2025-01/z"], await KeysAsync("data/"));
        Assert.Equal(["data/2024-01/x", "data/2024-02/y", "data/2025-01/z", "dataset/q"], await KeysAsync("data"));
        Assert.Empty(await KeysAsync("missing/"));
    }

    [Fact]
    public async Task Nested_prefixes_holding_only_sub_folders_are_listed()
    {
        await Store.PutAsync("warehouse/orders/year=2024/month=01/part-0.parquet", Text("p0"));
        await Store.PutAsync("warehouse/orders/year=2024/month=02/part-0.parquet", Text("p1"));

        Assert.Equal(
            ["warehouse/orders/year=2024/month=01/part-0.parquet", "warehouse/orders/year=2024/month=02/part-0.parquet"],
            await KeysAsync("warehouse/"));
    }

    [Fact]
    public async Task StartAfter_returns_only_keys_ordinally_greater()
    {
        foreach (var key in (string[])["in/001", "in/002", "in/003", "in/010"]) await Store.PutAsync(key, Text(key));

        Assert.Equal(["in/003", "in/010"], await KeysAsync("in/", startAfter: "in/002"));
        Assert.Equal(["in/010"], await KeysAsync("in/", startAfter: "in/004"));
        Assert.Empty(await KeysAsync("in/", startAfter: "in/010"));
        Assert.Equal(["in/001", "in/002", "in/003", "in/010"], await KeysAsync("in/", startAfter: "in/"));
    }

    [Fact]
    public async Task Listing_pages_through_more_than_a_thousand_keys()
    {
        var keys = Enumerable.Range(0, 1_013).Select(i => $"many/{i:x4}-{(i * 7919) % 1013}").ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (key, ct) => await Store.PutAsync(key, Text("x"), ct));
        await Store.PutAsync("manz", Text("outside the prefix"));

        var listed = await KeysAsync("many/");
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), listed);

        var afterMiddle = await KeysAsync("many/", startAfter: keys[600]);
        Assert.Equal(keys.Where(k => string.CompareOrdinal(k, keys[600]) > 0).OrderBy(k => k, StringComparer.Ordinal), afterMiddle);
    }

    [Fact]
    public async Task Keys_keep_their_case_and_plain_objects_are_never_passed_over()
    {
        string[] keys = ["events/2026-01-25/UPPER.JSON", "events/2026-01-25/a.json.GZ", "events/2026-01-25/x.Json", "events/2026-01-25/_SUCCESS"];
        foreach (var key in keys) await Store.PutAsync(key, Text(key));

        var unlisted = new List<UnlistedEntry>();
        var listed = await Store.ListAsync("events/", null, default, unlisted).Select(o => o.Key).ToListAsync();

        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), listed);
        Assert.Empty(unlisted);
        Assert.NotNull(await Store.HeadAsync("events/2026-01-25/UPPER.JSON"));
    }

    [Fact]
    public async Task A_rewrite_of_the_same_size_is_a_new_version()
    {
        await Store.PutAsync("events/2026-01-25/a.json", Text("{\"qty\":1}"));
        var first = await Store.HeadAsync("events/2026-01-25/a.json");
        await Task.Delay(20); // past the file system's timestamp granularity
        await Store.PutAsync("events/2026-01-25/a.json", Text("{\"qty\":4}"));
        var second = await Store.HeadAsync("events/2026-01-25/a.json");

        Assert.Equal(first!.Size, second!.Size);
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.False(FileVersion.Matches(first.ETag, first.Size, second));
        Assert.True(FileVersion.Matches(second.ETag, second.Size, second));
    }

    [Fact]
    public async Task Delete_removes_the_object()
    {
        await Store.PutAsync("tmp/a.txt", Text("a"));
        await Store.PutAsync("tmp/b.txt", Text("b"));

        await Store.DeleteAsync("tmp/a.txt");

        Assert.Null(await Store.HeadAsync("tmp/a.txt"));
        Assert.Equal(["tmp/b.txt"], await KeysAsync("tmp/"));
    }

    [Fact]
    public async Task Deleting_a_missing_key_is_not_an_error()
    {
        await Store.DeleteAsync("never/was.txt");
        await Store.PutAsync("once.txt", Text("1"));
        await Store.DeleteAsync("once.txt");
        await Store.DeleteAsync("once.txt");

        Assert.Empty(await KeysAsync(""));
    }

    [Fact]
    public async Task PutIfAbsent_creates_once_and_then_refuses()
    {
        Assert.True(await Store.PutIfAbsentAsync("locks/run.lock", Text("owner-1")));
        Assert.False(await Store.PutIfAbsentAsync("locks/run.lock", Text("owner-2 with a longer body")));

        Assert.Equal("owner-1", Encoding.UTF8.GetString(await ReadAllAsync("locks/run.lock")));
        Assert.Equal(["locks/run.lock"], await KeysAsync("locks/"));
    }

    [Theory]
    [InlineData("with space/file name.csv")]
    [InlineData("unicode/ñandú/日本語 ファイル.txt")]
    [InlineData("emoji/😀-data.json")]
    [InlineData("reserved/€+%#&=?.bin")]
    [InlineData("reserved/a+b=c&d#e?f%20g;h,i@j:k$l!.txt")]
    public async Task Keys_with_spaces_unicode_and_reserved_characters_round_trip(string key)
    {
        var bytes = Encoding.UTF8.GetBytes("content of " + key);
        await Store.PutAsync(key, new MemoryStream(bytes));

        Assert.Equal(bytes, await ReadAllAsync(key));
        var head = await Store.HeadAsync(key);
        Assert.NotNull(head);
        Assert.Equal(key, head.Key);
        Assert.Equal(bytes.Length, head.Size);
        var prefix = key[..(key.IndexOf('/') + 1)];
        Assert.Equal([key], await KeysAsync(prefix));
        Assert.True(await Store.PutIfAbsentAsync(key + ".lock", Text("l")));
        Assert.False(await Store.PutIfAbsentAsync(key + ".lock", Text("l")));
        await Store.DeleteAsync(key);
        Assert.Null(await Store.HeadAsync(key));
    }

    [Fact]
    public async Task A_large_object_streams_in_and_out()
    {
        const long size = 20L * 1024 * 1024 + 12_345;
        await Store.PutAsync("big/blob.bin", new GeneratedStream(size, seed: 42));

        var head = await Store.HeadAsync("big/blob.bin");
        Assert.NotNull(head);
        Assert.Equal(size, head.Size);

        await using var read = await Store.OpenReadAsync("big/blob.bin");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81_920];
        long total = 0;
        int n;
        while ((n = await read.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            total += n;
        }
        Assert.Equal(size, total);
        Assert.Equal(GeneratedStream.HashOf(size, 42), hash.GetHashAndReset());
    }

    [Fact]
    public async Task PutFile_round_trips_a_local_file()
    {
        var source = LocalFile("part.parquet", GeneratedBytes(300_007, seed: 3));

        await Store.PutFileAsync("gold/sales_mart/dt=2025-01-01/part-r1-00000.parquet", source);

        Assert.Equal(await File.ReadAllBytesAsync(source), await ReadAllAsync("gold/sales_mart/dt=2025-01-01/part-r1-00000.parquet"));
        var head = await Store.HeadAsync("gold/sales_mart/dt=2025-01-01/part-r1-00000.parquet");
        Assert.NotNull(head);
        Assert.Equal(300_007, head.Size);
        Assert.Equal(["gold/sales_mart/dt=2025-01-01/part-r1-00000.parquet"], await KeysAsync("gold/"));
    }

    [Fact]
    public async Task PutFile_overwrites_an_existing_object()
    {
        await Store.PutAsync("quarantine/run=r1/extract.ndjson", Text("old line\n"));
        var first = await Store.HeadAsync("quarantine/run=r1/extract.ndjson");

        await Store.PutFileAsync("quarantine/run=r1/extract.ndjson", LocalFile("extract.ndjson", Encoding.UTF8.GetBytes("new line, longer\n")));

        Assert.Equal("new line, longer\n", Encoding.UTF8.GetString(await ReadAllAsync("quarantine/run=r1/extract.ndjson")));
        var second = await Store.HeadAsync("quarantine/run=r1/extract.ndjson");
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal(["quarantine/run=r1/extract.ndjson"], await KeysAsync("quarantine/"));
    }

    [Fact]
    public async Task PutFile_of_a_missing_file_fails_and_leaves_no_object()
    {
        var missing = Path.Combine(LocalFolder, "not-there.parquet");

        await Assert.ThrowsAnyAsync<IOException>(() => Store.PutFileAsync("gold/x/part.parquet", missing));

        Assert.Null(await Store.HeadAsync("gold/x/part.parquet"));
        Assert.Empty(await KeysAsync("gold/"));
    }

    [Fact]
    public async Task PutFile_of_the_same_file_twice_leaves_one_object()
    {
        var content = GeneratedBytes(70_001, seed: 8);
        var source = LocalFile("part.hwidx", content);

        await Store.PutFileAsync("_highwater/order-index/bucket=07/part-r1-00000.hwidx", source);
        await Store.PutFileAsync("_highwater/order-index/bucket=07/part-r1-00000.hwidx", source);

        Assert.Equal(content, await ReadAllAsync("_highwater/order-index/bucket=07/part-r1-00000.hwidx"));
        Assert.Equal(["_highwater/order-index/bucket=07/part-r1-00000.hwidx"], await KeysAsync("_highwater/"));
    }

    [Fact]
    public async Task PutFile_that_fails_leaves_the_previous_object_whole()
    {
        var content = GeneratedBytes(150_001, seed: 9);
        await Store.PutFileAsync("gold/dt=2025-01-01/part.parquet", LocalFile("v1.parquet", content));

        await Assert.ThrowsAnyAsync<IOException>(() => Store.PutFileAsync("gold/dt=2025-01-01/part.parquet", Path.Combine(LocalFolder, "gone.parquet")));

        Assert.Equal(content, await ReadAllAsync("gold/dt=2025-01-01/part.parquet"));
        Assert.Equal(["gold/dt=2025-01-01/part.parquet"], await KeysAsync("gold/"));
    }

    [Fact]
    public async Task PutFile_object_keeps_its_content_when_the_file_is_deleted_or_replaced()
    {
        var content = GeneratedBytes(120_001, seed: 5);
        var source = LocalFile("out/part.parquet", content);
        await Store.PutFileAsync("gold/a/part-r1.parquet", source);
        await Store.PutFileAsync("gold/b/part-r1.parquet", source);

        // What the next run does to the work area: a new file at the same path (WorkArea.CreateFile), or no file at all.
        await using (var fresh = WorkArea.CreateFile(source))
            await fresh.WriteAsync(GeneratedBytes(90_000, seed: 6));
        Assert.Equal(content, await ReadAllAsync("gold/a/part-r1.parquet"));
        File.Delete(source);

        Assert.Equal(content, await ReadAllAsync("gold/a/part-r1.parquet"));
        Assert.Equal(content, await ReadAllAsync("gold/b/part-r1.parquet"));
    }

    /// <summary>A scratch folder for local source files, beside the store's data where the store is local.</summary>
    protected virtual string LocalFolder => _localFolder ??= Directory.CreateTempSubdirectory("highwater-contract-files-").FullName;

    private string? _localFolder;

    protected string LocalFile(string name, byte[] content)
    {
        var path = Path.Combine(LocalFolder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    protected static byte[] GeneratedBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected static MemoryStream Text(string s) => new(Encoding.UTF8.GetBytes(s));

    protected async Task<byte[]> ReadAllAsync(string key)
    {
        await using var s = await Store.OpenReadAsync(key);
        using var copy = new MemoryStream();
        await s.CopyToAsync(copy);
        return copy.ToArray();
    }

    protected async Task<List<string>> KeysAsync(string prefix, string? startAfter = null) =>
        (await Store.ListAsync(prefix, startAfter).ToListAsync()).Select(o => o.Key).ToList();
}
