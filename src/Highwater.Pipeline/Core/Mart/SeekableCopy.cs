namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// Parquet readers seek (the footer comes first), object-store bodies do not.
/// Seekable streams pass through; others are copied to a temporary file that is deleted on dispose.
/// </summary>
public static class SeekableCopy
{
    public static async Task<Stream> OfAsync(Stream body, CancellationToken ct)
    {
        if (body.CanSeek) return body;
        var path = Path.Combine(Path.GetTempPath(), "highwater-" + Guid.NewGuid().ToString("N") + ".parquet");
        var copy = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 16,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous); // FileShare.Read: a reader may decode column chunks through a handle of its own
        await body.CopyToAsync(copy, ct);
        await body.DisposeAsync();
        copy.Position = 0;
        return copy;
    }
}
