using Highwater.Model;
using Highwater.Storage;
using Parquet;
using static Highwater.Columnar.ParquetColumns;
using U = Highwater.Model.Schemas.Users;

namespace Highwater.Columnar;

/// <summary>
/// The user dimension as a hash index on user_id, loaded from every Parquet file under a store.
/// A user_id present twice is a data error (the join would be ambiguous).
/// </summary>
public sealed class UserDimension
{
    private readonly Dictionary<long, UserRecord> _byId;

    private UserDimension(Dictionary<long, UserRecord> byId) => _byId = byId;

    public int Count => _byId.Count;

    public bool TryGet(long userId, out UserRecord user) => _byId.TryGetValue(userId, out user);

    public static async Task<UserDimension> LoadAsync(IObjectStore store, CancellationToken ct = default)
    {
        var byId = new Dictionary<long, UserRecord>();
        var files = 0;
        await foreach (var obj in store.ListAsync("", null, ct))
        {
            if (!obj.Key.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)) continue;
            files++;
            var name = $"{store.Description}/{obj.Key}";
            await using var body = await store.OpenReadAsync(obj.Key, ct);
            // Parquet needs a seekable stream: the footer is read first.
            await using var seekable = await SeekableCopy.OfAsync(body, ct);
            await using var reader = await ParquetReader.CreateAsync(seekable);
            var s = reader.Schema;
            for (var i = 0; i < reader.RowGroupCount; i++)
            {
                using var g = reader.OpenRowGroupReader(i);
                var ids = await Read<long>(g, s, U.UserId, name);
                var country = await ReadString(g, s, U.Country, name);
                var segment = await ReadString(g, s, U.Segment, name);
                var signup = await ReadNullable<DateTime>(g, s, U.SignupDate, name);
                for (var r = 0; r < ids.Length; r++)
                {
                    var user = new UserRecord(ids[r], country[r], segment[r],
                        signup[r] is { } d ? DateTime.SpecifyKind(d.Date, DateTimeKind.Utc) : null);
                    if (!byId.TryAdd(ids[r], user))
                        throw new DataException($"{name}: user_id {ids[r]} appears more than once in the user dimension; the join would be ambiguous.");
                }
            }
        }
        if (files == 0)
            throw new DataException($"No Parquet files found in the user dimension at {store.Description}.");
        return new UserDimension(byId);
    }

    /// <summary>Writes user rows as a Parquet file of the dimension's schema (samples, tests, benchmarks).</summary>
    public static async Task WriteAsync(Stream stream, IReadOnlyList<UserRecord> rows)
    {
        await using var writer = await ParquetWriter.CreateAsync(U.Schema, stream, WriteOptions);
        using var g = writer.CreateRowGroup();
        var n = rows.Count;
        await Write(g, U.UserId, rows, 0, n, r => r.UserId);
        await WriteString(g, U.Country, rows, 0, n, r => r.Country);
        await WriteString(g, U.Segment, rows, 0, n, r => r.Segment);
        await WriteNullable(g, U.SignupDate, rows, 0, n, r => r.SignupDate);
    }

    /// <summary>Builds an index from rows in memory (tests and tools).</summary>
    public static UserDimension FromRows(IEnumerable<UserRecord> rows) => new(rows.ToDictionary(r => r.UserId));
}
