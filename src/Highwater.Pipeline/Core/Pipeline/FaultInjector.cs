using System.Diagnostics;

namespace Highwater.Pipeline.Core.Pipeline;

/// <summary>
/// Named points in the stages where a test can make the run die (<c>HIGHWATER_FAIL_AT=point</c> or
/// <c>point:N</c> for the N-th time the point is reached) or stop and wait to be killed
/// (<c>HIGHWATER_PAUSE_AT=point</c>: the process writes <c>paused-at-&lt;point&gt;</c> into the work area and
/// blocks until it is killed — a file-based barrier, so tests never depend on timing).
/// The CLI dies with SIGKILL on itself: no finally block, no cleanup, exactly like a crash.
/// In-process tests use <see cref="Throwing"/>, which throws <see cref="InjectedFaultException"/> instead.
/// </summary>
public sealed class FaultInjector
{
    public const string FailAtVariable = "HIGHWATER_FAIL_AT";
    public const string PauseAtVariable = "HIGHWATER_PAUSE_AT";

    public static readonly FaultInjector None = new(null, 0, null, null, _ => { });

    private readonly string? _failAt;
    private readonly int _occurrence;
    private readonly string? _pauseAt;
    private readonly string? _pauseFolder;
    private readonly Action<string> _die;
    private readonly Dictionary<string, int> _reached = new(StringComparer.Ordinal);
    private readonly CancellationToken _stop;

    private FaultInjector(string? failAt, int occurrence, string? pauseAt, string? pauseFolder, Action<string> die, CancellationToken stop = default)
    {
        _stop = stop;
        _failAt = failAt;
        _occurrence = occurrence;
        _pauseAt = pauseAt;
        _pauseFolder = pauseFolder;
        _die = die;
    }

    /// <summary>
    /// Reads HIGHWATER_FAIL_AT and HIGHWATER_PAUSE_AT; the pause marker goes into <paramref name="workRoot"/>. A pause
    /// ends when <paramref name="stop"/> is cancelled (SIGTERM), by throwing <see cref="OperationCanceledException"/> as
    /// any stage's wait does.
    /// </summary>
    public static FaultInjector FromEnvironment(string workRoot, Func<string, string?>? environment = null, CancellationToken stop = default)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var (failAt, occurrence) = Parse(environment(FailAtVariable));
        var pauseAt = environment(PauseAtVariable);
        if (failAt is null && string.IsNullOrEmpty(pauseAt)) return None;
        return new FaultInjector(failAt, occurrence, string.IsNullOrEmpty(pauseAt) ? null : pauseAt, workRoot, KillSelf, stop);
    }

    /// <summary>For in-process tests: the <paramref name="occurrence"/>-th time <paramref name="point"/> is reached, throw.</summary>
    public static FaultInjector Throwing(string point, int occurrence = 1) =>
        new(point, occurrence, null, null, p => throw new InjectedFaultException(p));

    /// <summary>Every point the stages report, in pipeline order.</summary>
    public static readonly IReadOnlyList<string> Points =
    [
        FaultPoints.ExtractAfterFile, FaultPoints.TransformAfterPartition, FaultPoints.PublishAfterLease,
        FaultPoints.PublishAfterPart, FaultPoints.PublishBeforeManifest, FaultPoints.PublishAfterManifest, FaultPoints.PublishDuringRemove,
    ];

    /// <summary>Called by a stage when it passes <paramref name="point"/>.</summary>
    public void Reach(string point)
    {
        if (_failAt is null && _pauseAt is null) return;
        var count = _reached[point] = _reached.GetValueOrDefault(point) + 1;
        if (_pauseAt == point && _pauseFolder is not null)
        {
            Directory.CreateDirectory(_pauseFolder);
            File.WriteAllText(Path.Combine(_pauseFolder, $"paused-at-{point}"), Environment.ProcessId.ToString());
            _stop.WaitHandle.WaitOne(); // the barrier: the test kills or stops this process
            _stop.ThrowIfCancellationRequested();
        }
        if (_failAt == point && count == _occurrence) _die(point);
    }

    private static (string? Point, int Occurrence) Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (null, 0);
        var colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text[(colon + 1)..], out var n) && n >= 1) return (text[..colon], n);
        return (text, 1);
    }

    private static void KillSelf(string point)
    {
        Console.Error.WriteLine($"highwater: fault injection: killing this process at {point} ({FailAtVariable})");
        Console.Error.Flush();
        Process.GetCurrentProcess().Kill(); // SIGKILL: no finally blocks, no cleanup
        Thread.Sleep(Timeout.Infinite);
    }
}

/// <summary>The names of the fault-injection points (see <see cref="FaultInjector"/>).</summary>
public static class FaultPoints
{
    public const string ExtractAfterFile = "extract.after-file";
    public const string TransformAfterPartition = "transform.after-partition";
    public const string PublishAfterLease = "publish.after-lease";
    public const string PublishAfterPart = "publish.after-part";
    public const string PublishBeforeManifest = "publish.before-manifest";
    public const string PublishAfterManifest = "publish.after-manifest";
    public const string PublishDuringRemove = "publish.during-remove";
}

/// <summary>Thrown by <see cref="FaultInjector.Throwing"/>: the simulated crash of an in-process test.</summary>
public sealed class InjectedFaultException(string point) : Exception($"injected fault at {point}")
{
    public string Point { get; } = point;
}
