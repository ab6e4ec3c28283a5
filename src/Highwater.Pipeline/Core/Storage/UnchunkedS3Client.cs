using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;

namespace Highwater.Pipeline.Core.Storage;

/// <summary>An <see cref="AmazonS3Client"/> that never sends upload bodies in <c>aws-chunked</c> framing.</summary>
internal sealed class UnchunkedS3Client : AmazonS3Client
{
    public UnchunkedS3Client(AWSCredentials? credentials, AmazonS3Config config)
        : base(credentials, config) { }

    public UnchunkedS3Client(AmazonS3Config config)
        : base(config) { }

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.AddHandlerBefore<Signer>(new ChunkEncodingOffHandler());
    }
}
