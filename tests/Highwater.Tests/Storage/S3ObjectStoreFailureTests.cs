using System.Text;
using Highwater.Pipeline.Core.Storage;
using Xunit;

namespace Highwater.Tests.Storage;

/// <summary>How <see cref="S3ObjectStore"/> fails against s3rver: wrong bucket, rejected key, stopped server.</summary>
[Trait("Kind", "Integration")]
[Trait("Needs", "s3rver")]
[Collection(S3rverCollection.Name)]
public sealed class S3ObjectStoreFailureTests(S3rverFixture server)
{
    private const string Secret = "Sup3r-Secret-Value-Never-Printed";

    [Fact]
    public async Task A_missing_bucket_fails_every_operation_naming_the_bucket_and_what_to_check()
    {
        using var store = server.CreateStore("p", bucket: "no-such-bucket-hw");

        var failures = new List<StorageException>
        {
            await Assert.ThrowsAsync<StorageException>(async () => await store.ListAsync("").ToListAsync()),
            await Assert.ThrowsAsync<StorageException>(() => store.HeadAsync("k.txt")),
            await Assert.ThrowsAsync<StorageException>(() => store.OpenReadAsync("k.txt")),
            await Assert.ThrowsAsync<StorageException>(() => store.PutAsync("k.txt", new MemoryStream([1, 2]))),
        };

        Assert.All(failures, e =>
        {
            Assert.IsNotType<ObjectNotFoundException>(e);
            Assert.Contains("'no-such-bucket-hw' does not exist", e.Message);
            Assert.Contains("bucket name", e.Message);
            Assert.Contains("region", e.Message);
            Assert.Contains("endpoint", e.Message);
            Assert.Contains(server.Endpoint.Authority, e.Message);
        });
    }

    [Fact]
    public async Task A_rejected_access_key_says_to_check_the_credentials_without_showing_the_secret()
    {
        var options = server.CreateOptions() with { Credentials = new S3Credentials("NOT-S3RVER", Secret) };
        using var store = server.CreateStore("p", options);

        var e = await Assert.ThrowsAsync<StorageException>(() => store.PutAsync("k.txt", new MemoryStream([1])));

        Assert.Contains(S3rverFixture.DefaultBucket, e.Message);
        Assert.Contains("credentials", e.Message);
        Assert.Contains("InvalidAccessKeyId", e.Message);
        Assert.DoesNotContain(Secret, e.ToString());
        Assert.DoesNotContain(Secret, store.Description);
    }

    [Fact]
    public async Task Secrets_never_appear_in_descriptions_or_failure_messages()
    {
        var options = server.CreateOptions() with { Credentials = new S3Credentials(S3rverFixture.AccessKey, Secret, "Session-" + Secret) };
        using var store = server.CreateStore("secrets", options, bucket: "no-such-bucket-hw");
        using var unreachable = new S3ObjectStore(S3rverFixture.DefaultBucket, "p", options with { ServiceUrl = new Uri("http://127.0.0.1:1"), MaxRetries = 1 });

        var texts = new List<string>
        {
            options.ToString(),
            store.Description,
            store.ToString(),
            (await Assert.ThrowsAsync<StorageException>(() => store.HeadAsync("k"))).ToString(),
            (await Assert.ThrowsAsync<StorageException>(() => unreachable.PutAsync("k", new MemoryStream([1])))).ToString(),
        };

        Assert.All(texts, text => Assert.DoesNotContain(Secret, text));
    }

    [Fact]
    public async Task A_stopped_server_fails_after_bounded_retries_and_a_restarted_one_serves_the_data_again()
    {
        await using var own = await S3rverFixture.StartNewAsync(S3rverFixture.DefaultBucket);
        using var store = own.CreateStore("outage", own.CreateOptions() with { MaxRetries = 2 });
        await store.PutAsync("in/file.csv", new MemoryStream(Encoding.UTF8.GetBytes("a,b\n1,2\n")));

        own.Stop();
        var e = await Assert.ThrowsAsync<StorageException>(() => store.HeadAsync("in/file.csv"));
        var put = await Assert.ThrowsAsync<StorageException>(() => store.PutAsync("in/other.csv", new MemoryStream([1])));
        var list = await Assert.ThrowsAsync<StorageException>(async () => await store.ListAsync("in/").ToListAsync());

        Assert.Contains($"s3://{S3rverFixture.DefaultBucket}/outage/in/file.csv", e.Message);
        Assert.Contains("after 3 attempt(s)", e.Message);
        Assert.Contains("reachable", e.Message);
        Assert.Contains("outage/in/other.csv", put.Message);
        Assert.Contains("after 3 attempt(s)", list.Message);

        await own.StartAsync();
        Assert.Equal(["in/file.csv"], await store.ListAsync("in/").Select(o => o.Key).ToListAsync());
        await using var read = await store.OpenReadAsync("in/file.csv");
        Assert.Equal("a,b\n1,2\n", await new StreamReader(read).ReadToEndAsync());
    }

    [Fact]
    public async Task A_read_interrupted_by_a_server_restart_still_returns_every_byte()
    {
        await using var own = await S3rverFixture.StartNewAsync(S3rverFixture.DefaultBucket);
        using var store = own.CreateStore("restart", own.CreateOptions() with { MaxRetries = 5 });
        const long size = 24L * 1024 * 1024;
        await store.PutAsync("big.bin", new GeneratedStream(size, seed: 3));

        await using var read = await store.OpenReadAsync("big.bin");
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        var first = await read.ReadAtLeastAsync(buffer, buffer.Length);
        hash.AppendData(buffer, 0, first);

        own.Stop();
        await own.StartAsync();

        long total = first;
        int n;
        while ((n = await read.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            total += n;
        }
        Assert.Equal(size, total);
        Assert.Equal(GeneratedStream.HashOf(size, 3), hash.GetHashAndReset());
    }

    [Fact]
    public async Task A_server_listing_out_of_S3_order_fails_the_listing_instead_of_skipping_keys()
    {
        // s3rver walks folders: it lists 'x/a/1' before 'x/a-b', S3 (byte order) the other way round.
        using var store = server.CreateStore($"order/{Guid.NewGuid():N}");
        await store.PutAsync("x/a-b", new MemoryStream([1]));
        await store.PutAsync("x/a/1", new MemoryStream([2]));

        var e = await Assert.ThrowsAsync<StorageException>(async () => await store.ListAsync("x/").ToListAsync());

        Assert.Contains("S3 order", e.Message);
        Assert.Contains("x/a-b", e.Message);
    }
}
