namespace Highwater.Tests.Support;

/// <summary>A clock that moves only when a test says so: set <see cref="Now"/> or <see cref="Advance"/> it.</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    private long _ticks;

    public ManualClock() : this(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) { }

    public DateTimeOffset Now { get; set; } = now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => _ticks;
    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by)
    {
        _ticks += by.Ticks;
        Now += by;
    }
}
