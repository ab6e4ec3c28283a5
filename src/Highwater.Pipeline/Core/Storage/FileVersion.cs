namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// When a listed object is the version the manifest recorded. S3: the same ETag and size. A local file's tag is
/// <c>{size:x}-{mtime:x}-c{ctime:x}-i{inode:x}</c> (mtime in .NET ticks, ctime in nanoseconds since the epoch, both
/// hex), git's stat identity: a rewrite changes ctime even when the size and the restored modification time are the
/// same, and a file replaced by another (a rename over it) changes the inode. Releases before this one recorded
/// <c>{size:x}-{mtime:x}</c>; such a recorded tag still matches a file with that size and mtime (so upgrading does not
/// reprocess the lookback window), and the file gets the full tag when it is next processed. Where the system has no
/// <c>statx</c> (not Linux) the tag is the size and mtime alone.
/// </summary>
public static class FileVersion
{
    /// <summary>The version tag of a local file of <paramref name="size"/> bytes modified at <paramref name="modified"/>.</summary>
    internal static string LocalTag(long size, DateTimeOffset modified, FileStat.Identity? identity) =>
        identity is { } id
            ? $"{size:x}-{modified.UtcTicks:x}-c{id.ChangeTimeNs:x}-i{id.Inode:x}"
            : $"{size:x}-{modified.UtcTicks:x}";

    /// <summary>True when <paramref name="current"/> is the version recorded as <paramref name="recordedETag"/> and <paramref name="recordedSize"/>.</summary>
    public static bool Matches(string recordedETag, long recordedSize, StoredObject current)
    {
        if (recordedSize != current.Size) return false;
        if (recordedETag == current.ETag) return true;
        // A size+mtime tag recorded by an earlier release: the current full tag extends it.
        return IsSizeAndMtime(recordedETag)
               && current.ETag.Length > recordedETag.Length + 2
               && current.ETag.StartsWith(recordedETag, StringComparison.Ordinal)
               && current.ETag.AsSpan(recordedETag.Length).StartsWith("-c", StringComparison.Ordinal);
    }

    private static bool IsSizeAndMtime(string tag)
    {
        var dash = tag.IndexOf('-');
        return dash > 0 && dash < tag.Length - 1 && tag.IndexOf('-', dash + 1) < 0 && tag.AsSpan().ContainsOnlyHex(dash);
    }

    private static bool ContainsOnlyHex(this ReadOnlySpan<char> tag, int dash)
    {
        for (var i = 0; i < tag.Length; i++)
            if (i != dash && !char.IsAsciiHexDigitLower(tag[i]) && !char.IsAsciiDigit(tag[i])) return false;
        return true;
    }
}
