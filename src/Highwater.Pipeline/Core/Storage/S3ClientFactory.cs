using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.S3;

namespace Highwater.Pipeline.Core.Storage;

/// <summary>Builds the AWS SDK client that <see cref="S3ObjectStore"/> uses from <see cref="S3Options"/>.</summary>
internal static class S3ClientFactory
{
    /// <summary>Creates the client. Retries are left to <see cref="S3RetryPolicy"/>, so the SDK's own are off.</summary>
    /// <exception cref="ConfigurationException">The profile is unknown or no region can be determined.</exception>
    public static IAmazonS3 Create(S3Options options)
    {
        options.Validate();
        var config = new AmazonS3Config { MaxErrorRetry = 0 };

        AWSCredentials? credentials = null;
        string? profileRegion = null;
        if (options.Credentials is { } explicitCredentials)
        {
            credentials = explicitCredentials.SessionToken is null
                ? new BasicAWSCredentials(explicitCredentials.AccessKeyId, explicitCredentials.SecretAccessKey)
                : new SessionAWSCredentials(explicitCredentials.AccessKeyId, explicitCredentials.SecretAccessKey, explicitCredentials.SessionToken);
        }
        else if (options.Profile is { } profile)
        {
            var chain = new CredentialProfileStoreChain();
            if (!chain.TryGetAWSCredentials(profile, out credentials))
                throw new ConfigurationException(
                    $"AWS profile '{profile}' was not found in ~/.aws/config or ~/.aws/credentials: check AWS_PROFILE or the profile name.");
            if (chain.TryGetProfile(profile, out var found)) profileRegion = found.Region?.SystemName;
        }

        var region = options.Region ?? profileRegion;
        if (options.ServiceUrl is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else
        {
            // Our options already read AWS_ENDPOINT_URL*; don't let the SDK pick them up behind our back.
            config.IgnoreConfiguredEndpointUrls = true;
            if (region is not null) config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        if (options.EffectiveForcePathStyle is { } pathStyle) config.ForcePathStyle = pathStyle;
        if (options.EffectiveRequestChecksumCalculation is { } request)
            config.RequestChecksumCalculation = request == S3ChecksumMode.WhenRequired
                ? RequestChecksumCalculation.WHEN_REQUIRED : RequestChecksumCalculation.WHEN_SUPPORTED;
        if (options.EffectiveResponseChecksumValidation is { } response)
            config.ResponseChecksumValidation = response == S3ChecksumMode.WhenRequired
                ? ResponseChecksumValidation.WHEN_REQUIRED : ResponseChecksumValidation.WHEN_SUPPORTED;
        if (options.RequestTimeout is { } timeout) config.Timeout = timeout;

        try
        {
            if (options.EffectiveUseChunkEncoding)
                return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
            return credentials is null ? new UnchunkedS3Client(config) : new UnchunkedS3Client(credentials, config);
        }
        catch (AmazonClientException e)
        {
            throw new ConfigurationException(
                $"Cannot create the S3 client ({e.Message}): set AWS_REGION, or an endpoint with AWS_ENDPOINT_URL_S3, and check the AWS credentials.", e);
        }
    }
}
