using Highwater.Cli;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Cli;

/// <summary>
/// --mart-integers: the mart's INTEGER columns are DELTA_BINARY_PACKED by default and PLAIN with Snappy when asked, as
/// DuckDB sees the published files; any other value is a configuration error naming the option.
/// </summary>
public sealed class MartIntegersOptionTests : IDisposable
{
    private readonly PipelineHarness _harness = new();

    private string UserIdEncodings()
    {
        var files = Directory.GetFiles(Path.Combine(_harness.WarehouseRoot, "gold", "sales_mart"), "*.parquet", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        using var db = new DuckDb();
        return string.Join(",", files.Select(f => db.Scalar<string>(
            $"SELECT string_agg(DISTINCT encodings || '/' || compression, ',') FROM parquet_metadata('{f}') WHERE path_in_schema = 'user_id'")).Distinct());
    }

    [Theory]
    [InlineData(null, "DELTA_BINARY_PACKED/UNCOMPRESSED")]
    [InlineData("plain", "PLAIN/SNAPPY")]
    public async Task The_published_mart_writes_user_id_as_the_option_says(string? value, string expected)
    {
        EventFixtures.LandDay(_harness.Landing, new DateOnly(2026, 4, 1), "a.json", 40, seed: 5, orderPrefix: "A");
        var option = value is null ? [] : new[] { $"--mart-integers={value}" };

        var run = await _harness.CliAsync(["run", .. option]);

        Assert.True(run.Code == 0, run.Err);
        Assert.Equal(expected, UserIdEncodings());
    }

    [Fact]
    public async Task Another_value_is_a_configuration_error_naming_the_option()
    {
        var result = await _harness.CliAsync("discover", "--mart-integers=zigzag");

        Assert.Equal(ExitCodes.Configuration, result.Code);
        Assert.Contains("--mart-integers", result.Err);
    }

    public void Dispose() => _harness.Dispose();
}
