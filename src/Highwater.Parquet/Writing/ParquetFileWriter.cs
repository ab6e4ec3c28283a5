using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Highwater.Parquet.Encodings;
using Highwater.Parquet.Metadata;
using Highwater.Parquet.Thrift;

namespace Highwater.Parquet.Writing;

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
/// (tests/Highwater.Parquet.Tests/Writing/ParquetFileWriterReadersTests.cs; the mart's files in
/// tests/Highwater.Tests/Columnar/ParquetFileWriterTests.cs).
/// </summary>
public sealed partial class ParquetFileWriter : IDisposable
{
    public const string CreatedBy = "highwater ParquetFileWriter 1";

    /// <summary>
    /// A string column is dictionary-encoded while its row group has at most this many distinct values: their ids take
    /// at most 16 bits, and the dictionary page of such a column of short strings stays under a megabyte.
    /// </summary>
    public const int MaxDictionaryEntries = 65_536;

    /// <summary>How many values of a string column are looked at before deciding it is too unique for a dictionary.</summary>
    private const int DictionarySample = 4096;

    private const int PrefetchDistance = 8;

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
        var unscaled = new DecimalColumn(_columns[column.Index]);
        var longs = _buffers.Longs(values.Length);
        var present = _buffers.Present(values.Length);
        var n = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is not { } v) { present[i] = false; continue; }
            present[i] = true;
            longs[n++] = unscaled.Of(v);
        }
        WriteNullable(column, present.AsSpan(0, values.Length), longs.AsSpan(0, n));
    }

    /// <summary>The decimals of a required column, as <see cref="WriteNullableDecimals"/> writes present values.</summary>
    public void WriteDecimals(ReadOnlySpan<decimal> values)
    {
        var column = Next(ParquetValueKind.Decimal, values.Length, nullable: false);
        var unscaled = new DecimalColumn(_columns[column.Index]);
        var longs = _buffers.Longs(values.Length);
        for (var i = 0; i < values.Length; i++) longs[i] = unscaled.Of(values[i]);
        WriteRequiredLongs(column, longs.AsSpan(0, values.Length));
    }

    /// <summary>The int64 values of a nullable column.</summary>
    public void WriteNullableInt64s(ReadOnlySpan<long?> values)
    {
        var column = Next(ParquetValueKind.Int64, values.Length, nullable: true);
        var longs = _buffers.Longs(values.Length);
        var present = _buffers.Present(values.Length);
        var n = 0;
        for (var i = 0; i < values.Length; i++)
            if (values[i] is { } v) { longs[n++] = v; present[i] = true; }
            else present[i] = false;
        WriteNullable(column, present.AsSpan(0, values.Length), longs.AsSpan(0, n));
    }

    /// <summary>A decimal as the unscaled INT64 of a DECIMAL(p,s) column; a value with more places than s, or too large, is refused.</summary>
    private readonly struct DecimalColumn(ParquetColumnSpec spec)
    {
        private readonly decimal _factor = Pow10(spec.Scale);
        private readonly decimal _limit = Pow10(spec.Precision) / Pow10(spec.Scale);
        // The unscaled value is read from the decimal's bits when it has no more places than the column (money always
        // has): decimal arithmetic per value was most of the cost of these columns. Other values take the general path.
        private readonly ulong _bound = spec.Precision <= 18 ? (ulong)Pow10(spec.Precision) : 0;

        public long Of(decimal v)
        {
            if (_bound > 0 && TryUnscaled(v, spec.Scale, _bound, out var unscaled)) return unscaled;
            var scaled = Math.Abs(v) < _limit ? v * _factor : 0.5m;
            if (decimal.Truncate(scaled) != scaled)
                throw new ArgumentException($"column '{spec.Name}': {v} does not fit DECIMAL({spec.Precision},{spec.Scale})");
            return (long)scaled;
        }
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

    public void Dispose() => PageBuffers.Return(_buffers);

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

    private static void EnsureNullable(ParquetColumnSpec spec, int nulls)
    {
        if (nulls > 0 && !spec.Nullable)
            throw new ArgumentException($"column '{spec.Name}' is required but {nulls:N0} of its values are null");
    }

}
