using Apache.Arrow;
using Apache.Arrow.Ipc;
using Parquet;
using Parquet.Meta;
using Parquet.Schema;
using Array = System.Array;
using ParquetType = Parquet.Meta.Type;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>How a top-level column's values are read: integers as long, strings, dates and timestamps as DateTime.</summary>
public enum ValueKind
{
    /// <summary>Not one of the kinds below (its description says what it is).</summary>
    Other,

    /// <summary>INT32, INT64 (signed, or unsigned up to 32 bits) or DECIMAL(p,0) on any physical type: long?[].</summary>
    Integer,

    /// <summary>BYTE_ARRAY annotated STRING or ENUM, or not annotated at all (Impala, Hive): string?[].</summary>
    String,

    /// <summary>INT32 DATE, INT64 TIMESTAMP (any unit) or INT96: DateTime?[] (the stored wall-clock time).</summary>
    DateTime,
}

/// <summary>A top-level leaf column of a file: its leaf index (the column chunk's position), kind and declared type.</summary>
public sealed record TopLevelColumn(string Name, int LeafIndex, ValueKind Kind, string Type)
{
    /// <summary>
    /// The column as a Parquet.Net field for the own decoder, when it is of a type that decoder reads (plain INT32 and
    /// INT64, STRING, DATE, INT64 TIMESTAMP); null otherwise. Built from the footer's element rather than taken from
    /// Parquet.Net's schema, which refuses whole files for a column it has no CLR type for (FLOAT16, for one).
    /// </summary>
    internal DataField? Field { get; init; }
}

/// <summary>
/// Reads top-level columns of a Parquet file from any writer. A column is found by name among the schema root's own
/// children only: a struct's field of the same name (<c>referred_by.user_id</c>) is never taken for it. Each column
/// chunk is decoded by <see cref="ColumnChunkDecoder"/> where it can (v1 pages, PLAIN, dictionary or
/// DELTA_BINARY_PACKED values, Snappy or none: what DuckDB, Spark and the mart writer mostly write), and otherwise by
/// Apache Arrow's C++ Parquet reader through ParquetSharp's Arrow API (every codec including Hadoop-framed LZ4, v2
/// pages, every encoding). Parquet.Net only parses the footer. A file that cannot be read is a
/// <see cref="DataException"/> naming it.
/// </summary>
public sealed class TopLevelColumnReader : IAsyncDisposable
{
    private readonly string _path;
    private readonly string _name;
    private readonly ParquetReader _reader;
    private readonly FileStream? _ownedCopy;
    private readonly Stream _stream;
    private ParquetSharp.Arrow.FileReader? _arrow;

    private TopLevelColumnReader(string path, string name, Stream stream, ParquetReader reader, FileStream? ownedCopy)
    {
        (_path, _name, _stream, _reader, _ownedCopy) = (path, name, stream, reader, ownedCopy);
    }

    /// <summary>The file's name in messages.</summary>
    public string Name => _name;

    public int RowGroupCount => _reader.RowGroupCount;

    public long RowCount(int rowGroup) => _reader.RowGroups[rowGroup].RowCount;

    public long TotalRows => Enumerable.Range(0, RowGroupCount).Sum(i => RowCount(i));

    /// <summary>Opens a local file; <paramref name="name"/> is how messages name it.</summary>
    public static Task<TopLevelColumnReader> OpenAsync(string path, string name, CancellationToken ct) =>
        OpenAsync(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous), name, ct);

    /// <summary>Opens a file from a body (taken over and disposed): a local file as it is, anything else copied to a temporary file.</summary>
    public static async Task<TopLevelColumnReader> OpenAsync(Stream body, string name, CancellationToken ct)
    {
        FileStream? copy = null;
        string path;
        if (body is FileStream { Name: { } local } && File.Exists(local)) path = local;
        else
        {
            path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "highwater-" + Guid.NewGuid().ToString("N") + ".parquet");
            copy = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            await using (body) await body.CopyToAsync(copy, ct);
            copy.Position = 0;
            body = copy;
        }

        try
        {
            var reader = await ParquetReader.CreateAsync(body, cancellationToken: ct);
            return new TopLevelColumnReader(path, name, body, reader, copy);
        }
        catch (Exception e) when (IsDamage(e))
        {
            await body.DisposeAsync();
            throw new DataException($"{name}: not a readable Parquet file ({OneLine(e.Message)}).", e);
        }
    }

    /// <summary>
    /// The top-level column <paramref name="column"/>; a <see cref="DataException"/> when there is none (saying where a
    /// nested field of that name is, if one is), when it is a group or repeated, or when two top-level columns share the name.
    /// </summary>
    public TopLevelColumn Column(string column)
    {
        var schema = _reader.Metadata?.Schema ?? throw new DataException($"{_name}: the Parquet footer has no schema.");
        TopLevelColumn? found = null;
        string? group = null;
        var nested = new List<string>();
        var topLevel = new List<string>();
        int leaf = 0, at = 1;
        int children = schema.Count > 0 ? schema[0].NumChildren ?? 0 : 0;
        for (int c = 0; c < children && at < schema.Count; c++)
        {
            var e = schema[at];
            topLevel.Add(e.Name);
            if ((e.NumChildren ?? 0) == 0)
            {
                if (e.Name == column)
                {
                    if (found is not null) throw new DataException($"{_name}: two top-level columns are named '{column}'.");
                    if (e.RepetitionType == FieldRepetitionType.REPEATED)
                        throw new DataException($"{_name}: column '{column}' is a repeated field; expected a single value per row.");
                    var (kind, type) = Classify(e);
                    found = new TopLevelColumn(column, leaf, kind, type) { Field = FastField(e, kind) };
                }
                leaf++;
                at++;
                continue;
            }

            // A group: count its leaves and note the paths of those named like the column.
            if (e.Name == column) group = column;
            var path = new List<string> { e.Name };
            var remaining = new List<int> { e.NumChildren ?? 0 };
            at++;
            while (remaining.Count > 0 && at < schema.Count)
            {
                var child = schema[at++];
                remaining[^1]--;
                if ((child.NumChildren ?? 0) > 0)
                {
                    path.Add(child.Name);
                    remaining.Add(child.NumChildren ?? 0);
                }
                else
                {
                    if (child.Name == column) nested.Add(string.Join('.', path.Append(child.Name)));
                    leaf++;
                }
                while (remaining.Count > 0 && remaining[^1] == 0)
                {
                    remaining.RemoveAt(remaining.Count - 1);
                    path.RemoveAt(path.Count - 1);
                }
            }
        }

        if (found is not null) return found;
        if (group is not null) throw new DataException($"{_name}: column '{column}' is a group (struct, list or map); expected a top-level column of values.");
        var where = nested.Count > 0 ? $" It exists only nested ({string.Join(", ", nested)}); columns are matched at the top level only." : "";
        throw new DataException($"{_name}: column '{column}' is missing (top-level columns: {string.Join(", ", topLevel)}).{where}");
    }

    /// <summary>
    /// The values of <paramref name="columns"/> in row group <paramref name="rowGroup"/>, by kind (long?[], string?[],
    /// DateTime?[]); columns of kind Other are not read. Chunks the own decoder reads are decoded in parallel; the rest
    /// in one read through Arrow.
    /// </summary>
    public async Task<Array[]> ReadAsync(int rowGroup, IReadOnlyList<TopLevelColumn> columns, CancellationToken ct)
    {
        int rows = checked((int)RowCount(rowGroup));
        var result = new Array[columns.Count];
        using (var g = _reader.OpenRowGroupReader(rowGroup))
        {
            var decoded = await Task.WhenAll(columns.Select(c => Task.Run(() => TryDecode(g, c.Field, c, rows), ct)));
            for (int i = 0; i < columns.Count; i++)
                if (decoded[i] is { } values) result[i] = values;
        }

        var rest = Enumerable.Range(0, columns.Count).Where(i => result[i] is null && columns[i].Kind != ValueKind.Other).ToList();
        if (rest.Count > 0) await ReadThroughArrowAsync(rowGroup, rows, columns, rest, result, ct);
        for (int i = 0; i < result.Length; i++) result[i] ??= Array.Empty<object>();
        return result;
    }

    /// <summary>A chunk through the own decoder, converted to the column's kind; null when it does not read it.</summary>
    private Array? TryDecode(ParquetRowGroupReader g, DataField? field, TopLevelColumn column, int rows)
    {
        if (field is null || column.Kind == ValueKind.Other) return null;
        Array? raw;
        try
        {
            raw = ColumnChunkDecoder.TryRead(_path, _reader.Metadata, g, field, rows, pool: null);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IndexOutOfRangeException or OverflowException)
        {
            return null; // values it cannot represent: Arrow reads the chunk, or reports it
        }

        return (column.Kind, raw) switch
        {
            (ValueKind.Integer, long?[] v) => v,
            (ValueKind.Integer, long[] v) => Array.ConvertAll(v, x => (long?)x),
            (ValueKind.Integer, int[] v) => Array.ConvertAll(v, x => (long?)x),
            (ValueKind.Integer, int?[] v) => Array.ConvertAll(v, x => (long?)x),
            (ValueKind.String, string?[] v) => v,
            (ValueKind.DateTime, DateTime?[] v) => v,
            (ValueKind.DateTime, DateTime[] v) => Array.ConvertAll(v, x => (DateTime?)x),
            _ => null, // decimals and anything else: Arrow's integers are exact
        };
    }

    private async Task ReadThroughArrowAsync(int rowGroup, int rows, IReadOnlyList<TopLevelColumn> columns, List<int> wanted, Array[] result, CancellationToken ct)
    {
        // Arrow returns the selected top-level fields in schema order.
        var order = wanted.OrderBy(i => columns[i].LeafIndex).ToList();
        foreach (var i in order)
            result[i] = columns[i].Kind switch
            {
                ValueKind.Integer => new long?[rows],
                ValueKind.String => new string?[rows],
                _ => new DateTime?[rows],
            };
        try
        {
            _arrow ??= OpenArrow(columns);
            using var stream = _arrow.GetRecordBatchReader([rowGroup], order.Select(i => columns[i].LeafIndex).Distinct().ToArray());
            int offset = 0;
            while (await stream.ReadNextRecordBatchAsync(ct) is { } batch)
            {
                using (batch)
                {
                    if (batch.ColumnCount != order.Count || offset + batch.Length > rows)
                        throw new DataException($"{_name}: row group {rowGroup + 1} does not have the rows and columns its footer declares.");
                    for (int k = 0; k < order.Count; k++)
                        Copy(batch.Column(k), columns[order[k]], result[order[k]], offset);
                    offset += batch.Length;
                }
            }

            if (offset != rows) throw new DataException($"{_name}: row group {rowGroup + 1} has {offset:N0} rows, its footer declares {rows:N0}.");
        }
        catch (Exception e) when (IsDamage(e))
        {
            throw new DataException($"{_name}: cannot read row group {rowGroup + 1} ({OneLine(e.Message)}).", e);
        }
    }

    private ParquetSharp.Arrow.FileReader OpenArrow(IReadOnlyList<TopLevelColumn> columns)
    {
        using var properties = ParquetSharp.Arrow.ArrowReaderProperties.GetDefault();
        properties.UseThreads = false;
        // Strings as dictionary arrays: each distinct value becomes one string, not one per row.
        foreach (var c in columns)
            if (c.Kind == ValueKind.String) properties.SetReadDictionary(c.LeafIndex, true);
        properties.BatchSize = 1 << 20;
        // INT96 as microseconds: nanoseconds overflow past 2262.
        properties.CoerceInt96TimestampUnit = Apache.Arrow.Types.TimeUnit.Microsecond;
        return new ParquetSharp.Arrow.FileReader(_path, arrowProperties: properties);
    }

    private void Copy(IArrowArray array, TopLevelColumn column, Array target, int offset)
    {
        if (array is DictionaryArray { Indices: Int32Array indices } coded && target is string?[] stringTarget)
        {
            var distinct = new string?[coded.Dictionary.Length];
            Copy(coded.Dictionary, column, distinct, 0);
            var at = indices.Values;
            for (int r = 0; r < coded.Length; r++) stringTarget[offset + r] = coded.IsNull(r) ? null : distinct[at[r]];
            return;
        }

        if (array is DictionaryArray dictionary)
        {
            // Indices into the dictionary's values (pyarrow writes categoricals so, with the Arrow schema in the footer).
            Array values = target switch
            {
                long?[] => new long?[dictionary.Dictionary.Length],
                string?[] => new string?[dictionary.Dictionary.Length],
                _ => new DateTime?[dictionary.Dictionary.Length],
            };
            Copy(dictionary.Dictionary, column, values, 0);
            for (int r = 0; r < dictionary.Length; r++)
                target.SetValue(dictionary.IsNull(r) ? null : values.GetValue(checked((int)Integer(dictionary.Indices, r))), offset + r);
            return;
        }

        switch (target, array)
        {
            case (long?[] longs, Int64Array int64):
            {
                var values = int64.Values;
                for (int r = 0; r < values.Length; r++) longs[offset + r] = int64.IsValid(r) ? values[r] : null;
                break;
            }
            case (long?[] longs, Int32Array int32):
            {
                var values = int32.Values;
                for (int r = 0; r < values.Length; r++) longs[offset + r] = int32.IsValid(r) ? values[r] : null;
                break;
            }
            case (DateTime?[] times, Date32Array days):
            {
                var values = days.Values;
                for (int r = 0; r < values.Length; r++)
                    times[offset + r] = days.IsValid(r) ? new DateTime(DateTime.UnixEpoch.Ticks + values[r] * TimeSpan.TicksPerDay, DateTimeKind.Utc) : null;
                break;
            }
            case (long?[] longs, _):
                for (int r = 0; r < array.Length; r++) longs[offset + r] = array.IsNull(r) ? null : Integer(array, r);
                break;
            case (string?[] strings, _):
                for (int r = 0; r < array.Length; r++) strings[offset + r] = array.IsNull(r) ? null : Text(array, r);
                break;
            case (DateTime?[] times, _):
                for (int r = 0; r < array.Length; r++) times[offset + r] = array.IsNull(r) ? null : Time(array, r);
                break;
        }

        string Text(IArrowArray a, int r) => a switch
        {
            StringArray s => s.GetString(r),
            BinaryArray b => System.Text.Encoding.UTF8.GetString(b.GetBytes(r)),
            _ => throw Unexpected(a),
        };

        DateTime Time(IArrowArray a, int r) => a switch
        {
            Date32Array d => DateTime.SpecifyKind(d.GetDateTime(r)!.Value, DateTimeKind.Utc),
            Date64Array d => DateTime.SpecifyKind(d.GetDateTime(r)!.Value, DateTimeKind.Utc),
            TimestampArray t => t.GetTimestamp(r)!.Value.UtcDateTime,
            _ => throw Unexpected(a),
        };

        Exception Unexpected(IArrowArray a) =>
            new DataException($"{_name}: column '{column.Name}' ({column.Type}) was read as Arrow {a.Data.DataType.Name}, which is not read here.");
    }

    private long Integer(IArrowArray a, int r) => a switch
    {
        Int8Array x => x.GetValue(r)!.Value,
        Int16Array x => x.GetValue(r)!.Value,
        Int32Array x => x.GetValue(r)!.Value,
        Int64Array x => x.GetValue(r)!.Value,
        UInt8Array x => x.GetValue(r)!.Value,
        UInt16Array x => x.GetValue(r)!.Value,
        UInt32Array x => x.GetValue(r)!.Value,
        UInt64Array x => x.GetValue(r)!.Value <= long.MaxValue ? (long)x.GetValue(r)!.Value
            : throw new DataException($"{_name}: integer {x.GetValue(r)} does not fit a 64-bit signed integer."),
        Decimal128Array x => WholeNumber(x.GetValue(r)!.Value),
        Decimal256Array x => WholeNumber(x.GetValue(r)!.Value),
        _ => throw new DataException($"{_name}: integers read as Arrow {a.Data.DataType.Name}, which is not read here."),
    };

    private long WholeNumber(decimal d) =>
        d == decimal.Truncate(d) && d >= long.MinValue && d <= long.MaxValue ? (long)d
            : throw new DataException($"{_name}: value {d} does not fit a 64-bit signed integer.");

    /// <summary>The column's kind and its declared type as the file states it (physical, then logical or converted type).</summary>
    internal static (ValueKind Kind, string Type) Classify(SchemaElement e)
    {
        var logical = e.LogicalType;
        var converted = e.ConvertedType;
        var physical = e.Type switch
        {
            ParquetType.FIXED_LEN_BYTE_ARRAY => $"FIXED_LEN_BYTE_ARRAY({e.TypeLength})",
            { } t => t.ToString(),
            null => "no physical type",
        };
        string? annotation =
            logical?.DECIMAL is { } d ? $"DECIMAL({d.Precision},{d.Scale})"
            : logical?.INTEGER is { } i ? $"INT({i.BitWidth}, {(i.IsSigned ? "signed" : "unsigned")})"
            : logical?.TIMESTAMP is { } ts ? $"TIMESTAMP({(ts.Unit.MILLIS is not null ? "MILLIS" : ts.Unit.MICROS is not null ? "MICROS" : "NANOS")}, {(ts.IsAdjustedToUTC ? "UTC" : "local")})"
            : logical?.STRING is not null ? "STRING"
            : logical?.ENUM is not null ? "ENUM"
            : logical?.DATE is not null ? "DATE"
            : logical?.TIME is not null ? "TIME"
            : logical?.JSON is not null ? "JSON"
            : logical?.BSON is not null ? "BSON"
            : logical?.UUID is not null ? "UUID"
            : logical?.FLOAT16 is not null ? "FLOAT16"
            : converted is ConvertedType.DECIMAL ? $"DECIMAL({e.Precision},{e.Scale ?? 0})"
            : converted is { } c ? c.ToString()
            : null;
        var type = annotation is null ? $"{physical} (no logical type)" : $"{physical} ({annotation})";

        bool isDecimal = logical?.DECIMAL is not null || converted == ConvertedType.DECIMAL;
        int scale = logical?.DECIMAL?.Scale ?? e.Scale ?? 0;
        var kind = e.Type switch
        {
            _ when isDecimal => scale == 0 && e.Type is ParquetType.INT32 or ParquetType.INT64 or ParquetType.FIXED_LEN_BYTE_ARRAY or ParquetType.BYTE_ARRAY
                ? ValueKind.Integer : ValueKind.Other,
            ParquetType.INT32 when logical?.DATE is not null || converted == ConvertedType.DATE => ValueKind.DateTime,
            ParquetType.INT32 when annotation is null || logical?.INTEGER is not null
                || converted is ConvertedType.INT_8 or ConvertedType.INT_16 or ConvertedType.INT_32 or ConvertedType.UINT_8 or ConvertedType.UINT_16 or ConvertedType.UINT_32 => ValueKind.Integer,
            ParquetType.INT64 when logical?.TIMESTAMP is not null || converted is ConvertedType.TIMESTAMP_MILLIS or ConvertedType.TIMESTAMP_MICROS => ValueKind.DateTime,
            ParquetType.INT64 when annotation is null || logical?.INTEGER is { IsSigned: true } || converted == ConvertedType.INT_64 => ValueKind.Integer,
            ParquetType.INT96 when annotation is null => ValueKind.DateTime,
            ParquetType.BYTE_ARRAY when annotation is null || logical?.STRING is not null || logical?.ENUM is not null
                || converted is ConvertedType.UTF8 or ConvertedType.ENUM => ValueKind.String,
            _ => ValueKind.Other,
        };
        return (kind, type);
    }

    /// <summary>A field of the column's CLR type as Parquet.Net maps it, in a schema of its own (which sets its levels).</summary>
    private static DataField? FastField(SchemaElement e, ValueKind kind)
    {
        bool nullable = e.RepetitionType == FieldRepetitionType.OPTIONAL;
        bool plain = e.LogicalType is null && e.ConvertedType is null;
        DataField? field = (kind, e.Type) switch
        {
            (ValueKind.Integer, ParquetType.INT32) when plain || e.LogicalType?.INTEGER is { BitWidth: 32, IsSigned: true } || e.ConvertedType == ConvertedType.INT_32
                => new DataField<int>(e.Name, nullable),
            (ValueKind.Integer, ParquetType.INT64) when plain || e.LogicalType?.INTEGER is { BitWidth: 64, IsSigned: true } || e.ConvertedType == ConvertedType.INT_64
                => new DataField<long>(e.Name, nullable),
            (ValueKind.String, ParquetType.BYTE_ARRAY) when e.LogicalType?.STRING is not null || e.ConvertedType == ConvertedType.UTF8
                => new DataField<string>(e.Name, nullable),
            (ValueKind.DateTime, ParquetType.INT32 or ParquetType.INT64) => new DataField<DateTime>(e.Name, nullable),
            _ => null,
        };
        if (field is not null) _ = new ParquetSchema(field);
        return field;
    }

    /// <summary>A reader's message on one line (Arrow's span several).</summary>
    private static string OneLine(string message) => string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>What a damaged or unreadable file throws from a Parquet reader (not cancellation, memory or our own errors).</summary>
    private static bool IsDamage(Exception e) => e is not (OperationCanceledException or OutOfMemoryException or DataException);

    public async ValueTask DisposeAsync()
    {
        _arrow?.Dispose();
        if (_reader is IAsyncDisposable r) await r.DisposeAsync();
        else if (_reader is IDisposable d) d.Dispose();
        await _stream.DisposeAsync();
        if (_ownedCopy is not null && !ReferenceEquals(_ownedCopy, _stream)) await _ownedCopy.DisposeAsync();
    }
}
