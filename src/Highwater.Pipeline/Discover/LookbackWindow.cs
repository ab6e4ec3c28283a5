using Highwater.Pipeline.Core.State;

namespace Highwater.Pipeline.Discover;

/// <summary>
/// Which date folders an incremental Discover lists: from <c>lookbackDays</c> days before the anchor, the newest
/// folder the manifest has processed that is not in the future. A folder is in the future when it is dated after the
/// run's UTC date + 1 day (a day of slack for producers ahead of UTC); such a folder is listed and its files are
/// taken like any other, but it never becomes the anchor: otherwise one file landed under a wrong date would move the
/// window past every folder landed afterwards. "Today" comes from the run's clock (<see cref="PipelineContext.Clock"/>).
/// </summary>
public static class LookbackWindow
{
    /// <summary>The newest folder date a run at <paramref name="now"/> does not treat as in the future.</summary>
    public static DateOnly LatestExpected(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime).AddDays(1);

    public static bool IsFuture(DateOnly folder, DateTimeOffset now) => folder > LatestExpected(now);

    /// <summary>The newest processed folder not in the future, or null when there is none.</summary>
    public static DateOnly? Anchor(HighWatermarkManifest manifest, DateTimeOffset now)
    {
        var latest = LatestExpected(now);
        DateOnly? newest = null;
        foreach (var key in manifest.Files.Keys)
            if (EventFileRule.FolderDate(key) is { } d && d <= latest && (newest is null || d > newest)) newest = d;
        return newest;
    }

    /// <summary>
    /// Where listing starts: the folder <paramref name="lookbackDays"/> days before the anchor (keys sort by date, so
    /// every later folder is listed), or null for a full listing (nothing processed, or only future folders).
    /// </summary>
    public static string? ListingStart(HighWatermarkManifest manifest, int lookbackDays, DateTimeOffset now) =>
        Anchor(manifest, now) is { } a ? $"{EventFileRule.Prefix}{a.AddDays(-lookbackDays):yyyy-MM-dd}" : null;
}
