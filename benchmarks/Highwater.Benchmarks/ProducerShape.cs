namespace Highwater.Benchmarks;

/// <summary>
/// How a producer writes the events: timestamp precision and zone, separators, escapes, key order, unknown fields,
/// line endings and value cardinalities. <c>--shapes=</c> names the ones a full load runs on; <c>mixed</c> draws each
/// line's shape from the producers.
/// </summary>
public sealed record ProducerShape(
    string Name, int FractionDigits = 0, bool UtcAsOffset = false, bool EscapedPlus = false, bool Spaced = false,
    bool Escapes = false, bool GoEscapes = false, bool Reordered = false, bool UnknownFields = false, bool Crlf = false,
    int Skus = 4_000, int MaxQty = 5, bool Mixed = false)
{
    /// <summary>The benchmark's original data: whole seconds, compact, canonical key order, 4,000 SKUs, qty 1-5.</summary>
    public static readonly ProducerShape Shipped = new("shipped");

    /// <summary>The shapes real producers write (40,000 SKUs and qty 1-10 for all).</summary>
    public static readonly ProducerShape[] Producers =
    [
        // JavaScript toISOString(), Log4j, Serilog: milliseconds and 'Z'.
        new("millis", FractionDigits: 3, Skus: 40_000, MaxQty: 10),
        // Python json.dumps defaults with datetime.isoformat(): ", " and ": ", \uXXXX for non-ASCII, microseconds, +00:00.
        new("python", FractionDigits: 6, UtcAsOffset: true, Spaced: true, Escapes: true, Skus: 40_000, MaxQty: 10),
        // System.Text.Json defaults: 7 fraction digits, '+' escaped as \u002B, unknown fields.
        new("dotnet", FractionDigits: 7, EscapedPlus: true, UnknownFields: true, Skus: 40_000, MaxQty: 10),
        // Go encoding/json: RFC 3339 with nanoseconds, \u003c escapes, sorted keys, CRLF from a Windows pipe.
        new("go", FractionDigits: 9, Escapes: true, GoEscapes: true, Reordered: true, Crlf: true, Skus: 40_000, MaxQty: 10),
    ];

    public static readonly ProducerShape MixedShapes = new("mixed", Skus: 40_000, MaxQty: 10, Mixed: true);

    public static IEnumerable<ProducerShape> All => [Shipped, .. Producers, MixedShapes];

    public static ProducerShape Named(string name) => All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"unknown shape '{name}' (known: {string.Join(", ", All.Select(s => s.Name))})");
}
