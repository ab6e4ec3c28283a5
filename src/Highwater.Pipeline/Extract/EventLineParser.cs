using System.Text.Json;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Extract;

/// <summary>
/// Parses one NDJSON event line into <see cref="ParsedEvents"/>, driven by the events contract's fields
/// (<see cref="EventFields"/>). A line that is not a JSON object, lacks a required field, holds a value of the wrong type
/// or is not valid UTF-8 yields a reason instead of a row. Unknown fields (of any type) are ignored; keys may come in any
/// order; a repeated field's last value wins. Timestamps must carry a zone ('Z' or an offset such as '+01:00' or '+0100');
/// they are converted to UTC (see <see cref="EventTimestamp"/>). Decimals follow <see cref="MoneyText"/>.
/// A JSON null is accepted for a nullable column's field (the quality gate decides whether that is acceptable); a field
/// of a <c>nullable: false</c> column must hold a value.
/// Two paths, one verdict: a scanner over the bytes (<see cref="TryParseFast"/>) takes every line it can vouch
/// for — any key order, any JSON white space, escapes, non-ASCII text, unknown fields of any type, the timestamp
/// spellings of <see cref="EventTimestamp"/> — and leaves the rest to <see cref="ParseGeneral"/>
/// (<see cref="Utf8JsonReader"/>), which decides and names the reason. Neither allocates per line: numbers and
/// timestamps are written into the row being filled, strings kept as places in the line (or the scratch buffer) until
/// the line is accepted.
/// </summary>
public sealed partial class EventLineParser
{
    /// <summary>Deeper unknown values are left to the general path (whose reader allows 64 levels in all).</summary>
    private const int SkipMaxDepth = 32;

    private readonly EventFields _fields;
    private readonly EventField[] _fieldArray;

    /// <summary>Unescaped strings of the current line; at least as long as the line, so it never grows mid-line.</summary>
    private byte[] _scratch = new byte[1024];

    private EventTimestamp.DayCache _days;

    /// <summary>
    /// The field index (<see cref="UnknownField"/> for another name) at each key position of the last line the fast path
    /// read: a producer writes its keys in one order, so the name at a position is first compared with that field's name.
    /// </summary>
    private readonly byte[] _keyOrder;
    private const byte UnknownField = 255;
    private const int MaxPredictedKeys = 32;

    /// <summary>The current line's string values, per field: where they are (the line or the scratch buffer), or null.</summary>
    private readonly StringSlot[] _strings;

    private struct StringSlot
    {
        public int Start, Length;
        public bool InScratch, IsNull;
    }

    /// <summary>One row's buffers for <see cref="Parse"/>.</summary>
    private ParsedEvents? _one;
    private Utf8ValueIds? _oneIds;

    /// <summary>A parser of the shipped events schema (<see cref="EventFields.Default"/>).</summary>
    public EventLineParser() : this(EventFields.Default) { }

    public EventLineParser(EventFields fields)
    {
        _fields = fields;
        _fieldArray = fields.Fields;
        _strings = new StringSlot[_fieldArray.Length];
        _keyOrder = new byte[MaxPredictedKeys];
        for (var k = 0; k < MaxPredictedKeys; k++) _keyOrder[k] = k < _fieldArray.Length ? (byte)k : UnknownField;
    }

    /// <summary>The staged columns this parser fills.</summary>
    public EventLayout Layout => _fields.Layout;

    /// <summary>Parses a line into a record (tests and tools); returns null and sets <paramref name="reason"/> when the line is malformed.</summary>
    public EventRecord? Parse(ReadOnlySpan<byte> line, string sourceKey, long lineNumber, out string? reason)
    {
        _oneIds ??= new Utf8ValueIds(new Utf8ValueTable());
        _one ??= new ParsedEvents(1, _oneIds.Table, _fields.Layout);
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

    /// <summary>
    /// Completes an accepted line's row: the fields the line lacks take their defaults (the caller checked the required
    /// ones), the strings become value references, and the order key and the line number are set.
    /// </summary>
    private void Finish(ReadOnlySpan<byte> line, ParsedEvents into, Utf8ValueIds ids, ulong seen, long lineNumber)
    {
        var row = into.Count;
        var fields = _fieldArray;
        var scratch = _scratch;
        var strings = _strings;
        var absent = _fields.All & ~seen;
        if (absent != 0)
            for (var f = 0; f < fields.Length; f++)
                if ((absent & (1UL << f)) != 0) Default(fields[f], into, ids, row);
        foreach (var f in _fields.StringFields)
        {
            if ((absent & (1UL << f)) != 0) continue;
            ref var slot = ref strings[f];
            into.Refs[fields[f].Column][row] = slot.IsNull ? ParsedEvents.Null
                : into.ValueOf(slot.InScratch ? scratch.AsSpan(slot.Start, slot.Length) : line.Slice(slot.Start, slot.Length), ids);
        }
        var k = _fields.OrderKey;
        if ((absent & (1UL << k)) != 0)
        {
            var key = fields[k].DefaultString;
            into.Commit(key, key is null, lineNumber);
            return;
        }
        ref var order = ref strings[k];
        into.Commit(order.IsNull ? default : order.InScratch ? scratch.AsSpan(order.Start, order.Length) : line.Slice(order.Start, order.Length),
            order.IsNull, lineNumber);
    }

    /// <summary>A field the line lacks: its default (null unless the contract gives a value).</summary>
    private static void Default(EventField field, ParsedEvents into, Utf8ValueIds ids, int row)
    {
        var c = field.Column;
        var has = !field.DefaultIsNull;
        switch (field.Kind)
        {
            case StagedKind.OrderKey: return;
            case StagedKind.String:
                into.Refs[c][row] = has ? into.ValueOf(field.DefaultString, ids) : ParsedEvents.Null;
                return;
            case StagedKind.Int32: into.Ints[c][row] = (int)field.DefaultLong; break;
            case StagedKind.Int64: into.Longs[c][row] = field.DefaultLong; break;
            case StagedKind.Decimal: into.Decimals[c][row] = field.DefaultDecimal; break;
            case StagedKind.Timestamp: into.Times[c][row] = field.DefaultTime; break;
        }
        into.Has[c][row] = has;
    }

    /// <summary>The reason for a line without some required fields, naming them in the contract's order.</summary>
    private string Missing(ulong seen)
    {
        var missing = new List<string>();
        for (var f = 0; f < _fieldArray.Length; f++)
            if ((_fields.Required & (1UL << f)) != 0 && (seen & (1UL << f)) == 0) missing.Add(_fieldArray[f].Json);
        return $"required field{(missing.Count > 1 ? "s" : "")} missing: {string.Join(", ", missing)}";
    }
}
