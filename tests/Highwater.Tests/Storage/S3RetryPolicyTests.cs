using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Highwater.Pipeline.Core.Storage;
using Xunit;

namespace Highwater.Tests.Storage;

public sealed class S3RetryPolicyTests
{
    private static readonly S3FailureTranslator Translator = new("orders-bucket", "http://127.0.0.1:1");

    private static S3RetryPolicy Policy(int maxRetries) => new(maxRetries, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2));

    private static AmazonS3Exception ServiceError(string code, HttpStatusCode status) =>
        new($"server says {code}", ErrorType.Unknown, code, "request-id", status);

    private static Task<int> Run(S3RetryPolicy policy, Func<int, int> attempt, string key = "in/a.csv")
    {
        var calls = 0;
        return policy.ExecuteAsync(_ => Task.FromResult(attempt(++calls)),
            (e, attempts, transient) => Translator.Translate(e, "get", key, attempts, transient), CancellationToken.None);
    }

    public static TheoryData<Exception> TransientFaults() => new()
    {
        ServiceError("SlowDown", HttpStatusCode.ServiceUnavailable),
        ServiceError("InternalError", HttpStatusCode.InternalServerError),
        ServiceError("BadGateway", HttpStatusCode.BadGateway),
        ServiceError("GatewayTimeout", HttpStatusCode.GatewayTimeout),
        new HttpRequestException("Connection refused", new SocketException((int)SocketError.ConnectionRefused)),
        new TaskCanceledException("The request timed out"),
        new IOException("The response ended prematurely"),
    };

    [Theory]
    [MemberData(nameof(TransientFaults))]
    public async Task Transient_faults_are_retried_until_success(Exception fault)
    {
        var calls = 0;
        var result = await Run(Policy(3), n => { calls = n; return n < 3 ? throw fault : 42; });

        Assert.Equal(42, result);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_failure_names_bucket_key_and_attempts()
    {
        var calls = 0;
        var e = await Assert.ThrowsAsync<StorageException>(() =>
            Run(Policy(2), n => { calls = n; throw ServiceError("SlowDown", HttpStatusCode.ServiceUnavailable); }));

        Assert.Equal(3, calls);
        Assert.Contains("s3://orders-bucket/in/a.csv", e.Message);
        Assert.Contains("3 attempt", e.Message);
        Assert.Contains("SlowDown", e.Message);
        Assert.IsType<AmazonS3Exception>(e.InnerException);
    }

    [Theory]
    [InlineData("NoSuchBucket", HttpStatusCode.NotFound, "bucket name")]
    [InlineData("AccessDenied", HttpStatusCode.Forbidden, "credentials")]
    [InlineData("InvalidAccessKeyId", HttpStatusCode.Forbidden, "credentials")]
    [InlineData("SignatureDoesNotMatch", HttpStatusCode.Forbidden, "AWS_SECRET_ACCESS_KEY")]
    [InlineData("PermanentRedirect", HttpStatusCode.MovedPermanently, "region")]
    public async Task Permanent_faults_fail_at_once_saying_what_to_check(string code, HttpStatusCode status, string advice)
    {
        var calls = 0;
        var e = await Assert.ThrowsAsync<StorageException>(() =>
            Run(Policy(5), n => { calls = n; throw ServiceError(code, status); }));

        Assert.Equal(1, calls);
        Assert.Contains("orders-bucket", e.Message);
        Assert.Contains(advice, e.Message);
    }

    [Fact]
    public async Task Caller_cancellation_is_not_retried_or_wrapped()
    {
        using var cts = new CancellationTokenSource();
        var calls = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Policy(5).ExecuteAsync<int>(ct =>
        {
            calls++;
            cts.Cancel();
            ct.ThrowIfCancellationRequested();
            return Task.FromResult(1);
        }, (e, a, t) => Translator.Translate(e, "get", "k", a, t), cts.Token));

        Assert.Equal(1, calls);
    }

    [Fact]
    public void Backoff_grows_exponentially_up_to_the_maximum()
    {
        var policy = new S3RetryPolicy(10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

        Assert.InRange(policy.DelayBefore(1), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100));
        Assert.InRange(policy.DelayBefore(3), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400));
        Assert.InRange(policy.DelayBefore(10), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
    }
}
