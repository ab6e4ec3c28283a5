using System.Reflection;
using CsCheck;
using Highwater.Pipeline;
using Highwater.Pipeline.Core.Index;
using Highwater.Pipeline.Core.Mart;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;
using Highwater.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Highwater.Tests.Columnar;

/// <summary>
/// Work files that carry their column list (<c>HWIDX004</c> segments, <c>HWSPOOL3</c> spools): a reader takes the columns
/// it wants by name, so a file written with a column more, a column fewer or in another order reads without a new format.
/// The files here are written with column lists other than this build's, as a later or earlier build would write them.
/// </summary>
public sealed class SelfDescribingBlockTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _dir = new();
    private static readonly DateTime T0 = new(2026, 1, 25, 8, 0, 0, DateTimeKind.Utc);

    /// <summary>A record's value of a column, found by the column's name (order_id is OrderId): no list of columns here.</summary>
    private static object? ValueOf(object record, string column) =>
        record.GetType().GetProperty(column.Replace("_", ""), BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)!
            .GetValue(record);

    /// <summary>The values of a column for rows <paramref name="n"/>, typed as the kind's kernel takes them.</summary>
    private static Array Column(BlockEncoding kind, int n, Func<int, object?> value)
    {
        Array a = kind switch
        {
            BlockEncoding.PlainString or BlockEncoding.DictionaryString => new string?[n],
            BlockEncoding.Int64 => new long[n],
            BlockEncoding.Timestamp => new DateTime[n],
            BlockEncoding.NullableTimestamp => new DateTime?[n],
            BlockEncoding.NullableInt32 => new int?[n],
            BlockEncoding.NullableDecimal => new decimal?[n],
            BlockEncoding.NullableInt64 => new long?[n],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var type = Nullable.GetUnderlyingType(a.GetType().GetElementType()!) ?? a.GetType().GetElementType()!;
        for (var i = 0; i < n; i++)
            a.SetValue(value(i) is { } v && v.GetType() != type ? Convert.ChangeType(v, type, System.Globalization.CultureInfo.InvariantCulture) : value(i), i);
        return a;
    }

    /// <summary>One block of <paramref name="columns"/>, each column's values given by <paramref name="value"/> (row, column name).</summary>
    private static byte[] EncodeBlock(BlockColumns columns, int n, Func<int, string, object?> value) =>
        EncodeBlock(columns, n, columns.Columns.Select(c => Column(c.Kind, n, i => value(i, c.Name))).ToList());

    private static byte[] EncodeBlock(BlockColumns columns, int n, IReadOnlyList<Array> values)
    {
        var w = new ColumnBlockWriter();
        w.Begin(n);
        for (var c = 0; c < columns.Count; c++)
        {
            switch (columns.Columns[c].Kind)
            {
                case BlockEncoding.PlainString: w.PlainStrings((string?[])values[c]); break;
                case BlockEncoding.DictionaryString: w.DictionaryStrings((string?[])values[c]); break;
                case BlockEncoding.Int64: w.Int64s((long[])values[c]); break;
                case BlockEncoding.Timestamp: w.DateTimes((DateTime[])values[c]); break;
                case BlockEncoding.NullableTimestamp: w.NullableDateTimes((DateTime?[])values[c]); break;
                case BlockEncoding.NullableInt32: w.NullableInt32s((int?[])values[c]); break;
                case BlockEncoding.NullableDecimal: w.NullableDecimals((decimal?[])values[c]); break;
                case BlockEncoding.NullableInt64: w.NullableInt64s((long?[])values[c]); break;
            }
        }
        return w.Written.ToArray();
    }

    /// <summary>Every wanted column of a block, read through <paramref name="plan"/> with the kernel of its kind.</summary>
    private static List<Array> DecodeBlock(byte[] bytes, BlockPlan? plan, BlockColumns wanted)
    {
        var r = new ColumnBlockReader(bytes, new StringPool(), plan);
        var n = r.Rows;
        var values = new List<Array>();
        foreach (var c in wanted.Columns)
        {
            var a = Column(c.Kind, n, _ => null);
            switch (c.Kind)
            {
                case BlockEncoding.PlainString: r.PlainStrings((string?[])a); break;
                case BlockEncoding.DictionaryString: r.DictionaryStrings((string?[])a); break;
                case BlockEncoding.Int64: r.Int64s((long[])a); break;
                case BlockEncoding.Timestamp: r.DateTimes((DateTime[])a); break;
                case BlockEncoding.NullableTimestamp: r.NullableDateTimes((DateTime?[])a); break;
                case BlockEncoding.NullableInt32: r.NullableInt32s((int?[])a); break;
                case BlockEncoding.NullableDecimal: r.NullableDecimals((decimal?[])a); break;
                case BlockEncoding.NullableInt64: r.NullableInt64s((long?[])a); break;
            }
            values.Add(a);
        }
        return values;
    }

    /// <summary>The mart's columns reordered (reversed), without <paramref name="drop"/> and with <paramref name="extra"/> added in the middle.</summary>
    private static BlockColumns Evolved(BlockColumns current, string? drop, BlockColumn? extra)
    {
        var list = current.Columns.Where(c => c.Name != drop).Reverse().ToList();
        if (extra is { } e) list.Insert(list.Count / 2, e);
        return new BlockColumns(list);
    }

    private static List<MartRecord> MartRows(int n) => Enumerable.Range(0, n).Select(OrderIndexFixtureTests.FixtureRow).ToList();

    /// <summary>A segment as another build writes it: this format, <paramref name="columns"/> in its blocks, every value by name.</summary>
    private static byte[] Segment(BlockColumns columns, List<MartRecord> rows, Func<MartRecord, string, object?>? extra = null)
    {
        var filter = OrderIdFilter.For(rows.Count);
        foreach (var r in rows)
            if (r.OrderId is { } id) filter.Add(id);
        using var s = new MemoryStream();
        OrderIndexSegment.WriteBlocks(s, columns, filter, [new(null, Enumerable.Range(0, rows.Count).ToList())], positions =>
        {
            var p = positions.ToArray();
            return EncodeBlock(columns, p.Length, (i, name) =>
                BlockColumns.Mart.IndexOf(name) >= 0 ? ValueOf(rows[p[i]], name) : extra!(rows[p[i]], name));
        });
        return s.ToArray();
    }

    [Fact]
    public async Task A_segment_with_an_extra_column_a_missing_one_and_another_order_reads_by_name()
    {
        var rows = MartRows(300); // more than one narrow dictionary's worth of skus, nulls in every nullable column
        var columns = Evolved(BlockColumns.Mart, drop: "segment", extra: new BlockColumn("discount", BlockEncoding.NullableDecimal));
        var bytes = Segment(columns, rows, (r, _) => r.Qty is { } q ? q * 0.5m : null);

        var read = new List<MartRecord>();
        Assert.True(await MartTestRows.ReadSegmentAsync(new MemoryStream(bytes), "evolved.hwidx", read, keep: null, wanted: null));

        Assert.Equal(rows.Select(r => r with { Segment = null }), read); // segment missing: null; discount: not read
    }

    [Fact]
    public async Task A_segment_without_extra_or_missing_columns_in_another_order_reads_to_the_same_rows()
    {
        var rows = MartRows(50);
        var bytes = Segment(Evolved(BlockColumns.Mart, drop: null, extra: null), rows);

        var read = new List<MartRecord>();
        Assert.True(await MartTestRows.ReadSegmentAsync(new MemoryStream(bytes), "reordered.hwidx", read, keep: null, wanted: null));

        Assert.Equal(rows, read);
    }

    [Fact]
    public void Transforms_column_path_reads_an_evolved_spill_by_name_too()
    {
        var rows = MartRows(40);
        var columns = Evolved(BlockColumns.Mart, drop: "channel", extra: new BlockColumn("coupon_code", BlockEncoding.DictionaryString));
        var block = EncodeBlock(columns, rows.Count, (i, name) => name == "coupon_code" ? $"C{i % 3}" : ValueOf(rows[i], name));
        var into = new PartitionColumns();

        into.AppendBlock(block, new StringPool(), BlockPlan.For(columns, BlockColumns.Mart));

        Assert.Equal(rows.Select(r => r with { Channel = null }), into.Records());
    }

    [Fact]
    public void A_staging_spool_with_another_column_list_reads_by_name_through_its_footer()
    {
        var path = Path.Combine(_dir.Path, "staging.spool");
        var columns = Evolved(BlockColumns.Events, drop: "sku", extra: new BlockColumn("discount", BlockEncoding.NullableDecimal));
        var events = Enumerable.Range(0, 20).Select(i => new EventRecord(i % 4 == 0 ? null : $"O-{i}", i, T0.AddSeconds(i), T0.AddSeconds(2 * i),
            i % 3 == 0 ? null : i, i % 5 == 0 ? null : 1.25m * i, i % 2 == 0 ? "EUR" : null, $"SKU-{i}", "web", "events/a.json", i + 1)).ToList();
        using (var w = new PartitionedSpool.Writer(path, columns))
        {
            w.Append("07", EncodeBlock(columns, events.Count, (i, name) => name == "discount" ? 1m : ValueOf(events[i], name)), events.Count);
            w.Complete();
        }

        using var spool = PartitionedSpool.Reader.Open(path);
        Assert.Equal(columns, spool.Columns);
        var read = EventStagingReader.ReadPartition(spool, "07", new StringPool()).SelectMany(c => Enumerable.Range(0, c.Count).Select(i => c[i])).ToList();

        Assert.Equal(events.Select(e => e with { Sku = null }), read);
        Assert.Equal(["sku"], spool.PlanFor(BlockColumns.Events).Missing);
        Assert.Equal(["discount"], spool.PlanFor(BlockColumns.Events).Ignored);
    }

    [Fact]
    public async Task A_column_stored_with_another_encoding_is_refused_naming_the_file_and_the_column()
    {
        var columns = new BlockColumns(BlockColumns.Mart.Columns.Select(c => c.Name == "qty" ? c with { Kind = BlockEncoding.NullableDecimal } : c));
        var bytes = Segment(columns, MartRows(3), null);

        var e = await Assert.ThrowsAsync<DataException>(() =>
            MartTestRows.ReadSegmentAsync(new MemoryStream(bytes), "bucket=03/part-x.hwidx", [], null, null));

        Assert.Contains("bucket=03/part-x.hwidx", e.Message);
        Assert.Contains("qty", e.Message);
        Assert.Contains("--full-refresh", e.Message);
    }

    /// <summary>A segment cut or damaged inside its column list is refused with the file's name, before any block is read.</summary>
    [Theory]
    [InlineData(10, "ends early")] // inside the list's length
    [InlineData(30, "ends early")] // inside the list
    [InlineData(-1, "kind 9")] // the first column's kind byte damaged
    [InlineData(-2, "column list is said to be")] // the list's length damaged
    public async Task A_truncated_or_corrupt_segment_header_is_refused_with_the_file_name(int cutAt, string why)
    {
        var bytes = new MemoryStream();
        MartTestRows.WriteSegment(bytes, MartRows(5));
        var data = bytes.ToArray();
        if (cutAt > 0) data = data[..cutAt];
        else if (cutAt == -1) data[8 + 4 + 4] = 9;
        else data[8 + 3] = 0x40;

        var e = await Assert.ThrowsAsync<DataException>(() =>
            MartTestRows.ReadSegmentAsync(new MemoryStream(data), "wh/_highwater/order-index/bucket=01/part-r1-00000.hwidx", [], null, null));

        Assert.Contains("wh/_highwater/order-index/bucket=01/part-r1-00000.hwidx", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void A_spool_whose_column_list_is_damaged_is_refused_with_its_path()
    {
        var path = Path.Combine(_dir.Path, "damaged.spool");
        using (var w = new PartitionedSpool.Writer(path, BlockColumns.Events)) w.Complete();
        var bytes = File.ReadAllBytes(path);
        bytes[8 + 4] = 0; // the first column's kind: 0 is no encoding
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<InvalidDataException>(() => PartitionedSpool.Reader.Open(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("kind 0", e.Message);
    }

    [Fact]
    public void This_builds_column_lists_come_from_the_dataset_schemas()
    {
        Assert.Equal(Schemas.SalesMart.Schema.DataFields.Select(f => f.Name), BlockColumns.Mart.Columns.Select(c => c.Name));
        Assert.Equal(Schemas.Events.Schema.DataFields.Select(f => f.Name), BlockColumns.Events.Columns.Select(c => c.Name));
        // The frozen list of HWIDX003/002 is today's mart list; when the mart gains a column, the two part ways on purpose.
        Assert.Equal(OrderIndexSegment.FixedColumns, BlockColumns.Mart);
        var back = BlockColumns.FromBinary(BlockColumns.Mart.ToBinary(), out var length);
        Assert.Equal(BlockColumns.Mart, back);
        Assert.Equal(BlockColumns.Mart.ToBinary().Length, length);
    }

    /// <summary>
    /// Each of this build's block writers puts every column where the list its files store names it: read back by the
    /// list alone (a kernel per kind), each column holds the records' values of the property of that name. Two columns of
    /// one kind swapped between a schema and a writer would otherwise be written under each other's names.
    /// </summary>
    [Fact]
    public void Every_writer_puts_each_column_where_its_column_list_names_it()
    {
        var rows = MartRows(300);
        var positions = Enumerable.Range(0, rows.Count).ToArray();
        var fromColumns = new ColumnBlockWriter();
        MartTestRows.Columns(rows).Encode(fromColumns, positions);
        var events = Enumerable.Range(0, 300).Select(i => new EventRecord(i % 4 == 0 ? null : $"O-{i}", i, T0.AddSeconds(i), T0.AddSeconds(2 * i),
            i % 3 == 0 ? null : i, i % 5 == 0 ? null : 1.25m * i, i % 2 == 0 ? "EUR" : null, $"SKU-{i % 7}", $"ch-{i % 5}", $"k{i % 3}", i + 1)).ToList();
        var staged = new EventColumns(events.Count);
        foreach (var e in events) staged.Add(e);
        var fromEvents = new ColumnBlockWriter();
        staged.Encode(fromEvents);

        AssertColumnsByName(BlockColumns.Mart, fromColumns.Written.ToArray(), rows.Cast<object>().ToList());
        AssertColumnsByName(BlockColumns.Events, fromEvents.Written.ToArray(), events.Cast<object>().ToList());
    }

    private static void AssertColumnsByName(BlockColumns list, byte[] block, List<object> records)
    {
        var read = DecodeBlock(block, null, list);
        for (var c = 0; c < list.Count; c++)
        {
            var name = list.Columns[c].Name;
            var expected = Column(list.Columns[c].Kind, records.Count, i => ValueOf(records[i], name));
            Assert.True(new ArrayEquality().Equals(expected, read[c]), $"column {c + 1} of the block is not {name}");
        }
    }

    /// <summary>
    /// Random blocks of random column lists, every kind, encoded and decoded straight and by name (shuffled). CsCheck
    /// prints the seed of a failing case (set CsCheck_Seed to replay it).
    /// </summary>
    [Fact]
    public void Any_block_of_any_kinds_decodes_to_its_values()
    {
        var genString = Gen.OneOf(Gen.Const((string?)null), Gen.Const<string?>(""), Gen.String[Gen.Char.AlphaNumeric, 0, 8].Select(s => (string?)s),
            Gen.String[0, 300].Select(s => (string?)s), Gen.Int[0, 300].Select(i => (string?)$"v{i}"));
        var genTime = Gen.Long[0, DateTime.MaxValue.Ticks].Select(Gen.Enum<DateTimeKind>(), (t, k) => new DateTime(t, k));
        var genDecimal = Gen.Decimal.Select(d => (decimal?)d);
        var genColumn = Gen.Enum<BlockEncoding>().Select(Gen.Int[0, 2], (k, wide) => (k, wide));
        var gen = Gen.Int[0, 400].SelectMany(n => genColumn.Array[1, 9].SelectMany(kinds =>
            Gen.Select(kinds.Select(k => ValuesOf(k.k, k.wide, n)).ToArray().AsEnumerable().Aggregate(
                Gen.Const(new List<Array>()), (acc, g) => acc.SelectMany(list => g.Select(a => new List<Array>(list) { a }))),
                Gen.Int, (values, shuffle) => (n, kinds: kinds.Select(k => k.k).ToArray(), values, shuffle))));

        gen.Sample(t =>
        {
            var columns = new BlockColumns(t.kinds.Select((k, i) => new BlockColumn($"c{i}", k)));
            var bytes = EncodeBlock(columns, t.n, t.values);
            Assert.Equal(t.values, DecodeBlock(bytes, BlockPlan.Same(columns), columns), new ArrayEquality());
            // By name: wanted in another order, one column the file lacks, one of the file's not wanted.
            var rest = columns.Columns.Skip(1).ToList();
            var turn = rest.Count == 0 ? 0 : (int)((uint)t.shuffle % (uint)rest.Count);
            var rotated = rest.Skip(turn).Concat(rest.Take(turn));
            var wanted = new BlockColumns((t.shuffle % 2 == 0 ? rotated : rotated.Reverse()).Append(new BlockColumn("absent", BlockEncoding.NullableInt32)));
            var read = DecodeBlock(bytes, BlockPlan.For(columns, wanted), wanted);
            for (var w = 0; w < wanted.Count - 1; w++)
                Assert.Equal(t.values[columns.IndexOf(wanted.Columns[w].Name)], read[w], new ArrayEquality());
            Assert.All((int?[])read[^1], v => Assert.Null(v));
        }, writeLine: output.WriteLine);

        Gen<Array> ValuesOf(BlockEncoding kind, int wide, int n) => kind switch
        {
            BlockEncoding.PlainString or BlockEncoding.DictionaryString => (wide == 0 ? Gen.Int[0, 3].Select(i => (string?)$"s{i}") : genString).Array[n, n].Select(a => (Array)a),
            BlockEncoding.Int64 => Gen.Long.Array[n, n].Select(a => (Array)a),
            BlockEncoding.Timestamp => genTime.Array[n, n].Select(a => (Array)a),
            BlockEncoding.NullableTimestamp => genTime.Select(Gen.Bool, (v, b) => b ? (DateTime?)v : null).Array[n, n].Select(a => (Array)a),
            BlockEncoding.NullableInt32 => (wide == 0 ? Gen.Int[0, 255] : Gen.Int).Select(Gen.Bool, (v, b) => b ? (int?)v : null).Array[n, n].Select(a => (Array)a),
            BlockEncoding.NullableInt64 => Gen.Long.Select(Gen.Bool, (v, b) => b ? (long?)v : null).Array[n, n].Select(a => (Array)a),
            _ => genDecimal.Select(Gen.Bool, (v, b) => b ? v : null).Array[n, n].Select(a => (Array)a),
        };
    }

    /// <summary>Arrays equal value by value, and DateTimes also in their kind and decimals in their scale (record equality compares neither).</summary>
    private sealed class ArrayEquality : IEqualityComparer<Array>
    {
        public bool Equals(Array? x, Array? y) =>
            x!.Length == y!.Length && x.GetType() == y.GetType() && Enumerable.Range(0, x.Length).All(i => Same(x.GetValue(i), y.GetValue(i)));

        private static bool Same(object? a, object? b) => (a, b) switch
        {
            (DateTime p, DateTime q) => p == q && p.Kind == q.Kind,
            (decimal p, decimal q) => decimal.GetBits(p).SequenceEqual(decimal.GetBits(q)),
            _ => Equals(a, b),
        };

        public int GetHashCode(Array obj) => obj.Length;
    }

    public void Dispose() => _dir.Dispose();
}
