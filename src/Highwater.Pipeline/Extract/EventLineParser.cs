using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Extract;

/// <summary>
/// Parses one NDJSON event line into <see cref="ParsedEvents"/>. A line that is not a JSON object, lacks a required
/// field, holds a value of the wrong type or is not valid UTF-8 yields a reason instead of a row. Unknown fields
/// (of any type) are ignored; keys may come in any order; a repeated field's last value wins.
/// Timestamps must carry a zone ('Z' or an offset such as '+01:00' or '+0100'); they are converted to UTC (see
/// <see cref="EventTimestamp"/>). unit_price follows <see cref="MoneyText"/>.
/// A JSON null is accepted for order_id, qty, unit_price, currency, sku and channel (the quality gate
/// decides whether that is acceptable); user_id, event_ts and arrival_ts must hold values.
/// Two paths, one verdict: a scanner over the bytes (<see cref="TryParseFast"/>) takes every line it can vouch
/// for — any key order, any JSON white space, escapes, non-ASCII text, unknown fields of any type, the timestamp
/// spellings of <see cref="EventTimestamp"/> — and leaves the rest to <see cref="ParseGeneral"/>
/// (<see cref="Utf8JsonReader"/>), which decides and names the reason. Neither allocates per line.
/// </summary>
public sealed partial class EventLineParser
{
    private const int OrderIdBit = 1, UserIdBit = 2, EventTsBit = 4, ArrivalTsBit = 8, QtyBit = 16,
        UnitPriceBit = 32, CurrencyBit = 64, SkuBit = 128, ChannelBit = 256, AllFields = 511;

    private static readonly string[] FieldNames =
        ["order_id", "user_id", "event_ts", "arrival_ts", "qty", "unit_price", "currency", "sku", "channel"];

    /// <summary>Deeper unknown values are left to the general path (whose reader allows 64 levels in all).</summary>
    private const int SkipMaxDepth = 32;

    /// <summary>Unescaped strings of the current line; at least as long as the line, so it never grows mid-line.</summary>
    private byte[] _scratch = new byte[1024];

    private EventTimestamp.DayCache _days;

    /// <summary>
    /// The field index (in <see cref="FieldNames"/> order, <see cref="UnknownField"/> for another name) at each key
    /// position of the last line the fast path read: a producer writes its keys in one order, so the name at a position
    /// is first compared with that field's literal.
    /// </summary>
    private readonly byte[] _keyOrder = [0, 1, 2, 3, 4, 5, 6, 7, 8, .. Enumerable.Repeat(UnknownField, MaxPredictedKeys - 9)];
    private const byte UnknownField = 255;
    private const int MaxPredictedKeys = 32;

    /// <summary>One row's buffers for <see cref="Parse"/>.</summary>
    private ParsedEvents? _one;
    private Utf8ValueIds? _oneIds;

    /// <summary>Parses a line into a record (tests and tools); returns null and sets <paramref name="reason"/> when the line is malformed.</summary>
    public EventRecord? Parse(ReadOnlySpan<byte> line, string sourceKey, long lineNumber, out string? reason)
    {
        _oneIds ??= new Utf8ValueIds(new Utf8ValueTable());
        _one ??= new ParsedEvents(1, _oneIds.Table);
        _one.Clear();
        _one.SetSourceKey(sourceKey, _oneIds);
        if (!ParseGeneral(line, _one, _oneIds, lineNumber, out reason)) return null;
        return _one[0];
    }

    /// <summary>
    /// Parses a line into <paramref name="into"/>; returns false and sets <paramref name="reason"/> when the line is
    /// malformed (adding nothing).
    /// </summary>
    public bool ParseInto(ReadOnlySpan<byte> line, ParsedEvents into, Utf8ValueIds ids, string sourceKey, long lineNumber, out string? reason)
    {
        if (TryParseFast(line, into, ids, lineNumber))
        {
            reason = null;
            return true;
        }
        if (ParseGeneral(line, into, ids, lineNumber, out reason)) return true;
        reason = LineEnding.BareCarriageReturn(line) ?? reason;
        return false;
    }

    private void EnsureScratch(int length)
    {
        if (_scratch.Length < length) _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
    }
}
