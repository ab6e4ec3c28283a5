using System.Security.Cryptography;
using Xunit;

namespace Highwater.Tests.Storage;

/// <summary>Objects move byte-exact between the AWS CLI and <see cref="S3ObjectStore"/> through s3rver.</summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "s3rver")]
[Trait("Needs", "awscli")]
[Collection(S3rverCollection.Name)]
public sealed class AwsCliInteropTests(S3rverFixture server) : IDisposable
{
    private readonly string _prefix = $"awscli/{Guid.NewGuid():N}";
    private readonly string _work = Directory.CreateTempSubdirectory("highwater-awscli-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Theory]
    [InlineData("landing/orders 2024-01 €.csv", 1_234)]
    [InlineData("landing/big-export.bin", 9 * 1024 * 1024 + 77)] // above the CLI's 8 MiB multipart threshold
    public async Task An_object_staged_by_the_AWS_CLI_is_listed_and_read_back_byte_exact(string key, int size)
    {
        var file = Path.Combine(_work, "staged.bin");
        var bytes = RandomNumberGenerator.GetBytes(size);
        await File.WriteAllBytesAsync(file, bytes);

        await AwsCli.RunAsync(server.Endpoint, "s3", "cp", file, $"s3://{S3rverFixture.DefaultBucket}/{_prefix}/{key}");

        using var store = server.CreateStore(_prefix);
        var listed = await store.ListAsync("landing/").ToListAsync();
        var only = Assert.Single(listed);
        Assert.Equal(key, only.Key);
        Assert.Equal(size, only.Size);
        await using var read = await store.OpenReadAsync(key);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Theory]
    [InlineData("out/small ñ.json", 5_000)]
    [InlineData("out/multipart.bin", 17 * 1024 * 1024 + 5)] // above our 16 MiB multipart threshold
    public async Task An_object_written_by_the_store_is_downloaded_byte_exact_by_the_AWS_CLI(string key, int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        using (var store = server.CreateStore(_prefix))
            await store.PutAsync(key, new MemoryStream(bytes));

        var file = Path.Combine(_work, "downloaded.bin");
        await AwsCli.RunAsync(server.Endpoint, "s3", "cp", $"s3://{S3rverFixture.DefaultBucket}/{_prefix}/{key}", file);

        Assert.Equal(bytes, await File.ReadAllBytesAsync(file));
    }
}
