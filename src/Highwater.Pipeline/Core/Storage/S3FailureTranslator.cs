using System.Net;
using Amazon.Runtime;

namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// Turns AWS SDK failures into <see cref="StorageException"/>s whose messages name the bucket, the key and
/// what to check. Messages are built from error codes, status codes and server messages only, never from
/// the client's configuration, so they cannot carry secrets.
/// </summary>
internal sealed class S3FailureTranslator(string bucket, string endpoint)
{
    /// <summary>The failure of <paramref name="operation"/> on <paramref name="key"/> (null: the bucket itself) after <paramref name="attempts"/> attempts.</summary>
    public StorageException Translate(Exception e, string operation, string? key, int attempts, bool transient)
    {
        var target = key is null ? $"s3://{bucket}" : $"s3://{bucket}/{key}";
        if (transient)
            return new StorageException(
                $"S3 {operation} of {target} at {endpoint} failed after {attempts} attempt(s): {Reason(e)}. " +
                "Check that the endpoint is reachable and healthy (AWS_ENDPOINT_URL_S3, network, proxy); the failure looked temporary.", e);

        if (e is not AmazonServiceException service)
            return new StorageException($"S3 {operation} of {target} at {endpoint} failed: {Reason(e)}.", e);

        return service.ErrorCode switch
        {
            "NoSuchBucket" => new StorageException(
                $"S3 bucket '{bucket}' does not exist at {endpoint} ({operation} {target}): check the bucket name, the region (AWS_REGION) and the endpoint (AWS_ENDPOINT_URL_S3).", e),
            "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "ExpiredToken" or "InvalidToken" or "TokenRefreshRequired" => new StorageException(
                $"S3 rejected the credentials for bucket '{bucket}' at {endpoint} ({service.ErrorCode}, {operation} {target}): check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, session token expiry).", e),
            "PermanentRedirect" or "AuthorizationHeaderMalformed" or "IllegalLocationConstraintException" or "Redirect" => new StorageException(
                $"S3 bucket '{bucket}' is not in the region the client used at {endpoint} ({service.ErrorCode}, {operation} {target}): check the region (AWS_REGION).", e),
            "AccessDenied" or "AllAccessDisabled" or "AccountProblem" => new StorageException(
                $"S3 denied access to {target} at {endpoint} ({service.ErrorCode}, {operation}): check the credentials (AWS_PROFILE / AWS_ACCESS_KEY_ID) and that they are allowed to {operation} in bucket '{bucket}' (bucket policy, IAM).", e),
            _ when service.StatusCode == HttpStatusCode.Forbidden => new StorageException(
                $"S3 denied access to {target} at {endpoint} (HTTP 403, {operation}): check the credentials (AWS_PROFILE / AWS_ACCESS_KEY_ID), the region and the bucket policy for bucket '{bucket}'.", e),
            _ when service.StatusCode == HttpStatusCode.MovedPermanently => new StorageException(
                $"S3 bucket '{bucket}' answered with a redirect at {endpoint} ({operation} {target}): check the region (AWS_REGION) and the endpoint.", e),
            _ => new StorageException($"S3 {operation} of {target} at {endpoint} failed: {Reason(e)}.", e),
        };
    }

    private static string Reason(Exception e) => e switch
    {
        AmazonServiceException { StatusCode: not 0 } s => $"{s.ErrorCode ?? "error"} (HTTP {(int)s.StatusCode}){(string.IsNullOrWhiteSpace(s.Message) ? "" : " " + s.Message)}",
        OperationCanceledException => "the request timed out",
        _ => $"{Innermost(e).GetType().Name}: {Innermost(e).Message}",
    };

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
