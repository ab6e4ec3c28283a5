using System.Globalization;
using Highwater.Parquet;
using Highwater.Parquet.Reading;
using Parquet;
using Xunit;

namespace Highwater.Parquet.Tests.Support;

/// <summary>
/// Reads every column chunk of a file with the codec's <see cref="ColumnChunkDecoder"/> and with Parquet.Net, and
/// asserts the same array type, values, decimal scale, DateTime kind and nulls (shared with Highwater.Tests, which
/// links this file).
/// </summary>
internal static class ChunkDecoderComparison
{
    /// <summary>Compares every chunk the decoder reads with Parquet.Net's reading; returns how many it read.</summary>
    public static async Task<int> AssertSameAsParquetNetAsync(string path) => (await AssertSameAsParquetNetWithSlicesAsync(path)).Decoded;

    /// <summary>Also compares the string columns read as slices; returns how many chunks were read either way.</summary>
    public static async Task<(int Decoded, int DecodedSlices)> AssertSameAsParquetNetWithSlicesAsync(string path)
    {
        int decoded = 0, decodedSlices = 0;
        await using var reader = await ParquetReader.CreateAsync(path);
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            int rows = checked((int)rg.RowCount);
            foreach (var field in reader.Schema.DataFields)
            {
                if (ColumnChunkDecoder.TryReadSlices(path, reader.Metadata, rg, field, rows, new ColumnBufferPool()) is { } slices)
                {
                    // A string column without a dictionary: its slices hold the strings Parquet.Net reads.
                    decodedSlices++;
                    var strings = (string?[])await RowGroupColumns.ReadAsync(rg, field, rows, CancellationToken.None);
                    for (int i = 0; i < rows; i++)
                    {
                        Assert.Equal(strings[i] is null, slices.IsNull(i));
                        Assert.Equal(strings[i] ?? "", slices[i].ToString());
                    }

                    Assert.Equal(strings, slices.Strings);
                    slices.Release();
                }

                var direct = ColumnChunkDecoder.TryRead(path, reader.Metadata, rg, field, rows, new ColumnBufferPool());
                if (direct is null) continue;
                decoded++;
                var expected = await RowGroupColumns.ReadAsync(rg, field, rows, CancellationToken.None);
                Assert.Equal(expected.GetType(), direct.GetType());
                Assert.Equal(expected.Length, direct.Length);
                for (int i = 0; i < rows; i++)
                    Assert.True(Describe(expected.GetValue(i)) == Describe(direct.GetValue(i)),
                        $"{field.Name}[{i}] of row group {g}: {Describe(expected.GetValue(i))} read as {Describe(direct.GetValue(i))}");
            }
        }

        return (decoded, decodedSlices);
    }

    private static string Describe(object? value) => value switch
    {
        null => "null",
        DateTime d => $"{d.Ticks} {d.Kind}",
        decimal m => m.ToString(CultureInfo.InvariantCulture), // the scale shows: 1.50 is not 1.5
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => $"\"{value}\"",
    };
}
