using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Highwater.Parquet.Encodings;
using Highwater.Parquet.Metadata;
using Highwater.Parquet.Thrift;

namespace Highwater.Parquet.Writing;

/// <summary> The dictionary decision and dictionary-encoded chunks of string columns (a dictionary page, then RLE_DICTIONARY indices). </summary>
public sealed partial class ParquetFileWriter
{
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
            return GivesUpDictionary(0, n, d.Entries.Count, rows.Length);
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
            dictionary = !GivesUpDictionary(from, n, firstUse.Used.Count, ids.Length);
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

    /// <summary>
    /// Whether a column of <paramref name="total"/> values (nulls included) gives up its dictionary after the run of values starting at
    /// <paramref name="from"/>, with <paramref name="present"/> values that are not null so far and
    /// <paramref name="distinct"/> distinct ones: after any run when they outgrow <see cref="MaxDictionaryEntries"/>, and
    /// after the first run when the whole column is expected to (<see cref="ExpectedDistinct"/>) or to be more than nine
    /// in ten distinct, where a dictionary saves little and costs a hash of every value. <see cref="WriteStrings"/> and
    /// <see cref="WriteStringIds"/> decide alike.
    /// </summary>
    private static bool GivesUpDictionary(int from, int present, int distinct, int total)
    {
        if (distinct > MaxDictionaryEntries) return true;
        if (from != 0 || present < 64) return false;
        var expected = ExpectedDistinct(present, distinct, total);
        return expected > MaxDictionaryEntries || expected > 0.9 * total;
    }

    /// <summary>
    /// How many distinct values <paramref name="total"/> values are expected to have when a sample of
    /// <paramref name="sample"/> of them has <paramref name="distinct"/>: taking the values as drawn at random from a
    /// set of N, k draws show N·(1 − e^(−k/N)) distinct ones on average; N is solved from the sample, then k = total.
    /// The first run alone would misjudge a column of some tens of thousands of values as unique: 4,096 draws of
    /// 40,000 values are 95% distinct, yet a row group of 300,000 such rows has only 40,000.
    /// </summary>
    internal static double ExpectedDistinct(int sample, int distinct, int total)
    {
        if (distinct >= sample) return total; // no repeat at all: as unique as it can be told
        static double Seen(double n, int draws) => n * -double.ExpM1(-draws / n);
        // Seen(n, sample) grows with n from below `distinct` (at n = distinct) towards `sample`: bisect on a log scale.
        double low = distinct, high = distinct;
        while (Seen(high, sample) < distinct && high < 1e15) high *= 2;
        for (var i = 0; i < 60 && high / low > 1.0001; i++)
        {
            var mid = Math.Sqrt(low * high);
            if (Seen(mid, sample) < distinct) low = mid; else high = mid;
        }
        return Math.Min(total, Seen(high, total));
    }

    private bool TryDictionary(ReadOnlySpan<string?> values, out List<string> entries, out int[] indices)
    {
        var d = _buffers.Dictionary;
        d.Clear();
        entries = d.Entries;
        indices = _buffers.Ints(values.Length);
        // The first values decide whether to go on: a column of unique values, such as order_id, is not hashed whole.
        // The look must be long enough to see repeats in a column of a few thousand values drawn at random (sku: 4,000
        // values: 4,096 draws of 4,000 values repeat about a third of them, 1,024 draws hardly any, and a column
        // written plain for want of repeats is many times the size); past it, the dictionary is given up only when it outgrows MaxDictionaryEntries.
        // In runs of that many values, so that a column outgrowing the dictionary is given up soon after it does.
        var n = 0; // the ids so far of the values that are not null
        for (var from = 0; from < values.Length; from += DictionarySample)
        {
            var run = values.Slice(from, Math.Min(DictionarySample, values.Length - from));
            var ids = indices.AsSpan(n, run.Length);
            d.AddRange(run, ids);
            foreach (var id in ids)
                if (id >= 0) indices[n++] = id;
            if (GivesUpDictionary(from, n, entries.Count, values.Length)) return false;
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
        WritePage(column, ParquetPageType.Dictionary, entries.Count, ParquetEncoding.Plain, body.WrittenSpan);

        // The data page: levels, then the indices' bit width and the indices bit-packed.
        body.ResetWrittenCount();
        WriteLevels(spec.Nullable, present, nulls);
        var width = Math.Max(1, 32 - int.LeadingZeroCount(entries.Count - 1));
        var one = body.GetSpan(1);
        one[0] = (byte)width;
        body.Advance(1);
        HybridRle.BitPack(body, indices.AsSpan(0, count - nulls), width);
        column.Stats = stats;
        column.Encodings = spec.Nullable ? [ParquetEncoding.Plain, ParquetEncoding.Rle, ParquetEncoding.RleDictionary] : [ParquetEncoding.Plain, ParquetEncoding.RleDictionary];
        column.DataEncoding = ParquetEncoding.RleDictionary;
        column.DataPageOffset = _position;
        WritePage(column, ParquetPageType.Data, count, ParquetEncoding.RleDictionary, body.WrittenSpan);
        _group!.Columns.Add(column);
    }
}
