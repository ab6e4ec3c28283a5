using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Highwater.Pipeline;
using Highwater.Pipeline.Core.Storage;
using Xunit;

namespace Highwater.Tests.Storage;

[Trait("Kind", "Integration")]
[Trait("Needs", "s3rver")]
[Collection(S3rverCollection.Name)]
public sealed class S3ClientFactoryTests(S3rverFixture server)
{
    [Fact]
    public void Against_AWS_the_SDK_defaults_are_kept()
    {
        using var client = S3ClientFactory.Create(new S3Options { Region = "eu-west-1" });
        var config = (AmazonS3Config)client.Config;

        Assert.IsNotType<UnchunkedS3Client>(client);
        Assert.False(config.ForcePathStyle);
        Assert.Equal(RequestChecksumCalculation.WHEN_SUPPORTED, config.RequestChecksumCalculation);
        Assert.Equal(ResponseChecksumValidation.WHEN_SUPPORTED, config.ResponseChecksumValidation);
        Assert.Equal("eu-west-1", config.RegionEndpoint?.SystemName);
        Assert.Equal(0, config.MaxErrorRetry);
    }

    [Fact]
    public void With_an_endpoint_override_the_client_uses_S3_compatible_settings()
    {
        using var client = S3ClientFactory.Create(new S3Options { ServiceUrl = new Uri("http://127.0.0.1:9000") });
        var config = (AmazonS3Config)client.Config;

        Assert.IsType<UnchunkedS3Client>(client);
        Assert.True(config.ForcePathStyle);
        Assert.Equal(RequestChecksumCalculation.WHEN_REQUIRED, config.RequestChecksumCalculation);
        Assert.Equal(ResponseChecksumValidation.WHEN_REQUIRED, config.ResponseChecksumValidation);
        Assert.Equal("us-east-1", config.AuthenticationRegion);
        Assert.StartsWith("http://127.0.0.1:9000", config.ServiceURL);
    }

    [Fact]
    public void An_unknown_profile_is_a_configuration_error_naming_it()
    {
        var e = Assert.Throws<ConfigurationException>(() =>
            S3ClientFactory.Create(new S3Options { ServiceUrl = new Uri("http://127.0.0.1:9000"), Profile = "highwater-no-such-profile" }));

        Assert.Contains("highwater-no-such-profile", e.Message);
        Assert.Contains("AWS_PROFILE", e.Message);
    }

    [Fact]
    public async Task The_pipeline_turns_chunk_encoding_off_even_when_a_request_asks_for_it()
    {
        using var client = S3ClientFactory.Create(server.CreateOptions());
        var bytes = RandomNumberGenerator.GetBytes(24);
        var key = $"chunking/{Guid.NewGuid():N}";

        await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = S3rverFixture.DefaultBucket,
            Key = key,
            InputStream = new MemoryStream(bytes),
            UseChunkEncoding = true,
        });

        using var response = await client.GetObjectAsync(S3rverFixture.DefaultBucket, key);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray()); // with aws-chunked framing s3rver would store ~200 bytes
    }
}
