using System.Globalization;

namespace Highwater.Pipeline.Core.Schema;

/// <summary>
/// Timestamps as the pipeline keeps them: <see cref="DateTimeKind.Utc"/>, truncated to whole microseconds
/// (Parquet's TIMESTAMP(MICROS) unit), so that values compare equal before and after a Parquet round trip.
/// </summary>
public static class UtcTimestamp
{
    public static DateTime Normalize(DateTime value)
    {
        var utc = value.Kind switch
        {
            DateTimeKind.Utc => value,
            DateTimeKind.Local => value.ToUniversalTime(),
            _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
        };
        return new DateTime(utc.Ticks - utc.Ticks % 10, DateTimeKind.Utc);
    }

    public static DateTime FromOffset(DateTimeOffset value) => Normalize(value.UtcDateTime);

    public static string Format(DateTime value) =>
        Normalize(value).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static string FormatDate(DateOnly value) => value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
