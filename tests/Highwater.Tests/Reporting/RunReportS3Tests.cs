using System.Text;
using Highwater.Pipeline.Core.Reporting;
using Highwater.Pipeline.Core.State;
using Highwater.Tests.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Reporting;

/// <summary>The run report goes through the object store: a warehouse on S3 (s3rver) gets it too, and status reads row counts from there.</summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "s3rver")]
[Collection(S3rverCollection.Name)]
public sealed class RunReportS3Tests(S3rverFixture server) : IDisposable
{
    private readonly PipelineHarness _harness = new();

    [Fact]
    public async Task A_warehouse_on_S3_receives_the_report_and_status_counts_its_rows()
    {
        using var warehouse = server.CreateStore($"report/{Guid.NewGuid():N}");
        TempFolder.CopyDirectory(RepoRoot.Combine("samples", "landing"), _harness.Landing);
        Assert.True(await _harness.RunAsync(warehouse));

        var manifest = await HighWatermarkManifest.LoadAsync(warehouse);
        var prefix = RunReport.WarehousePrefix(manifest.LastRunId!);
        Assert.NotNull(await warehouse.HeadAsync(prefix + "report.html"));
        await using (var body = await warehouse.OpenReadAsync(prefix + "report.json"))
        using (var reader = new StreamReader(body, Encoding.UTF8))
        {
            var report = RunReport.FromJson(await reader.ReadToEndAsync());
            Assert.Equal(manifest.LastRunId, report.RunId);
            Assert.Equal(["2026-01-25", "2026-01-26"], report.Daily.Select(d => d.Dt).ToList());
        }

        var rows = await PartitionRowCounts.ReadAsync(warehouse, manifest, CancellationToken.None);
        Assert.Equal(PartitionKeys(manifest), rows["sales_mart"].Keys.ToList());
        Assert.Equal(25, rows["sales_mart"].Values.Sum());
    }

    private static List<string> PartitionKeys(HighWatermarkManifest m) => m.Partitions("sales_mart").Keys.ToList();

    public void Dispose() => _harness.Dispose();
}
