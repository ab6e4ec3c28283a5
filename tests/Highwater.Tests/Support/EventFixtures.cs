using System.Globalization;
using System.Text.Json;

namespace Highwater.Tests.Support;

/// <summary>Writes landed event files for tests: valid NDJSON lines, deterministic for a seed.</summary>
public static class EventFixtures
{
    private static readonly string[] Channels = ["web", "app", "store", "marketplace"];
    private static readonly (string Sku, decimal Price)[] Skus = [("SKU-1", 19.99m), ("SKU-2", 5.50m), ("SKU-3", 129.00m), ("SKU-4", 0.99m)];

    /// <summary>The user ids of the shipped sample dimension (samples/users).</summary>
    public static readonly long[] SampleUsers = [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010];

    public static string Event(string orderId, long userId, DateTime eventTs, DateTime arrivalTs, int qty, decimal unitPrice,
        string currency = "EUR", string sku = "SKU-1", string channel = "web") =>
        JsonSerializer.Serialize(new
        {
            order_id = orderId,
            user_id = userId,
            event_ts = eventTs.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            arrival_ts = arrivalTs.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            qty,
            unit_price = unitPrice,
            currency,
            sku,
            channel,
        });

    /// <summary>Lands <paramref name="count"/> valid events for a day under events/DATE/NAME and returns the path.</summary>
    public static string LandDay(string landing, DateOnly day, string name, int count, int seed, string orderPrefix)
    {
        var random = new Random(seed);
        var lines = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var at = day.ToDateTime(new TimeOnly(0, 0), DateTimeKind.Utc).AddSeconds(random.Next(0, 86_400));
            var (sku, price) = Skus[random.Next(Skus.Length)];
            lines.Add(Event($"{orderPrefix}-{i:D5}", SampleUsers[random.Next(SampleUsers.Length)], at, at.AddMinutes(random.Next(1, 90)),
                random.Next(1, 6), price, random.Next(4) == 0 ? "USD" : "EUR", sku, Channels[random.Next(Channels.Length)]));
        }
        return Land(landing, day, name, lines);
    }

    public static string Land(string landing, DateOnly day, string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(landing, "events", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }
}
