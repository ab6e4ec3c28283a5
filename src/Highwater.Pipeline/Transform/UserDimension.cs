using Parquet;
using static Highwater.Pipeline.Core.Mart.ParquetColumns;
using static Highwater.Parquet.RowGroupColumns;
using U = Highwater.Pipeline.Core.Schema.Schemas.Users;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.Storage;
using Highwater.Pipeline.Core.Mart;

namespace Highwater.Pipeline.Transform;

/// <summary>
/// The user dimension as a compact hash index on user_id: the key maps to a row of column arrays, and the
/// low-cardinality strings (country, segment) are held once each, so a million users take tens of megabytes
/// rather than a record and two strings apiece. Loaded from every Parquet file under a store.
/// A user_id present twice is a data error (the join would be ambiguous).
/// </summary>
public sealed class UserDimension
{
    /// <summary>The packed form's parts: user <c>Min + i</c> is <c>Words[i]</c>, its strings are codes into <c>Codes</c>.</summary>
    internal sealed record PackedUsers(long Min, int Count, ulong[] Words, string?[] Codes);

    /// <summary>Distinct strings held once each, with a code; past this many, values are kept as read (and not packed).</summary>
    private const int MaxInterned = 65_536;

    /// <summary>The row of a user_id, for ids too sparse for <see cref="_dense"/> (built when loading ends).</summary>
    private readonly Dictionary<long, int> _rowOf = [];
    // While loading, row by row: the user_id, the strings (interned) and their codes (-1: past MaxInterned), the signup.
    private long[] _ids;
    private string?[] _country;
    private string?[] _segment;
    private int[] _countryCode, _segmentCode;
    private DateTime?[] _signup;
    private int _rows;
    private readonly Dictionary<string, int> _codeOf = new(StringComparer.Ordinal);
    private readonly List<string?> _interned = [null];

    private UserDimension(int capacity)
    {
        _ids = new long[capacity];
        _country = new string?[capacity];
        _segment = new string?[capacity];
        _countryCode = new int[capacity];
        _segmentCode = new int[capacity];
        _signup = new DateTime?[capacity];
    }

    /// <summary>When the ids are dense (span at most 4x the count), the row of id <c>_min + i</c> is <c>_dense[i]</c> (-1: none).</summary>
    private int[]? _dense;
    private long _min;
    private int _count;

    /// <summary>
    /// Dense ids with few distinct strings: the whole user packed in one 64-bit word at <c>_packed[id - _min]</c>
    /// (0: no such user), so a lookup touches one cache line instead of four. Bits: 63 present, 40-55 country
    /// code, 24-39 segment code (codes index <see cref="_codes"/>, 0 = null), 0-23 signup day number + 1 (0 = null).
    /// </summary>
    private ulong[]? _packed;
    private string?[] _codes = [null];

    public int Count => _count;

    /// <summary>
    /// A hint that <paramref name="userId"/> is looked up soon: starts loading its packed word into the cache (a
    /// million users are 8 MB, so a lookup in input order would otherwise wait on memory). No effect otherwise.
    /// </summary>
    public void Prefetch(long userId)
    {
        if (_packed is { } packed) MemoryHints.Prefetch(packed, (ulong)(userId - _min));
    }

    /// <summary>
    /// The distinct country and segment strings of a packed dimension (<see cref="TryGetCodes"/> gives positions in it;
    /// position 0 is null), or null when the dimension is not packed.
    /// </summary>
    internal string?[]? Codes => _packed is null ? null : _codes;

    /// <summary>
    /// A packed dimension's user as the codes of its country and segment in <see cref="Codes"/> and its signup date:
    /// the join's fast path, which maps a code to a column id once instead of looking up a string per row. False when
    /// the user is unknown; only for a packed dimension (<see cref="Codes"/> is not null).
    /// </summary>
    internal bool TryGetCodes(long userId, out int country, out int segment, out DateTime? signup)
    {
        var packed = _packed!;
        var offset = (ulong)(userId - _min);
        var e = offset < (ulong)packed.Length ? packed[offset] : 0;
        country = (int)(e >> 40) & 0xFFFF;
        segment = (int)(e >> 24) & 0xFFFF;
        var day = (int)(e & 0xFF_FFFF);
        signup = day == 0 ? null : new DateTime((day - 1) * TimeSpan.TicksPerDay, DateTimeKind.Utc);
        return e != 0;
    }

    public bool TryGet(long userId, out UserRecord user)
    {
        var offset = (ulong)(userId - _min);
        if (_packed is not null)
        {
            var found = TryGetCodes(userId, out var country, out var segment, out var signup);
            user = found ? new UserRecord(userId, _codes[country], _codes[segment], signup) : default;
            return found;
        }
        int row;
        if (_dense is { } dense) row = offset < (ulong)dense.Length ? dense[offset] : -1;
        else if (!_rowOf.TryGetValue(userId, out row)) row = -1;
        if (row >= 0)
        {
            user = new UserRecord(userId, _country[row], _segment[row], _signup[row]);
            return true;
        }
        user = default;
        return false;
    }

    /// <summary>
    /// Ends loading: with dense ids (as surrogate keys usually are) the lookup becomes one array read instead of a
    /// hash probe — of a packed word when the strings allow — built straight from the rows; only sparse ids get a hash
    /// map. Returns the first row whose user_id an earlier row has (-1: none), and then the dimension is not usable.
    /// </summary>
    private int Seal()
    {
        _count = _rows;
        if (_count == 0) return -1;
        var ids = _ids.AsSpan(0, _rows);
        long min = long.MaxValue, max = long.MinValue;
        foreach (var id in ids)
        {
            if (id < min) min = id;
            if (id > max) max = id;
        }
        var span = (decimal)max - min + 1;
        if (span > 4m * _count || span > Array.MaxLength)
        {
            _rowOf.EnsureCapacity(_rows);
            for (var row = 0; row < ids.Length; row++)
                if (!_rowOf.TryAdd(ids[row], row)) return row;
            ReleaseLoadingColumns();
            return -1;
        }
        _min = min;
        var (packed, duplicate) = TryPack((int)span, min);
        if (duplicate >= 0) return duplicate;
        if (packed is not null)
        {
            _packed = packed;
            _country = _segment = [];
            _signup = [];
        }
        else
        {
            var dense = new int[(int)span];
            Array.Fill(dense, -1);
            for (var row = 0; row < ids.Length; row++)
            {
                ref var slot = ref dense[ids[row] - min];
                if (slot >= 0) return row;
                slot = row;
            }
            _dense = dense;
        }
        ReleaseLoadingColumns();
        return -1;
    }

    /// <summary>Drops what only loading needs (the rows' ids and string codes) once the lookup is built.</summary>
    private void ReleaseLoadingColumns()
    {
        _ids = [];
        _countryCode = _segmentCode = [];
    }

    /// <summary>
    /// The packed words of dense ids from the rows' string codes (null when a string has no code or a code or signup
    /// does not fit its bits), or the first duplicate row.
    /// </summary>
    private (ulong[]? Packed, int Duplicate) TryPack(int span, long min)
    {
        if (_interned.Count > 0x10000) return (null, -1);
        var packed = new ulong[span];
        for (var row = 0; row < _rows; row++)
        {
            var (country, segment) = (_countryCode[row], _segmentCode[row]);
            if (country < 0 || segment < 0) return (null, -1);
            var signup = _signup[row];
            if (signup is { } d && (d.TimeOfDay != TimeSpan.Zero || d.Kind != DateTimeKind.Utc)) return (null, -1);
            var day = signup is { } s ? (ulong)(s.Ticks / TimeSpan.TicksPerDay) + 1 : 0;
            if (day > 0xFF_FFFF) return (null, -1);
            ref var word = ref packed[_ids[row] - min];
            if (word != 0) return (null, row);
            word = 1UL << 63 | (ulong)country << 40 | (ulong)segment << 24 | day;
        }
        _codes = [.. _interned];
        return (packed, -1);
    }

    /// <summary>Adds a user (a user_id present twice is found when loading ends, by <see cref="Seal"/>).</summary>
    private void Add(long userId, string? country, string? segment, DateTime? signup)
    {
        var row = _rows++;
        if (row == _ids.Length)
        {
            var grown = Math.Max(16, row * 2);
            Array.Resize(ref _ids, grown);
            Array.Resize(ref _country, grown);
            Array.Resize(ref _segment, grown);
            Array.Resize(ref _countryCode, grown);
            Array.Resize(ref _segmentCode, grown);
            Array.Resize(ref _signup, grown);
        }
        _ids[row] = userId;
        (_country[row], _countryCode[row]) = Intern(country);
        (_segment[row], _segmentCode[row]) = Intern(segment);
        _signup[row] = signup;
    }

    /// <summary>The value held once, with its code (0 for null; -1 past <see cref="MaxInterned"/>, kept as read).</summary>
    private (string? Value, int Code) Intern(string? value)
    {
        if (value is null) return (null, 0);
        if (_codeOf.TryGetValue(value, out var code)) return (_interned[code], code);
        if (_interned.Count > MaxInterned) return (value, -1);
        code = _interned.Count;
        _codeOf[value] = code;
        _interned.Add(value);
        return (value, code);
    }

    public static Task<UserDimension> LoadAsync(IObjectStore store, CancellationToken ct = default) => LoadAsync(store, cacheFile: null, ct);

    /// <summary>
    /// Loads the dimension; with <paramref name="cacheFile"/>, the packed form saved there by an earlier load is used
    /// instead when it was made from the same versions (key, ETag, size) of the same files, and saved there otherwise
    /// (best effort: a cache that cannot be written or read is only a slower load).
    /// </summary>
    public static async Task<UserDimension> LoadAsync(IObjectStore store, string? cacheFile, CancellationToken ct = default)
    {
        var files = await UserDimensionFiles.ListAsync(store, ct);
        if (files.Count == 0)
            throw new DataException($"No Parquet files found in the user dimension at {store.Description}.");
        // The fingerprint of the files' versions is taken only when there is a cache to check it against.
        var fingerprint = cacheFile is null ? null : UserDimensionCache.Fingerprint(store.Description, files);
        if (fingerprint is not null && UserDimensionCache.TryRead(cacheFile!, fingerprint) is { } cached) return cached;

        UserDimension? users = null;
        var sources = new List<(int FirstRow, string Name)>();
        foreach (var obj in files)
        {
            var name = $"{store.Description}/{obj.Key}";
            // The load is on the critical path (nothing joins before it ends): chunks the own decoder reads are decoded
            // directly, four columns at once; the rest through Arrow (see TopLevelColumnReader).
            await using var file = await TopLevelColumnReader.OpenAsync(await store.OpenReadAsync(obj.Key, ct), name, ct);
            var columns = UserDimensionColumns.Resolve(file);
            users ??= new UserDimension(checked((int)Math.Min(int.MaxValue / 2, file.TotalRows)));
            sources.Add((users._rows, name));
            for (var i = 0; i < file.RowGroupCount; i++)
            {
                var read = await file.ReadAsync(i, columns, ct);
                var (ids, country, segment, signup) = ((long?[])read[0], (string?[])read[1], (string?[])read[2], (DateTime?[])read[3]);
                for (var r = 0; r < ids.Length; r++)
                {
                    var id = ids[r] ?? throw new DataException(
                        $"{name}: column 'user_id' holds a null in row {r + 1} of row group {i + 1}, but every user needs an id.");
                    users.Add(id, country[r], segment[r], signup[r] is { } d ? new DateTime(d.Date.Ticks, DateTimeKind.Utc) : null);
                }
            }
        }
        if (users!.Seal() is var duplicate and >= 0)
        {
            var name = sources.Last(f => f.FirstRow <= duplicate).Name;
            throw new DataException($"{name}: user_id {users._ids[duplicate]} appears more than once in the user dimension; the join would be ambiguous.");
        }
        if (fingerprint is not null && users.Packed is { } packed) UserDimensionCache.Write(cacheFile!, fingerprint, packed);
        return users;
    }

    /// <summary>The packed form (dense ids, few distinct strings), or null when the dimension is held otherwise.</summary>
    internal PackedUsers? Packed => _packed is { } words ? new PackedUsers(_min, _count, words, _codes) : null;

    /// <summary>A dimension from its packed form (see <see cref="UserDimensionCache"/>).</summary>
    internal static UserDimension FromPacked(PackedUsers packed)
    {
        var users = new UserDimension(0) { _min = packed.Min, _count = packed.Count, _packed = packed.Words, _codes = packed.Codes };
        users._country = users._segment = [];
        users._signup = [];
        return users;
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
    public static UserDimension FromRows(IEnumerable<UserRecord> rows)
    {
        var users = new UserDimension(16);
        foreach (var r in rows) users.Add(r.UserId, r.Country, r.Segment, r.SignupDate);
        if (users.Seal() is var duplicate and >= 0)
            throw new ArgumentException($"user_id {users._ids[duplicate]} appears more than once", nameof(rows));
        return users;
    }
}
