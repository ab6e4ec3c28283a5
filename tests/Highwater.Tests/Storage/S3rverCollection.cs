using Xunit;

namespace Highwater.Tests.Storage;

/// <summary>Test classes in this collection share one s3rver (and run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class S3rverCollection : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}
