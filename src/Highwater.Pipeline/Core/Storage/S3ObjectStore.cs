using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// An S3 bucket plus key prefix as an object store, for AWS S3 and S3-compatible servers (see <see cref="S3Options"/>).
/// <list type="bullet">
/// <item>Listing is recursive (ListObjectsV2 without delimiter), paged, in the order S3 returns keys
/// (UTF-8 byte order, which equals ordinal UTF-16 order except for keys mixing characters above U+FFFF with
/// characters in U+E000..U+FFFF). A server that returns keys out of that order fails the listing with a
/// <see cref="StorageException"/> rather than letting start-after listings skip objects.</item>
/// <item>Bodies up to <see cref="S3Options.MultipartThresholdBytes"/> go in one PutObject; larger ones as a
/// multipart upload, part by part, so neither is buffered whole.</item>
/// <item>Transient failures are retried with backoff (<see cref="S3Options.MaxRetries"/>); reads resume
/// after a broken connection. Everything else fails at once with a <see cref="StorageException"/> naming the
/// bucket, the key and what to check.</item>
/// </list>
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly IAmazonS3 _client;
    private readonly string _bucket;
    private readonly string _rootPrefix; // "" or "prefix/"
    private readonly S3Options _options;
    private readonly S3RetryPolicy _retry;
    private readonly S3FailureTranslator _translator;
    private volatile bool _bucketConfirmed;

    /// <summary>Opens <c>s3://bucket/prefix</c> with the given options.</summary>
    /// <exception cref="ConfigurationException">The options are invalid or no client can be built from them.</exception>
    public S3ObjectStore(string bucket, string prefix, S3Options options)
        : this(S3ClientFactory.Create(options), bucket, prefix, options) { }

    /// <summary>Opens an <c>s3://</c> <see cref="StorageLocation"/> with the given options.</summary>
    public S3ObjectStore(StorageLocation location, S3Options options)
        : this(location.Bucket ?? throw new ArgumentException($"{location} is not an S3 location.", nameof(location)), location.Path, options) { }

    internal S3ObjectStore(IAmazonS3 client, string bucket, string prefix, S3Options options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        options.Validate();
        _client = client;
        _bucket = bucket;
        var trimmed = prefix.Trim('/');
        _rootPrefix = trimmed.Length == 0 ? "" : trimmed + "/";
        _options = options;
        _retry = new S3RetryPolicy(options.MaxRetries, options.RetryBaseDelay, options.RetryMaxDelay);
        var endpoint = options.ServiceUrl?.ToString().TrimEnd('/') ?? $"AWS S3 ({options.Region ?? "default region"})";
        _translator = new S3FailureTranslator(bucket, endpoint);
        Description = $"s3://{bucket}/{_rootPrefix}".TrimEnd('/') + (options.ServiceUrl is null ? "" : $" at {endpoint}");
    }

    /// <summary>The bucket.</summary>
    public string Bucket => _bucket;

    /// <summary>The key prefix every key is relative to: empty, or ending in '/'.</summary>
    public string RootPrefix => _rootPrefix;

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    /// <remarks>Every key of a bucket is an object, so nothing is ever added to <paramref name="unlisted"/>.</remarks>
    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, string? startAfter = null,
        [EnumeratorCancellation] CancellationToken ct = default, ICollection<UnlistedEntry>? unlisted = null)
    {
        string? token = null;
        byte[]? previous = null;
        var fullStartAfter = startAfter is null ? null : _rootPrefix + startAfter;
        do
        {
            var request = new ListObjectsV2Request
            {
                BucketName = _bucket,
                Prefix = _rootPrefix + prefix,
                MaxKeys = _options.ListPageSize,
                ContinuationToken = token,
                StartAfter = token is null ? fullStartAfter : null,
            };
            var page = await RunAsync("list", prefix.Length == 0 ? _rootPrefix : _rootPrefix + prefix + "*",
                c => _client.ListObjectsV2Async(request, c), ct).ConfigureAwait(false);
            _bucketConfirmed = true;
            foreach (var o in page.S3Objects ?? [])
            {
                if (!o.Key.StartsWith(_rootPrefix, StringComparison.Ordinal)) continue; // defensive: servers that ignore Prefix
                var keyBytes = Encoding.UTF8.GetBytes(o.Key);
                if (previous is not null && keyBytes.AsSpan().SequenceCompareTo(previous) <= 0)
                    throw new StorageException(
                        $"{Description} listed '{o.Key}' after '{Encoding.UTF8.GetString(previous)}': the server does not return keys in S3 order " +
                        "(UTF-8 byte order), so incremental listings (start-after) could skip objects. Use an S3 server that sorts keys " +
                        "(s3rver does not when a name continues with a character that sorts before '/', as in 'a-b' next to 'a/').");
                previous = keyBytes;
                yield return new StoredObject(o.Key[_rootPrefix.Length..], NormalizeETag(o.ETag), o.Size ?? 0, ToOffset(o.LastModified));
            }
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
    }

    /// <inheritdoc />
    public async Task<StoredObject?> HeadAsync(string key, CancellationToken ct = default)
    {
        var fullKey = FullKey(key);
        var found = await RunAsync<StoredObject?>("head", fullKey, async c =>
        {
            try
            {
                var r = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = fullKey }, c).ConfigureAwait(false);
                return new StoredObject(key, NormalizeETag(r.ETag), r.ContentLength, ToOffset(r.LastModified));
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
            {
                return null;
            }
        }, ct).ConfigureAwait(false);
        if (found is null) await ConfirmBucketAsync(ct).ConfigureAwait(false);
        return found;
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string key, CancellationToken ct = default) => OpenReadFromAsync(key, 0, ct);

    /// <inheritdoc />
    public async Task<Stream> OpenReadFromAsync(string key, long offset, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var fullKey = FullKey(key);
        var response = await GetAsync(key, fullKey, offset, null, ct).ConfigureAwait(false);
        var etag = response.ETag;
        var length = response.ContentLength; // of the range read: the object's length less offset
        return new ResumingObjectReadStream(new S3ResponseBodyStream(response), length,
            async (read, c) => new S3ResponseBodyStream(await GetAsync(key, fullKey, offset + read, etag, c).ConfigureAwait(false)),
            _options.MaxRetries);
    }

    /// <inheritdoc />
    public Task PutAsync(string key, Stream content, CancellationToken ct = default) =>
        UploadAsync(FullKey(key), content, ifAbsent: false, ct);

    /// <summary>Uploads the local file as <see cref="PutAsync"/> does: one PutObject, or multipart when it is large.</summary>
    public async Task PutFileAsync(string key, string localPath, CancellationToken ct = default)
    {
        await using var source = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read,
            bufferSize: 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        await UploadAsync(FullKey(key), source, ifAbsent: false, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <inheritdoc />
    /// Uses a conditional write (<c>If-None-Match: *</c>), which AWS S3 and MinIO enforce atomically.
    /// A HEAD first avoids sending the body when the key is taken; on servers that ignore
    /// <c>If-None-Match</c> (such as s3rver) that HEAD is the only check, so two writers racing for the
    /// same new key could both succeed there.
    /// </summary>
    public async Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken ct = default)
    {
        var fullKey = FullKey(key);
        if (await HeadAsync(key, ct).ConfigureAwait(false) is not null) return false;
        return await UploadAsync(fullKey, content, ifAbsent: true, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string key, CancellationToken ct = default)
    {
        var fullKey = FullKey(key);
        await RunAsync("delete", fullKey, async c =>
        {
            try
            {
                await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = fullKey }, c).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
            {
                // already gone
            }
            return true;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Releases the SDK client.</summary>
    public void Dispose() => _client.Dispose();

    /// <inheritdoc />
    public override string ToString() => Description;

    // ---- uploads ------------------------------------------------------------------------------

    /// <summary>Single PutObject up to the threshold, multipart above. Returns false when a conditional write found the key taken.</summary>
    private async Task<bool> UploadAsync(string fullKey, Stream content, bool ifAbsent, CancellationToken ct)
    {
        var threshold = (int)_options.MultipartThresholdBytes;
        // Read one byte past the threshold to learn whether the body fits a single request.
        var head = new byte[Math.Min(threshold + 1, 1 << 20)];
        var headLength = 0;
        while (true)
        {
            var n = await content.ReadAtLeastAsync(head.AsMemory(headLength), head.Length - headLength, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            headLength += n;
            if (headLength < head.Length || head.Length == threshold + 1) break;
            Array.Resize(ref head, (int)Math.Min(threshold + 1L, head.Length * 2L));
        }
        if (headLength <= threshold)
            return await PutSingleAsync(fullKey, head, headLength, ifAbsent, ct).ConfigureAwait(false);
        return await PutMultipartAsync(fullKey, head, headLength, content, ifAbsent, ct).ConfigureAwait(false);
    }

    private Task<bool> PutSingleAsync(string fullKey, byte[] body, int length, bool ifAbsent, CancellationToken ct) =>
        RunAsync(ifAbsent ? "put-if-absent" : "put", fullKey, async c =>
        {
            var request = new PutObjectRequest
            {
                BucketName = _bucket,
                Key = fullKey,
                InputStream = new MemoryStream(body, 0, length, writable: false),
                AutoCloseStream = true,
                UseChunkEncoding = _options.EffectiveUseChunkEncoding,
            };
            if (ifAbsent) request.IfNoneMatch = "*";
            try
            {
                await _client.PutObjectAsync(request, c).ConfigureAwait(false);
                return true;
            }
            catch (AmazonS3Exception e) when (ifAbsent && e.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                return false;
            }
        }, ct);

    private async Task<bool> PutMultipartAsync(string fullKey, byte[] head, int headLength, Stream rest, bool ifAbsent, CancellationToken ct)
    {
        var withChecksums = _options.EffectiveRequestChecksumCalculation != S3ChecksumMode.WhenRequired;
        var initiate = new InitiateMultipartUploadRequest { BucketName = _bucket, Key = fullKey };
        if (withChecksums) initiate.ChecksumAlgorithm = ChecksumAlgorithm.CRC32;
        var uploadId = (await RunAsync("start multipart upload", fullKey, c => _client.InitiateMultipartUploadAsync(initiate, c), ct)
            .ConfigureAwait(false)).UploadId;
        try
        {
            var parts = new List<PartETag>();
            var part = new byte[_options.MultipartPartSizeBytes];
            var headOffset = 0;
            for (var partNumber = 1; ; partNumber++)
            {
                // Fill the part from what was read ahead, then from the rest of the stream.
                var filled = Math.Min(part.Length, headLength - headOffset);
                Buffer.BlockCopy(head, headOffset, part, 0, filled);
                headOffset += filled;
                if (filled < part.Length)
                    filled += await rest.ReadAtLeastAsync(part.AsMemory(filled), part.Length - filled, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                if (filled == 0) break;

                var number = partNumber;
                var length = filled;
                var uploaded = await RunAsync($"upload part {number}", fullKey, c =>
                {
                    var request = new UploadPartRequest
                    {
                        BucketName = _bucket,
                        Key = fullKey,
                        UploadId = uploadId,
                        PartNumber = number,
                        InputStream = new MemoryStream(part, 0, length, writable: false),
                        PartSize = length,
                        UseChunkEncoding = _options.EffectiveUseChunkEncoding,
                    };
                    if (withChecksums) request.ChecksumAlgorithm = ChecksumAlgorithm.CRC32;
                    return _client.UploadPartAsync(request, c);
                }, ct).ConfigureAwait(false);
                parts.Add(new PartETag(uploaded));
                if (filled < part.Length) break;
            }

            var complete = new CompleteMultipartUploadRequest { BucketName = _bucket, Key = fullKey, UploadId = uploadId, PartETags = parts };
            if (ifAbsent) complete.IfNoneMatch = "*";
            return await RunAsync(ifAbsent ? "complete multipart upload (if absent)" : "complete multipart upload", fullKey, async c =>
            {
                try
                {
                    await _client.CompleteMultipartUploadAsync(complete, c).ConfigureAwait(false);
                    return true;
                }
                catch (AmazonS3Exception e) when (ifAbsent && e.StatusCode == HttpStatusCode.PreconditionFailed)
                {
                    return false;
                }
            }, ct).ConfigureAwait(false);
        }
        catch
        {
            await AbortQuietlyAsync(fullKey, uploadId).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Best effort: some servers (s3rver) refuse AbortMultipartUpload; lifecycle rules clean up the rest.</summary>
    private async Task AbortQuietlyAsync(string fullKey, string uploadId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = fullKey, UploadId = uploadId }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // the original failure is what matters
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    private Task<GetObjectResponse> GetAsync(string key, string fullKey, long offset, string? etag, CancellationToken ct) =>
        RunAsync(offset == 0 ? "get" : $"get from byte {offset}", fullKey, async c =>
        {
            var request = new GetObjectRequest { BucketName = _bucket, Key = fullKey };
            if (offset > 0) request.ByteRange = new ByteRange($"bytes={offset}-");
            if (etag is not null) request.EtagToMatch = etag;
            try
            {
                return await _client.GetObjectAsync(request, c).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
            {
                throw new ObjectNotFoundException(Description, key);
            }
            catch (AmazonS3Exception e) when (etag is not null && e.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                throw new StorageException($"s3://{_bucket}/{fullKey} was replaced while it was being read ({Description}); read it again.", e);
            }
        }, ct);

    /// <summary>A key missing only because the bucket is missing must not read as "no object": check the bucket once.</summary>
    private async Task ConfirmBucketAsync(CancellationToken ct)
    {
        if (_bucketConfirmed) return;
        await RunAsync("head bucket", null, async c =>
        {
            try
            {
                await _client.HeadBucketAsync(new HeadBucketRequest { BucketName = _bucket }, c).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                throw new AmazonS3Exception("The specified bucket does not exist", e, Amazon.Runtime.ErrorType.Sender,
                    "NoSuchBucket", e.RequestId, HttpStatusCode.NotFound);
            }
            return true;
        }, ct).ConfigureAwait(false);
        _bucketConfirmed = true;
    }

    private Task<T> RunAsync<T>(string operation, string? fullKey, Func<CancellationToken, Task<T>> call, CancellationToken ct) =>
        _retry.ExecuteAsync(call, (e, attempts, transient) => _translator.Translate(e, operation, fullKey, attempts, transient), ct);

    private string FullKey(string key)
    {
        if (string.IsNullOrEmpty(key) || key.StartsWith('/') || key.Split('/').Any(p => p is ".." or "."))
            throw new ArgumentException($"'{key}' is not a valid object key.", nameof(key));
        return _rootPrefix + key;
    }

    private static string NormalizeETag(string? etag) => etag?.Trim('"') ?? "";

    private static DateTimeOffset ToOffset(DateTime? t) => t is { } v
        ? new DateTimeOffset(v.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : v.ToUniversalTime(), TimeSpan.Zero)
        : DateTimeOffset.MinValue;
}
