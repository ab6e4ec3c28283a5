using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Transform;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>
/// The packed user dimension saved in the work area answers as the Parquet files do, is used only while those files
/// are the same versions, and a damaged cache is ignored.
/// </summary>
public sealed class UserDimensionCacheTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hw-users-cache-").FullName;
    private string Users => Path.Combine(_root, "users");
    private string Cache => Path.Combine(_root, "work", "cache", "users.hwusers");

    private static UserRecord User(long id, string country) =>
        new(id, country, id % 2 == 0 ? "retail" : null, id % 3 == 0 ? null : new DateTime(2020, 1, 1 + (int)(id % 28), 0, 0, 0, DateTimeKind.Utc));

    private async Task LandUsersAsync(string country, int count = 500)
    {
        Directory.CreateDirectory(Users);
        await using var s = File.Create(Path.Combine(Users, "users.parquet"));
        await UserDimension.WriteAsync(s, Enumerable.Range(1, count).Select(i => User(i, country)).ToList());
    }

    private Task<UserDimension> LoadAsync() => UserDimension.LoadAsync(new LocalFolderStore(Users), Cache);

    private static void AssertAnswers(UserDimension users, string country, int count = 500)
    {
        Assert.Equal(count, users.Count);
        for (var id = 0; id <= count + 1; id++)
        {
            var found = users.TryGet(id, out var u);
            Assert.Equal(id is >= 1 && id <= count, found);
            if (found) Assert.Equal(User(id, country), u);
        }
    }

    [Fact]
    public async Task A_load_saves_the_packed_dimension_and_the_next_load_answers_the_same_from_it()
    {
        await LandUsersAsync("DE");
        AssertAnswers(await LoadAsync(), "DE");
        Assert.True(File.Exists(Cache));

        // The same version of the file: the cache is what answers (reading the Parquet file would fail).
        var refusing = new Highwater.Tests.Support.FaultyStore(new LocalFolderStore(Users), (op, _) => op == "get");
        AssertAnswers(await UserDimension.LoadAsync(refusing, Cache), "DE");
        Assert.Equal(0, refusing.Failures);
    }

    [Fact]
    public async Task A_changed_dimension_file_is_read_again_and_the_cache_replaced()
    {
        await LandUsersAsync("DE");
        AssertAnswers(await LoadAsync(), "DE");
        var before = await File.ReadAllBytesAsync(Cache);

        await LandUsersAsync("FR");
        File.SetLastWriteTimeUtc(Path.Combine(Users, "users.parquet"), DateTime.UtcNow.AddMinutes(1));

        AssertAnswers(await LoadAsync(), "FR");
        Assert.NotEqual(before, await File.ReadAllBytesAsync(Cache));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    [InlineData(-9)]
    public async Task A_cut_or_damaged_cache_is_ignored(int keep)
    {
        await LandUsersAsync("DE");
        await LoadAsync();
        var bytes = await File.ReadAllBytesAsync(Cache);
        await File.WriteAllBytesAsync(Cache, bytes.AsSpan(0, keep >= 0 ? keep : bytes.Length + keep).ToArray());

        AssertAnswers(await LoadAsync(), "DE");
    }

    [Fact]
    public async Task A_dimension_that_is_not_packed_is_not_cached()
    {
        Directory.CreateDirectory(Users);
        await using (var s = File.Create(Path.Combine(Users, "users.parquet")))
            await UserDimension.WriteAsync(s, [User(1, "DE"), User(1_000_000_000_000, "FR")]); // sparse ids: a hash map

        var users = await LoadAsync();

        Assert.True(users.TryGet(1_000_000_000_000, out var u));
        Assert.Equal("FR", u.Country);
        Assert.False(File.Exists(Cache));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
