using System.Globalization;

namespace Highwater.Pipeline.Core.Logging;

/// <summary>How progress is shown: a live line redrawn in place (a terminal), plain periodic lines (redirected output or CI), or not at all.</summary>
public enum ProgressMode
{
    Off,
    Plain,
    Live,
}

/// <summary>
/// A stage log that also shows progress on long work (files and rows done, rate, ETA): a live line in a
/// terminal, redrawn at most every <see cref="LiveInterval"/>; plain lines with no control codes at most every
/// <see cref="PlainInterval"/> when output is redirected or <c>CI</c> is set. Throttled by time: a stage calls
/// <see cref="StageProgress.Advance"/> per file or partition and pays one clock read per call.
/// Other messages clear the live line first, so they never mix with it.
/// </summary>
public sealed class ProgressStageLog : IStageLog
{
    public static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan DefaultPlainInterval = TimeSpan.FromSeconds(10);

    private readonly IStageLog _inner;
    private readonly TextWriter _out;
    private int _liveWidth;

    public ProgressStageLog(IStageLog inner, TextWriter output, ProgressMode mode, TimeSpan? plainInterval = null)
    {
        _inner = inner;
        _out = output;
        Mode = mode;
        PlainInterval = plainInterval ?? DefaultPlainInterval;
    }

    public ProgressMode Mode { get; }
    public TimeSpan PlainInterval { get; }

    /// <summary>Live when <paramref name="interactive"/> (a terminal, not CI), else plain; off for quiet output.</summary>
    public static ProgressMode ModeFor(bool quiet, bool outputRedirected, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (quiet) return ProgressMode.Off;
        return outputRedirected || !string.IsNullOrEmpty(environment("CI")) ? ProgressMode.Plain : ProgressMode.Live;
    }

    public void Info(string message) { ClearLive(); _inner.Info(message); }
    public void Warn(string message) { ClearLive(); _inner.Warn(message); }
    public void Diagnostic(string message) { ClearLive(); _inner.Diagnostic(message); }

    internal void Show(string line, bool final)
    {
        if (Mode == ProgressMode.Plain)
        {
            if (!final) _out.WriteLine(line);
            return;
        }
        if (Mode != ProgressMode.Live) return;
        if (final)
        {
            ClearLive();
            return;
        }
        _out.Write("\r" + line.PadRight(_liveWidth));
        _out.Flush();
        _liveWidth = line.Length;
    }

    private void ClearLive()
    {
        if (_liveWidth == 0) return;
        _out.Write("\r" + new string(' ', _liveWidth) + "\r");
        _liveWidth = 0;
    }
}

/// <summary>
/// Progress of one stage over a known number of items (files or partitions). Dispose when the stage is done.
/// Does nothing when the log shows no progress.
/// </summary>
public sealed class StageProgress : IDisposable
{
    private readonly ProgressStageLog? _log;
    private readonly TimeProvider _clock;
    private readonly string _stage;
    private readonly string _unit;
    private readonly long _started;
    private readonly TimeSpan _interval;
    private long _lastShown;

    internal StageProgress(ProgressStageLog? log, TimeProvider clock, string stage, string unit, int totalItems, long totalBytes)
    {
        _log = log;
        _clock = clock;
        _stage = stage;
        _unit = unit;
        TotalItems = totalItems;
        TotalBytes = totalBytes;
        _started = _lastShown = clock.GetTimestamp();
        _interval = log?.Mode == ProgressMode.Live ? ProgressStageLog.LiveInterval : log?.PlainInterval ?? TimeSpan.MaxValue;
    }

    public int TotalItems { get; }
    public long TotalBytes { get; }
    public int Items { get; private set; }
    public long Rows { get; private set; }
    public long Bytes { get; private set; }

    /// <summary>Counts finished work and shows a progress line when the interval has passed since the last one.</summary>
    public void Advance(int items = 1, long rows = 0, long bytes = 0)
    {
        Items += items;
        Rows += rows;
        Bytes += bytes;
        if (_log is null || _log.Mode == ProgressMode.Off) return;
        var now = _clock.GetTimestamp();
        if (_clock.GetElapsedTime(_lastShown, now) < _interval) return;
        _lastShown = now;
        _log.Show(Line(_clock.GetElapsedTime(_started, now)), final: false);
    }

    /// <summary>The progress line: done/total, rows, rate and an ETA from the share of bytes (or items) done.</summary>
    public string Line(TimeSpan elapsed)
    {
        var inv = CultureInfo.InvariantCulture;
        var fraction = TotalBytes > 0 ? (double)Bytes / TotalBytes : TotalItems > 0 ? (double)Items / TotalItems : 0;
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-3);
        var eta = fraction is > 0 and < 1 ? TimeSpan.FromSeconds(seconds * (1 - fraction) / fraction) : (TimeSpan?)null;
        return string.Create(inv,
            $"{_stage}: {Items:N0}/{TotalItems:N0} {_unit} ({fraction * 100:F0}%), {Rows:N0} rows, {Rows / seconds:N0} rows/s, " +
            $"elapsed {Clock(elapsed)}{(eta is { } e ? $", ETA {Clock(e)}" : "")}");
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1
        ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}"
        : $"{t.Minutes}:{t.Seconds:D2}";

    public void Dispose() => _log?.Show("", final: true);
}

public static class StageProgressExtensions
{
    /// <summary>Starts progress for a stage over <paramref name="totalItems"/> files or partitions (and their bytes, when known).</summary>
    public static StageProgress StartProgress(this IStageLog log, TimeProvider clock, string stage, string unit, int totalItems, long totalBytes = 0) =>
        new(log as ProgressStageLog, clock, stage, unit, totalItems, totalBytes);
}
