using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// AWS SDK pipeline step, placed before the signer, that turns off the <c>aws-chunked</c> upload framing
/// for every request, including the parts of multipart uploads. S3-compatible servers such as s3rver
/// would otherwise store the framing as part of the object's bytes.
/// </summary>
internal sealed class ChunkEncodingOffHandler : PipelineHandler
{
    public override void InvokeSync(IExecutionContext executionContext)
    {
        executionContext.RequestContext.Request.UseChunkEncoding = false;
        base.InvokeSync(executionContext);
    }

    public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
    {
        executionContext.RequestContext.Request.UseChunkEncoding = false;
        return base.InvokeAsync<T>(executionContext);
    }
}
