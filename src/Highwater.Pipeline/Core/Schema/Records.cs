namespace Highwater.Pipeline.Core.Schema;

/// <summary>
/// One valid event line after Extract. A value type: buffers of these hold no per-row heap objects
/// beyond the strings themselves. Timestamps are UTC with microsecond precision (the Parquet unit).
/// </summary>
public record struct EventRecord(
    string? OrderId,
    long UserId,
    DateTime EventTs,
    DateTime ArrivalTs,
    int? Qty,
    decimal? UnitPrice,
    string? Currency,
    string? Sku,
    string? Channel,
    string SourceKey,
    long SourceLine);

/// <summary>One row of the user dimension.</summary>
public record struct UserRecord(long UserId, string? Country, string? Segment, DateTime? SignupDate);
