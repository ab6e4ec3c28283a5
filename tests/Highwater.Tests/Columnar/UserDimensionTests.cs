using Highwater.Pipeline;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Transform;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>The user index answers the same for dense and sparse ids, and refuses a duplicate id.</summary>
public sealed class UserDimensionTests
{
    private static UserRecord User(long id, string? country = "DE") =>
        new(id, country, id % 2 == 0 ? "retail" : null, id % 3 == 0 ? null : new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    public static TheoryData<long[]> IdSets => new()
    {
        { new long[] { 3, 4, 5, 7, 8, 10 } },                        // dense, with gaps: an array index
        { new long[] { -5, 1, 1_000_000_000_000, long.MaxValue } },  // sparse: the hash map
        { new long[] { long.MinValue, long.MinValue + 1 } },
    };

    [Theory]
    [MemberData(nameof(IdSets))]
    public void Every_user_is_found_and_nothing_else(long[] ids)
    {
        var users = UserDimension.FromRows(ids.Select(id => User(id)));

        Assert.Equal(ids.Length, users.Count);
        foreach (var id in ids)
        {
            Assert.True(users.TryGet(id, out var u), $"user {id} not found");
            Assert.Equal(User(id), u);
        }
        foreach (var missing in new[] { 0L, 6, 9, 11, 2, -4, long.MaxValue - 1, long.MinValue + 2, 999_999_999_999 }.Except(ids))
            Assert.False(users.TryGet(missing, out _), $"user {missing} should not be found");
    }

    [Fact]
    public void Dense_ids_with_too_many_distinct_strings_or_a_time_of_day_are_still_found_exactly()
    {
        // More distinct countries than a packed 16-bit code holds: the index keeps rows instead of packed words.
        var many = Enumerable.Range(1, 70_000).Select(i => new UserRecord(i, $"C{i}", "s", null)).ToList();
        var users = UserDimension.FromRows(many);
        foreach (var i in new[] { 1, 65_535, 65_536, 70_000 })
        {
            Assert.True(users.TryGet(i, out var u));
            Assert.Equal(many[i - 1], u);
        }
        Assert.False(users.TryGet(70_001, out _));

        // A signup that is not a UTC date cannot be packed as a day number: kept as it is.
        var odd = new UserRecord(2, "DE", null, new DateTime(2020, 1, 1, 13, 30, 0, DateTimeKind.Utc));
        var few = UserDimension.FromRows([User(1), odd, User(3)]);
        Assert.True(few.TryGet(2, out var back));
        Assert.Equal(odd, back);
        Assert.True(few.TryGet(3, out var three));
        Assert.Equal(User(3), three);
    }

    [Theory]
    [InlineData(new long[] { 1, 2, 1 }, false)]                          // dense and packed
    [InlineData(new long[] { 1, 2, 1 }, true)]                           // dense, kept as rows (a signup with a time of day)
    [InlineData(new long[] { -5, 1_000_000_000_000, 7, -5 }, false)]     // sparse: the hash map
    public void A_duplicate_user_id_is_refused(long[] ids, bool timeOfDay)
    {
        var rows = ids.Select((id, i) => timeOfDay && i == 0 ? new UserRecord(id, "DE", null, new DateTime(2020, 1, 1, 13, 0, 0, DateTimeKind.Utc)) : User(id));

        var e = Assert.Throws<ArgumentException>(() => UserDimension.FromRows(rows));

        Assert.Contains($"user_id {ids[^1]} appears more than once", e.Message);
    }

    [Fact]
    public async Task A_duplicate_across_files_is_refused_naming_the_file_it_appears_in_again()
    {
        var dir = Directory.CreateTempSubdirectory("hw-users-").FullName;
        try
        {
            await using (var f = File.Create(Path.Combine(dir, "a.parquet"))) await UserDimension.WriteAsync(f, [User(1), User(2), User(3)]);
            await using (var f = File.Create(Path.Combine(dir, "b.parquet"))) await UserDimension.WriteAsync(f, [User(4), User(2, "FR")]);

            var e = await Assert.ThrowsAsync<DataException>(() => UserDimension.LoadAsync(new LocalFolderStore(dir)));

            Assert.Contains("b.parquet: user_id 2 appears more than once", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Repeated_country_and_segment_values_are_held_once()
    {
        var users = UserDimension.FromRows(Enumerable.Range(1, 100).Select(i => User(i, new string('D', 1) + "E")));
        users.TryGet(1, out var a);
        users.TryGet(99, out var b);
        Assert.Same(a.Country, b.Country);
    }

    [Fact]
    public async Task A_local_dimension_file_decoded_directly_answers_as_its_rows()
    {
        // A local file's column chunks are decoded without Parquet.Net where the decoder knows them: nulls in every
        // nullable column, a dictionary string column (segment), a plain one (country: most values distinct), dates.
        var dir = Directory.CreateTempSubdirectory("hw-users-").FullName;
        try
        {
            var rows = Enumerable.Range(1, 5000).Select(i => new UserRecord(i * 7L,
                i % 11 == 0 ? null : $"C-{i}", i % 13 == 0 ? null : (i % 3) switch { 0 => "retail", 1 => "smb", _ => "enterprise" },
                i % 17 == 0 ? null : new DateTime(1990, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(i))).ToList();
            await using (var f = File.Create(Path.Combine(dir, "users.parquet"))) await UserDimension.WriteAsync(f, rows);

            var users = await UserDimension.LoadAsync(new LocalFolderStore(dir));

            Assert.Equal(rows.Count, users.Count);
            foreach (var r in rows)
            {
                Assert.True(users.TryGet(r.UserId, out var u), $"user {r.UserId} not found");
                Assert.Equal(r, u);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
