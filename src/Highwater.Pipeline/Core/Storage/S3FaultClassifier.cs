using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;

namespace Highwater.Pipeline.Core.Storage;

/// <summary>Decides whether an S3 failure is worth retrying.</summary>
internal static class S3FaultClassifier
{
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "Throttling", "ThrottlingException", "RequestThrottled", "TooManyRequestsException",
        "RequestTimeout", "RequestTimeoutException", "InternalError", "ServiceUnavailable",
        "OperationAborted", "ConditionalRequestConflict",
    };

    /// <summary>
    /// True for throttling (503 SlowDown, 429), server errors (500, 502, 503, 504), refused or broken
    /// connections and timeouts. False for everything else, and for cancellation the caller asked for.
    /// </summary>
    public static bool IsTransient(Exception e, CancellationToken callerToken)
    {
        if (e is OperationCanceledException) return !callerToken.IsCancellationRequested; // a timeout, not the caller
        if (e is AmazonServiceException service && service.StatusCode != 0)
        {
            if (service.ErrorCode is { } code && TransientCodes.Contains(code)) return true;
            if (service.StatusCode is HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
                or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.TooManyRequests
                or HttpStatusCode.RequestTimeout)
                return true;
            return false;
        }
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException or SocketException or IOException or TimeoutException) return true;
        }
        return false;
    }
}
