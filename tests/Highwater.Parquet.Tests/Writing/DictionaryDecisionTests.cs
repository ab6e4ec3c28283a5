using Highwater.Parquet.Writing;
using Xunit;

namespace Highwater.Parquet.Tests.Writing;

/// <summary>
/// The dictionary decision's estimate (<see cref="ParquetFileWriter.ExpectedDistinct"/>): from the first run of a
/// column, how many distinct values the whole column has. Checked against columns drawn at random (fixed seeds).
/// </summary>
public sealed class DictionaryDecisionTests
{
    [Theory]
    [InlineData(5, 300_000)]        // channel
    [InlineData(4_000, 300_000)]    // sku, the shipped generator
    [InlineData(40_000, 300_000)]   // sku, producers' data
    [InlineData(40_000, 20_000)]    // a small row group of them
    [InlineData(250_000, 300_000)]  // nearly unique
    [InlineData(1_000_000, 300_000)]
    public void The_estimate_from_the_first_run_is_within_a_tenth_of_the_columns_distinct_values(int values, int rows)
    {
        const int seed = 20261207;
        var random = new Random(seed);
        var column = new int[rows];
        for (var i = 0; i < rows; i++) column[i] = random.Next(values);
        const int sample = 4096;
        var sampleDistinct = column.Take(sample).Distinct().Count();
        var actual = column.Distinct().Count();

        var expected = ParquetFileWriter.ExpectedDistinct(sample, sampleDistinct, rows);

        Assert.True(Math.Abs(expected - actual) <= 0.1 * actual,
            $"seed {seed}: {values} values in {rows} rows: {actual} distinct, estimated {expected:F0} from {sampleDistinct} in the first {sample}");
    }

    [Fact]
    public void A_first_run_without_repeats_is_taken_as_unique_and_a_saturated_one_as_all_there_is()
    {
        Assert.Equal(300_000, ParquetFileWriter.ExpectedDistinct(4096, 4096, 300_000));
        Assert.InRange(ParquetFileWriter.ExpectedDistinct(4096, 3, 300_000), 3, 3.01);
        Assert.InRange(ParquetFileWriter.ExpectedDistinct(4096, 4090, 5000), 4090, 5000); // never more than the column's values
    }
}
