using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Highwater.Parquet.Encodings;
using Highwater.Parquet.Thrift;

namespace Highwater.Parquet.Writing;

/// <summary>The value kinds <see cref="ParquetFileWriter"/> writes, each with its Parquet physical and logical type.</summary>
public enum ParquetValueKind
{
    /// <summary>INT32, logical INTEGER(32, signed).</summary>
    Int32,
    /// <summary>INT64, logical INTEGER(64, signed).</summary>
    Int64,
    /// <summary>BYTE_ARRAY, logical STRING (UTF-8).</summary>
    Utf8,
    /// <summary>INT64, logical TIMESTAMP(isAdjustedToUTC, MICROS): microseconds since the Unix epoch.</summary>
    TimestampMicrosUtc,
    /// <summary>INT32, logical DATE: days since the Unix epoch.</summary>
    Date,
    /// <summary>INT64, logical DECIMAL(precision &lt;= 18, scale): the unscaled value.</summary>
    Decimal,
}

/// <summary>How <see cref="ParquetFileWriter"/> encodes INT32 and INT64 columns (integers, timestamps, dates, decimals).</summary>
public enum ParquetIntegerEncoding
{
    /// <summary>
    /// DELTA_BINARY_PACKED, uncompressed (the default), for the INTEGER columns (<see cref="ParquetValueKind.Int32"/> and
    /// <see cref="ParquetValueKind.Int64"/>): ids drawn from a range and small quantities pack into a few bits a value, and
    /// are cheaper to write and to read than PLAIN with Snappy. Read by DuckDB, Spark, Arrow and Trino, and by
    /// Parquet.Net, which reads the encoding only into int and long: timestamps, dates and decimals stay PLAIN with
    /// Snappy, so a Parquet.Net reader reads every mart column.
    /// </summary>
    Delta,
    /// <summary>PLAIN with Snappy, as every Parquet reader reads (for engines that predate the DELTA encodings).</summary>
    Plain,
}

/// <summary>One column of a file <see cref="ParquetFileWriter"/> writes (flat schemas only: no nesting, no repetition).</summary>
public sealed record ParquetColumnSpec(string Name, ParquetValueKind Kind, bool Nullable, int Precision = 0, int Scale = 0);

/// <summary>
/// A Parquet writer for flat schemas, written for the mart's hot path: values go from column arrays straight into
/// pages (no per-value objects, buffers reused across row groups and files). Each column chunk is one data page
/// (v1). INTEGER columns are DELTA_BINARY_PACKED and uncompressed (<see cref="ParquetIntegerEncoding"/>; PLAIN with
/// Snappy on request); timestamps, dates and decimals are PLAIN and strings are compressed with Snappy, strings
/// with a dictionary page when their values repeat
/// (RLE_DICTIONARY indices, bit-packed); definition levels are RLE/bit-packed; every chunk has min, max and null
/// count statistics (TypeDefinedOrder) and its encoding_stats. Columns must be written in schema order, one row group at a time:
/// <see cref="BeginRowGroup"/>, one Write call per column, <see cref="EndRowGroup"/>; <see cref="Complete"/> writes the
/// footer. Invariants: the same values always give the same bytes; the output is read by DuckDB and Parquet.Net
/// (tests/Highwater.Tests/Columnar/ParquetFileWriterTests.cs).
/// </summary>
public sealed class ParquetFileWriter : IDisposable
{
    public const string CreatedBy = "highwater ParquetFileWriter 1";

    /// <summary>A string column is dictionary-encoded while its row group has at most this many distinct values.</summary>
    public const int MaxDictionaryEntries = 32_768;

    /// <summary>How many values of a string column are looked at before deciding it is too unique for a dictionary.</summary>
    private const int DictionarySample = 4096;

    private const int PrefetchDistance = 8;

    private const int TypeInt32 = 1, TypeInt64 = 2, TypeByteArray = 6;
    private const int EncodingPlain = 0, EncodingRle = 3, EncodingDeltaBinaryPacked = 5, EncodingRleDictionary = 8;
    private const int PageData = 0, PageDictionary = 2;
    private const int CodecUncompressed = 0, CodecSnappy = 1;
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;
    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;

    private readonly Stream _stream;
    private readonly IReadOnlyList<ParquetColumnSpec> _columns;
    private readonly IReadOnlyDictionary<string, string>? _metadata;
    private readonly List<RowGroupMeta> _rowGroups = [];
    private readonly PageBuffers _buffers;
    private readonly ParquetIntegerEncoding _integers;
    private long _position;
    private RowGroupMeta? _group;
    private bool _completed;

    public ParquetFileWriter(Stream stream, IReadOnlyList<ParquetColumnSpec> columns, IReadOnlyDictionary<string, string>? metadata = null,
        ParquetIntegerEncoding integers = ParquetIntegerEncoding.Delta)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ParquetFileWriter writes PLAIN values as the machine's little-endian bytes");
        foreach (var c in columns)
            if (c.Kind == ParquetValueKind.Decimal && c.Precision is < 1 or > 18)
                throw new ArgumentException($"column '{c.Name}': DECIMAL precision {c.Precision} does not fit INT64 (1 to 18)", nameof(columns));
        _stream = stream;
        _columns = columns;
        _metadata = metadata;
        _integers = integers;
        _buffers = PageBuffers.Rent();
        _stream.Write(Magic);
        _position = Magic.Length;
    }

    public void BeginRowGroup(int rows)
    {
        if (_group is not null) throw new InvalidOperationException("the previous row group was not ended");
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        _group = new RowGroupMeta(rows, _position);
    }

    public void EndRowGroup()
    {
        var g = _group ?? throw new InvalidOperationException("no row group was begun");
        if (g.Columns.Count != _columns.Count)
            throw new InvalidOperationException($"the row group has {g.Columns.Count} of {_columns.Count} columns written");
        _rowGroups.Add(g);
        _group = null;
    }

    public void WriteInt64s(ReadOnlySpan<long> values)
    {
        var column = Next(ParquetValueKind.Int64, values.Length, nullable: false);
        WriteRequiredLongs(column, values);
    }

    public void WriteTimestamps(ReadOnlySpan<DateTime> values)
    {
        var column = Next(ParquetValueKind.TimestampMicrosUtc, values.Length, nullable: false);
        var longs = _buffers.Longs(values.Length);
        for (var i = 0; i < values.Length; i++) longs[i] = Micros(values[i]);
        WriteRequiredLongs(column, longs.AsSpan(0, values.Length));
    }

    public void WriteNullableInt32s(ReadOnlySpan<int?> values) => WriteNullableInt32s(ParquetValueKind.Int32, values, static v => v);

    /// <summary>Dates as days since the Unix epoch (the time of day is not kept).</summary>
    public void WriteNullableDates(ReadOnlySpan<DateTime?> values) =>
        WriteNullableInt32s(ParquetValueKind.Date, values, static v => (int)(v.Ticks / TimeSpan.TicksPerDay - EpochTicks / TimeSpan.TicksPerDay));

    private void WriteNullableInt32s<T>(ParquetValueKind kind, ReadOnlySpan<T?> values, Func<T, int> convert) where T : struct
    {
        var column = Next(kind, values.Length, nullable: true);
        var ints = _buffers.Ints(values.Length);
        var present = _buffers.Present(values.Length);
        var n = 0;
        for (var i = 0; i < values.Length; i++)
            if (values[i] is { } v) { ints[n++] = convert(v); present[i] = true; }
            else present[i] = false;
        WriteNullable(column, present.AsSpan(0, values.Length), ints.AsSpan(0, n));
    }

    /// <summary>Decimals as their unscaled INT64 at the column's scale; a value with more decimal places, or too large, is refused.</summary>
    public void WriteNullableDecimals(ReadOnlySpan<decimal?> values)
    {
        var column = Next(ParquetValueKind.Decimal, values.Length, nullable: true);
        var spec = _columns[column.Index];
        var factor = Pow10(spec.Scale);
        var limit = Pow10(spec.Precision) / factor;
        var longs = _buffers.Longs(values.Length);
        var present = _buffers.Present(values.Length);
        var n = 0;
        // The unscaled value is read from the decimal's bits when it has no more places than the column (money always
        // has): decimal arithmetic per value was most of the cost of these columns. Other values take the general path.
        var bound = spec.Precision <= 18 ? (ulong)Pow10(spec.Precision) : 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is not { } v) { present[i] = false; continue; }
            present[i] = true;
            if (bound > 0 && TryUnscaled(v, spec.Scale, bound, out longs[n]))
            {
                n++;
                continue;
            }
            var scaled = Math.Abs(v) < limit ? v * factor : 0.5m;
            if (decimal.Truncate(scaled) != scaled)
                throw new ArgumentException($"column '{spec.Name}': {v} does not fit DECIMAL({spec.Precision},{spec.Scale})");
            longs[n++] = (long)scaled;
        }
        WriteNullable(column, present.AsSpan(0, values.Length), longs.AsSpan(0, n));
    }

    /// <summary>Strings as UTF-8; dictionary-encoded when the row group's values repeat (see <see cref="MaxDictionaryEntries"/>).</summary>
    public void WriteStrings(ReadOnlySpan<string?> values) => WriteStrings(values, Next(ParquetValueKind.Utf8, values.Length, nullable: null));

    private void WriteStrings(ReadOnlySpan<string?> values, ColumnMeta column)
    {
        var spec = _columns[column.Index];
        var present = _buffers.Present(values.Length);
        var nulls = 0;
        for (var i = 0; i < values.Length; i++)
        {
            present[i] = values[i] is not null;
            if (values[i] is null) nulls++;
        }
        EnsureNullable(spec, nulls);
        if (TryDictionary(values, out var entries, out var indices))
        {
            WriteDictionaryChunk(column, values.Length, present.AsSpan(0, values.Length), nulls, entries, indices);
            return;
        }
        var body = _buffers.Body;
        body.ResetWrittenCount();
        WriteLevels(spec.Nullable, present.AsSpan(0, values.Length), nulls);
        FinishPlainChunk(column, values.Length, AppendByteArrays(body, values, nulls));
    }

    /// <summary>
    /// A string column held as UTF-8 (<paramref name="rows"/>: the positions of the row group's values in
    /// <paramref name="values"/>), written as <see cref="WriteStrings"/> writes the same strings. A column of mostly unique
    /// values (order_id), which <see cref="WriteStrings"/> writes PLAIN after looking at its first values, is written
    /// straight from the bytes; any other is turned into strings and written by <see cref="WriteStrings"/>.
    /// </summary>
    internal void WriteUtf8(Utf8Column values, ReadOnlySpan<int> rows)
    {
        var column = Next(ParquetValueKind.Utf8, rows.Length, nullable: null);
        var spec = _columns[column.Index];
        var present = _buffers.Present(rows.Length);
        var nulls = 0;
        for (var i = 0; i < rows.Length; i++)
            if (!(present[i] = !values.IsNull(rows[i]))) nulls++;
        EnsureNullable(spec, nulls);
        if (!IsPlainByFirstRun(values, rows, nulls))
        {
            var strings = _buffers.Strings(rows.Length);
            try
            {
                for (var i = 0; i < rows.Length; i++) strings[i] = values.StringAt(rows[i]);
                WriteStrings(strings.AsSpan(0, rows.Length), column);
            }
            finally
            {
                Array.Clear(strings, 0, rows.Length);
            }
            return;
        }
        var body = _buffers.Body;
        body.ResetWrittenCount();
        WriteLevels(spec.Nullable, present.AsSpan(0, rows.Length), nulls);
        int minRow = -1, maxRow = -1;
        Utf8Prefix minPrefix = default, maxPrefix = default;
        var span = Span<byte>.Empty;
        var at = 0;
        foreach (var row in rows)
        {
            var length = values.LengthAt(row);
            if (length < 0) continue;
            if (at + 4 + length + Utf8Column.CopySlack > span.Length)
            {
                body.Advance(at);
                span = body.GetSpan(Math.Max(4 + length + Utf8Column.CopySlack, 1 << 20));
                at = 0;
            }
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], length);
            var value = span.Slice(at + 4, length + Utf8Column.CopySlack);
            values.CopyTo(row, value);
            // Min and max by the first 16 bytes as two integers; only a tie compares the bytes.
            var p = Utf8Prefix.Of(value, length);
            if (minRow < 0 || Utf8Prefix.Compare(p, minPrefix, values, row, minRow) < 0) (minRow, minPrefix) = (row, p);
            if (maxRow < 0 || Utf8Prefix.Compare(p, maxPrefix, values, row, maxRow) > 0) (maxRow, maxPrefix) = (row, p);
            at += 4 + length;
        }
        body.Advance(at);
        FinishPlainChunk(column, rows.Length, new ColumnStats(nulls, minRow < 0 ? null : values[minRow].ToArray(), maxRow < 0 ? null : values[maxRow].ToArray()));
    }

    /// <summary>
    /// Whether <see cref="TryDictionary"/> would give up on these values after its first run (mostly unique values):
    /// the first run's values are counted as strings, which a row group of unique values pays for once.
    /// </summary>
    private bool IsPlainByFirstRun(Utf8Column values, ReadOnlySpan<int> rows, int nulls)
    {
        if (nulls == rows.Length) return true; // TryDictionary finds no entries
        var run = rows[..Math.Min(DictionarySample, rows.Length)];
        var strings = _buffers.Strings(run.Length);
        var d = _buffers.Dictionary;
        try
        {
            for (var i = 0; i < run.Length; i++) strings[i] = values.StringAt(run[i]);
            d.Clear();
            var ids = _buffers.Ints(run.Length);
            d.AddRange(strings.AsSpan(0, run.Length), ids);
            var n = 0;
            for (var i = 0; i < run.Length; i++)
                if (ids[i] >= 0) n++;
            return GivesUpDictionary(0, n, d.Entries.Count);
        }
        finally
        {
            Array.Clear(strings, 0, run.Length);
            d.Clear();
        }
    }

    /// <summary>
    /// A string column given as ids into its distinct values (<paramref name="ids"/>[i] is the i-th row's position in
    /// <paramref name="values"/>, -1 for null), written exactly as <see cref="WriteStrings"/> writes the same strings:
    /// the dictionary is the values the row group uses, in first-use order, and is decided on as there.
    /// </summary>
    internal void WriteStringIds(ReadOnlySpan<int> ids, List<string> values)
    {
        var column = Next(ParquetValueKind.Utf8, ids.Length, nullable: null);
        var spec = _columns[column.Index];
        var present = _buffers.Present(ids.Length);
        var nulls = 0;
        for (var i = 0; i < ids.Length; i++)
            if (!(present[i] = ids[i] >= 0)) nulls++;
        EnsureNullable(spec, nulls);
        var firstUse = _buffers.FirstUse;
        firstUse.Reset(values.Count);
        var indices = _buffers.Ints(ids.Length);
        var n = 0;
        var dictionary = true;
        for (var from = 0; from < ids.Length && dictionary; from += DictionarySample)
        {
            var to = Math.Min(ids.Length, from + DictionarySample);
            for (var i = from; i < to; i++)
                if (ids[i] >= 0) indices[n++] = firstUse.Map(ids[i]);
            dictionary = !GivesUpDictionary(from, n, firstUse.Used.Count);
        }
        if (dictionary && firstUse.Used.Count > 0)
        {
            var entries = _buffers.Entries;
            entries.Clear();
            foreach (var id in firstUse.Used) entries.Add(values[id]);
            WriteDictionaryChunk(column, ids.Length, present.AsSpan(0, ids.Length), nulls, entries, indices);
            entries.Clear();
            return;
        }
        // Written plain, as WriteStrings writes the same strings (it comes to the same decision).
        var strings = _buffers.Strings(ids.Length);
        try
        {
            for (var i = 0; i < ids.Length; i++) strings[i] = ids[i] < 0 ? null : values[ids[i]];
            WriteStrings(strings.AsSpan(0, ids.Length), column);
        }
        finally
        {
            Array.Clear(strings, 0, ids.Length);
        }
    }

    /// <summary>PLAIN byte arrays of the non-null strings (a 4-byte length, then the UTF-8); their min and max as statistics.</summary>
    private static ColumnStats AppendByteArrays(ArrayBufferWriter<byte> body, ReadOnlySpan<string?> values, long nulls)
    {
        int minAt = -1, minLength = 0, maxAt = -1, maxLength = 0;
        for (var i = 0; i < values.Length; i++)
        {
            // The strings of a sorted partition lie all over the heap: ask for a later one's characters now.
            if (i + PrefetchDistance < values.Length) MemoryHints.Prefetch(values[i + PrefetchDistance]);
            if (values[i] is not { } s) continue;
            var at = body.WrittenCount + 4;
            var length = AppendByteArray(body, s);
            var written = body.WrittenSpan;
            var bytes = written.Slice(at, length);
            if (minAt < 0 || bytes.SequenceCompareTo(written.Slice(minAt, minLength)) < 0) (minAt, minLength) = (at, length);
            if (maxAt < 0 || bytes.SequenceCompareTo(written.Slice(maxAt, maxLength)) > 0) (maxAt, maxLength) = (at, length);
        }
        return new ColumnStats(nulls, minAt < 0 ? null : body.WrittenSpan.Slice(minAt, minLength).ToArray(),
            maxAt < 0 ? null : body.WrittenSpan.Slice(maxAt, maxLength).ToArray());
    }

    /// <summary>Writes the footer. The stream is left open.</summary>
    public void Complete()
    {
        if (_completed) return;
        if (_group is not null) throw new InvalidOperationException("the last row group was not ended");
        var footer = _buffers.Footer;
        footer.ResetWrittenCount();
        var t = new ThriftCompactWriter(footer);
        t.BeginStruct();
        t.I32Field(1, 1); // version
        t.StructListField(2, _columns.Count + 1);
        t.BeginStruct();
        t.StringField(4, "root");
        t.I32Field(5, _columns.Count);
        t.EndStruct();
        foreach (var c in _columns) SchemaElement(t, c);
        t.I64Field(3, _rowGroups.Sum(g => (long)g.Rows));
        t.StructListField(4, _rowGroups.Count);
        foreach (var g in _rowGroups) RowGroup(t, g);
        if (_metadata is { Count: > 0 })
        {
            t.StructListField(5, _metadata.Count);
            foreach (var (key, value) in _metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                t.BeginStruct();
                t.StringField(1, key);
                t.StringField(2, value);
                t.EndStruct();
            }
        }
        t.StringField(6, CreatedBy);
        t.StructListField(7, _columns.Count); // column_orders: TypeDefinedOrder for every column
        for (var i = 0; i < _columns.Count; i++)
        {
            t.BeginStruct();
            t.StructField(1);
            t.EndStruct();
            t.EndStruct();
        }
        t.EndStruct();
        _stream.Write(footer.WrittenSpan);
        Span<byte> tail = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(tail, footer.WrittenCount);
        Magic.CopyTo(tail[4..]);
        _stream.Write(tail);
        _stream.Flush();
        _completed = true;
    }

    public void Dispose() => PageBuffers.Return(_buffers);

    // ---- column chunks ----

    private ColumnMeta Next(ParquetValueKind kind, int count, bool? nullable)
    {
        var g = _group ?? throw new InvalidOperationException("BeginRowGroup must come before the columns");
        var index = g.Columns.Count;
        if (index >= _columns.Count) throw new InvalidOperationException("every column of the row group is written already");
        var spec = _columns[index];
        if (spec.Kind != kind || (nullable is { } n && n != spec.Nullable))
            throw new InvalidOperationException($"column '{spec.Name}' is {(spec.Nullable ? "nullable " : "")}{spec.Kind}, not {(nullable == true ? "nullable " : "")}{kind}");
        if (count != g.Rows) throw new ArgumentException($"column '{spec.Name}': {count:N0} values for a row group of {g.Rows:N0} rows");
        // Registered with the row group only once its pages are written: a call refused for its values leaves the
        // writer at the same column.
        return new ColumnMeta(index, count);
    }

    private void WriteRequiredLongs(ColumnMeta column, ReadOnlySpan<long> values)
    {
        var body = _buffers.Body;
        body.ResetWrittenCount();
        FinishIntegerChunk(column, values.Length, values, nulls: 0);
    }

    /// <summary>A nullable integer column: the levels of <paramref name="present"/>, then the present values.</summary>
    private void WriteNullable<T>(ColumnMeta column, ReadOnlySpan<bool> present, ReadOnlySpan<T> values)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>, ISignedNumber<T>
    {
        var body = _buffers.Body;
        body.ResetWrittenCount();
        var nulls = present.Length - values.Length;
        WriteLevels(true, present, nulls);
        FinishIntegerChunk(column, present.Length, values, nulls);
    }

    /// <summary>
    /// Appends an integer column's present values to the page body (after its levels) in the writer's
    /// <see cref="ParquetIntegerEncoding"/> and writes the chunk: an INTEGER column DELTA_BINARY_PACKED uncompressed, or
    /// PLAIN with Snappy (other kinds, and a page without values, which every reader takes as PLAIN).
    /// </summary>
    private void FinishIntegerChunk<T>(ColumnMeta column, int count, ReadOnlySpan<T> values, long nulls)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>, ISignedNumber<T>
    {
        var body = _buffers.Body;
        if (_integers == ParquetIntegerEncoding.Plain || values.IsEmpty ||
            _columns[column.Index].Kind is not (ParquetValueKind.Int32 or ParquetValueKind.Int64))
        {
            body.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
            FinishPlainChunk(column, count, MinMax(values, nulls));
            return;
        }
        DeltaBinaryPacked.Encode(values, body);
        column.Codec = CodecUncompressed;
        FinishChunk(column, count, MinMax(values, nulls), EncodingDeltaBinaryPacked);
    }

    /// <summary>Min and max statistics of integers, as their PLAIN (little-endian) bytes; the byte order is checked in the constructor.</summary>
    private static ColumnStats MinMax<T>(ReadOnlySpan<T> values, long nulls)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (values.IsEmpty) return new ColumnStats(nulls, null, null);
        T min = T.MaxValue, max = T.MinValue;
        foreach (var v in values)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return new ColumnStats(nulls, PlainBytes(min), PlainBytes(max));
    }

    private static byte[] PlainBytes<T>(T value) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();

    /// <summary>
    /// Definition levels of a nullable column at the start of the page body: a 4-byte length, then the RLE/bit-packed
    /// hybrid at bit width 1 (one RLE run when all values are present or all are null, else one bit-packed run).
    /// </summary>
    private void WriteLevels(bool nullable, ReadOnlySpan<bool> present, int nulls)
    {
        if (!nullable) return;
        var levels = _buffers.Levels;
        levels.ResetWrittenCount();
        var n = present.Length;
        if (nulls == 0 || nulls == n)
        {
            Varint(levels, (ulong)n << 1);
            levels.GetSpan(1)[0] = nulls == 0 ? (byte)1 : (byte)0;
            levels.Advance(1);
        }
        else
        {
            var groups = (n + 7) / 8;
            Varint(levels, ((ulong)groups << 1) | 1);
            var bits = levels.GetSpan(groups)[..groups];
            bits.Clear();
            for (var i = 0; i < n; i++)
                if (present[i]) bits[i >> 3] |= (byte)(1 << (i & 7));
            levels.Advance(groups);
        }
        var body = _buffers.Body;
        BinaryPrimitives.WriteInt32LittleEndian(body.GetSpan(4), levels.WrittenCount);
        body.Advance(4);
        body.Write(levels.WrittenSpan);
    }

    private void FinishPlainChunk(ColumnMeta column, int count, ColumnStats stats) => FinishChunk(column, count, stats, EncodingPlain);

    /// <summary>Writes the page body as the chunk's one data page in <paramref name="encoding"/> (levels RLE) and adds the chunk to the row group.</summary>
    private void FinishChunk(ColumnMeta column, int count, ColumnStats stats, int encoding)
    {
        column.Stats = stats;
        column.Encodings = _columns[column.Index].Nullable ? [encoding, EncodingRle] : [encoding];
        column.DataEncoding = encoding;
        column.DataPageOffset = _position;
        WritePage(column, PageData, count, encoding, _buffers.Body.WrittenSpan);
        _group!.Columns.Add(column);
    }

    /// <summary>
    /// Whether a column gives up its dictionary after the run of values starting at <paramref name="from"/>, with
    /// <paramref name="present"/> values that are not null so far and <paramref name="distinct"/> distinct ones: after the
    /// first run when they look unique (more than nine in ten distinct), after any run when they outgrow
    /// <see cref="MaxDictionaryEntries"/>. <see cref="WriteStrings"/> and <see cref="WriteStringIds"/> decide alike.
    /// </summary>
    private static bool GivesUpDictionary(int from, int present, int distinct) =>
        (from == 0 && present >= 64 && distinct > present * 9 / 10) || distinct > MaxDictionaryEntries;

    private static void EnsureNullable(ParquetColumnSpec spec, int nulls)
    {
        if (nulls > 0 && !spec.Nullable)
            throw new ArgumentException($"column '{spec.Name}' is required but {nulls:N0} of its values are null");
    }

    private bool TryDictionary(ReadOnlySpan<string?> values, out List<string> entries, out int[] indices)
    {
        var d = _buffers.Dictionary;
        d.Clear();
        entries = d.Entries;
        indices = _buffers.Ints(values.Length);
        // The first values decide whether to go on: a column of unique values, such as order_id, is not hashed whole.
        // The look must be long enough to see repeats in a column of a few thousand values drawn at random (sku: 4,000
        // values; 4,096 draws of them are ~64% distinct, while 1,024 draws were ~89% and the column was written plain,
        // at ten times the size); past it, the dictionary is given up only when it outgrows MaxDictionaryEntries.
        // In runs of that many values, so that a column outgrowing the dictionary is given up soon after it does.
        var n = 0; // the ids so far of the values that are not null
        for (var from = 0; from < values.Length; from += DictionarySample)
        {
            var run = values.Slice(from, Math.Min(DictionarySample, values.Length - from));
            var ids = indices.AsSpan(n, run.Length);
            d.AddRange(run, ids);
            foreach (var id in ids)
                if (id >= 0) indices[n++] = id;
            if (GivesUpDictionary(from, n, entries.Count)) return false;
        }
        return entries.Count > 0;
    }

    private void WriteDictionaryChunk(ColumnMeta column, int count, ReadOnlySpan<bool> present, int nulls, List<string> entries, int[] indices)
    {
        var spec = _columns[column.Index];
        // The dictionary page: the distinct values, PLAIN.
        var body = _buffers.Body;
        body.ResetWrittenCount();
        var stats = AppendByteArrays(body, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(entries)!, nulls);
        column.DictionaryPageOffset = _position;
        WritePage(column, PageDictionary, entries.Count, EncodingPlain, body.WrittenSpan);

        // The data page: levels, then the indices' bit width and the indices bit-packed.
        body.ResetWrittenCount();
        WriteLevels(spec.Nullable, present, nulls);
        var width = Math.Max(1, 32 - int.LeadingZeroCount(entries.Count - 1));
        var one = body.GetSpan(1);
        one[0] = (byte)width;
        body.Advance(1);
        BitPack(body, indices.AsSpan(0, count - nulls), width);
        column.Stats = stats;
        column.Encodings = spec.Nullable ? [EncodingPlain, EncodingRle, EncodingRleDictionary] : [EncodingPlain, EncodingRleDictionary];
        column.DataEncoding = EncodingRleDictionary;
        column.DataPageOffset = _position;
        WritePage(column, PageData, count, EncodingRleDictionary, body.WrittenSpan);
        _group!.Columns.Add(column);
    }

    /// <summary>One bit-packed run of the RLE/bit-packed hybrid: groups of eight values, LSB first, padded with zeros.</summary>
    private static void BitPack(ArrayBufferWriter<byte> body, ReadOnlySpan<int> values, int width)
    {
        var groups = (values.Length + 7) / 8;
        Varint(body, ((ulong)groups << 1) | 1);
        var bytes = groups * width;
        var span = body.GetSpan(bytes);
        ulong acc = 0;
        var bits = 0;
        var at = 0;
        for (var i = 0; i < groups * 8; i++)
        {
            var v = i < values.Length ? (uint)values[i] : 0u;
            acc |= (ulong)v << bits;
            bits += width;
            while (bits >= 8)
            {
                span[at++] = (byte)acc;
                acc >>= 8;
                bits -= 8;
            }
        }
        body.Advance(bytes);
    }

    private void WritePage(ColumnMeta column, int pageType, int count, int encoding, ReadOnlySpan<byte> body)
    {
        ReadOnlySpan<byte> stored = body;
        if (column.Codec == CodecSnappy)
        {
            var compressed = _buffers.Compressed(Snappier.Snappy.GetMaxCompressedLength(body.Length));
            stored = compressed.AsSpan(0, Snappier.Snappy.Compress(body, compressed));
        }
        var compressedLength = stored.Length;
        var header = _buffers.Header;
        header.ResetWrittenCount();
        var t = new ThriftCompactWriter(header);
        t.BeginStruct();
        t.I32Field(1, pageType);
        t.I32Field(2, body.Length);
        t.I32Field(3, compressedLength);
        if (pageType == PageData)
        {
            t.StructField(5);
            t.I32Field(1, count);
            t.I32Field(2, encoding);
            t.I32Field(3, EncodingRle);
            t.I32Field(4, EncodingRle);
            t.EndStruct();
        }
        else
        {
            t.StructField(7);
            t.I32Field(1, count);
            t.I32Field(2, encoding);
            t.EndStruct();
        }
        t.EndStruct();
        _stream.Write(header.WrittenSpan);
        _stream.Write(stored);
        _position += header.WrittenCount + compressedLength;
        column.Uncompressed += header.WrittenCount + body.Length;
        column.Compressed += header.WrittenCount + compressedLength;
    }

    // ---- footer ----

    private static int PhysicalType(ParquetValueKind kind) => kind switch
    {
        ParquetValueKind.Int32 or ParquetValueKind.Date => TypeInt32,
        ParquetValueKind.Utf8 => TypeByteArray,
        _ => TypeInt64,
    };

    private static void SchemaElement(ThriftCompactWriter t, ParquetColumnSpec c)
    {
        t.BeginStruct();
        t.I32Field(1, PhysicalType(c.Kind));
        t.I32Field(3, c.Nullable ? 1 : 0);
        t.StringField(4, c.Name);
        t.I32Field(6, c.Kind switch // converted type, for readers that predate logical types
        {
            ParquetValueKind.Utf8 => 0,
            ParquetValueKind.Decimal => 5,
            ParquetValueKind.Date => 6,
            ParquetValueKind.TimestampMicrosUtc => 10,
            ParquetValueKind.Int32 => 17,
            _ => 18,
        });
        if (c.Kind == ParquetValueKind.Decimal)
        {
            t.I32Field(7, c.Scale);
            t.I32Field(8, c.Precision);
        }
        t.StructField(10); // logical type (a union: exactly one field)
        switch (c.Kind)
        {
            case ParquetValueKind.Utf8:
                t.StructField(1);
                t.EndStruct();
                break;
            case ParquetValueKind.Decimal:
                t.StructField(5);
                t.I32Field(1, c.Scale);
                t.I32Field(2, c.Precision);
                t.EndStruct();
                break;
            case ParquetValueKind.Date:
                t.StructField(6);
                t.EndStruct();
                break;
            case ParquetValueKind.TimestampMicrosUtc:
                t.StructField(8);
                t.BoolField(1, true);
                t.StructField(2);
                t.StructField(2); // MICROS
                t.EndStruct();
                t.EndStruct();
                t.EndStruct();
                break;
            default:
                t.StructField(10);
                t.I8Field(1, c.Kind == ParquetValueKind.Int32 ? (sbyte)32 : (sbyte)64);
                t.BoolField(2, true);
                t.EndStruct();
                break;
        }
        t.EndStruct();
        t.EndStruct();
    }

    private void RowGroup(ThriftCompactWriter t, RowGroupMeta g)
    {
        t.BeginStruct();
        t.StructListField(1, g.Columns.Count);
        foreach (var c in g.Columns)
        {
            var spec = _columns[c.Index];
            t.BeginStruct();
            t.I64Field(2, c.DictionaryPageOffset ?? c.DataPageOffset);
            t.StructField(3);
            t.I32Field(1, PhysicalType(spec.Kind));
            t.I32ListField(2, c.Encodings);
            t.StringListField(3, [spec.Name]);
            t.I32Field(4, c.Codec);
            t.I64Field(5, c.Count);
            t.I64Field(6, c.Uncompressed);
            t.I64Field(7, c.Compressed);
            t.I64Field(9, c.DataPageOffset);
            if (c.DictionaryPageOffset is { } dictionary) t.I64Field(11, dictionary);
            t.StructField(12);
            t.I64Field(3, c.Stats.Nulls);
            if (c.Stats.Max is { } max) t.BinaryField(5, max);
            if (c.Stats.Min is { } min) t.BinaryField(6, min);
            t.EndStruct();
            // encoding_stats: how many pages of each type use each encoding (a reader, such as the gate, can tell from the
            // footer that every data page is dictionary-encoded without reading the pages).
            t.StructListField(13, c.DictionaryPageOffset is null ? 1 : 2);
            if (c.DictionaryPageOffset is not null) PageEncodingStats(t, PageDictionary, EncodingPlain);
            PageEncodingStats(t, PageData, c.DataEncoding);
            t.EndStruct();
            t.EndStruct();
        }
        t.I64Field(2, g.Columns.Sum(c => c.Uncompressed));
        t.I64Field(3, g.Rows);
        t.I64Field(5, g.Offset);
        t.I64Field(6, g.Columns.Sum(c => c.Compressed));
        t.EndStruct();
    }

    /// <summary>One PageEncodingStats entry: one page of <paramref name="pageType"/> in <paramref name="encoding"/>.</summary>
    private static void PageEncodingStats(ThriftCompactWriter t, int pageType, int encoding)
    {
        t.BeginStruct();
        t.I32Field(1, pageType);
        t.I32Field(2, encoding);
        t.I32Field(3, 1);
        t.EndStruct();
    }

    // ---- values ----

    private static int AppendByteArray(ArrayBufferWriter<byte> body, string s)
    {
        // Most values are ASCII: one vectorised narrowing into a span of the string's length; any other value is
        // encoded as UTF-8 in full.
        var span = body.GetSpan(4 + s.Length);
        int length;
        if (System.Text.Ascii.FromUtf16(s, span.Slice(4, s.Length), out _) == OperationStatus.Done) length = s.Length;
        else
        {
            span = body.GetSpan(4 + Encoding.UTF8.GetMaxByteCount(s.Length));
            length = Encoding.UTF8.GetBytes(s, span[4..]);
        }
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        body.Advance(4 + length);
        return length;
    }

    private static void Varint(ArrayBufferWriter<byte> body, ulong value) => ThriftCompactWriter.Varint(body, value);

    private static long Micros(DateTime utc) => (utc.Ticks - EpochTicks) / 10;

    /// <summary>
    /// The value unscaled to <paramref name="scale"/> places, when it has at most that many and its magnitude is below
    /// <paramref name="bound"/> (10^precision, unscaled); false otherwise (the caller then decides with decimal arithmetic).
    /// </summary>
    private static bool TryUnscaled(decimal value, int scale, ulong bound, out long unscaled)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        unscaled = 0;
        var places = (bits[3] >> 16) & 0xFF;
        if (bits[2] != 0 || places > scale) return false;
        var magnitude = (uint)bits[0] | (ulong)(uint)bits[1] << 32;
        for (; places < scale; places++)
        {
            if (magnitude >= bound) return false; // also keeps the multiplication below from overflowing
            magnitude *= 10;
        }
        if (magnitude >= bound) return false;
        unscaled = bits[3] < 0 ? -(long)magnitude : (long)magnitude;
        return true;
    }

    private static decimal Pow10(int n)
    {
        var p = 1m;
        for (var i = 0; i < n; i++) p *= 10;
        return p;
    }

    private readonly record struct ColumnStats(long Nulls, byte[]? Min, byte[]? Max);

    /// <summary>
    /// A UTF-8 value's first 16 bytes as two big-endian integers, zero past its end: when two prefixes differ they order
    /// their values as their bytes do (a shorter value that the other starts with is padded with zeros, and is less);
    /// when they are equal the values may still differ, past the 16th byte or in length.
    /// </summary>
    private readonly record struct Utf8Prefix(ulong High, ulong Low)
    {
        /// <summary>The prefix of a value of <paramref name="length"/> bytes at the start of <paramref name="sixteen"/> (at least 16 bytes).</summary>
        public static Utf8Prefix Of(ReadOnlySpan<byte> sixteen, int length)
        {
            ulong high = BinaryPrimitives.ReadUInt64BigEndian(sixteen), low = BinaryPrimitives.ReadUInt64BigEndian(sixteen[8..]);
            if (length <= 0) return default;
            if (length < 8) (high, low) = (high & ~0UL << (8 * (8 - length)), 0);
            else if (length == 8) low = 0;
            else if (length < 16) low &= ~0UL << (8 * (16 - length));
            return new Utf8Prefix(high, low);
        }

        /// <summary>The order of rows <paramref name="row"/> and <paramref name="other"/> of <paramref name="values"/>, whose prefixes these are.</summary>
        public static int Compare(Utf8Prefix a, Utf8Prefix b, Utf8Column values, int row, int other)
        {
            if (a.High != b.High) return a.High < b.High ? -1 : 1;
            if (a.Low != b.Low) return a.Low < b.Low ? -1 : 1;
            return values[row].SequenceCompareTo(values[other]);
        }
    }

    private sealed class ColumnMeta(int index, int count)
    {
        public int Index { get; } = index;
        public int Count { get; } = count;
        public int[] Encodings { get; set; } = [];
        /// <summary>The encoding of the chunk's one data page.</summary>
        public int DataEncoding { get; set; }
        /// <summary>The chunk's compression codec: Snappy, except for DELTA_BINARY_PACKED integers (already packed).</summary>
        public int Codec { get; set; } = CodecSnappy;
        public long DataPageOffset { get; set; }
        public long? DictionaryPageOffset { get; set; }
        public long Uncompressed { get; set; }
        public long Compressed { get; set; }
        public ColumnStats Stats { get; set; }
    }

    private sealed class RowGroupMeta(int rows, long offset)
    {
        public int Rows { get; } = rows;
        public long Offset { get; } = offset;
        public List<ColumnMeta> Columns { get; } = [];
    }

    /// <summary>
    /// The large buffers of one writer, reused by the next file instead of being allocated on the large-object heap
    /// for every file (a row group's column is up to a few MB).
    /// </summary>
    private sealed class PageBuffers
    {
        private static readonly System.Collections.Concurrent.ConcurrentBag<PageBuffers> Pool = [];

        public readonly ArrayBufferWriter<byte> Body = new(1 << 16);
        public readonly ArrayBufferWriter<byte> Levels = new(1 << 12);
        public readonly ArrayBufferWriter<byte> Header = new(256);
        public readonly ArrayBufferWriter<byte> Footer = new(4096);
        public readonly DistinctStrings Dictionary = new(4 * MaxDictionaryEntries);
        private long[] _longs = [];
        private int[] _ints = [];
        private bool[] _present = [];
        private byte[] _compressed = [];
        private string?[] _strings = [];
        public readonly List<string> Entries = [];
        public readonly FirstUseIds FirstUse = new();

        public static PageBuffers Rent() => Pool.TryTake(out var b) ? b : new PageBuffers();

        public static void Return(PageBuffers b)
        {
            b.Dictionary.Clear();
            Pool.Add(b);
        }

        public long[] Longs(int n) => _longs.Length >= n ? _longs : _longs = new long[n];
        public int[] Ints(int n) => _ints.Length >= n ? _ints : _ints = new int[n];
        public bool[] Present(int n) => _present.Length >= n ? _present : _present = new bool[n];
        public string?[] Strings(int n) => _strings.Length >= n ? _strings : _strings = new string?[n];
        public byte[] Compressed(int n) => _compressed.Length >= n ? _compressed : _compressed = new byte[n];
    }
}
