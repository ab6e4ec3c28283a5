using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Extract;

/// <summary>
/// The JSON fields of an event line, built once from the events contract (docs/contracts.md, "Where a column comes
/// from"): per field its name's bytes, the staged column it fills and that column's kind (string, int32, int64,
/// decimal(p,s) per <see cref="MoneyText"/>, timestamp per <see cref="EventTimestamp"/>), whether it may be null and
/// its default. Both parser paths are driven by it. The rules: a field without a <c>default:</c> must be on every line
/// ("required field missing"); a line without a field that has one takes the default; an explicit JSON null is null
/// (not the default) in a nullable column and refused ("... is null") in one with <c>nullable: false</c>.
/// </summary>
public sealed class EventFields
{
    /// <summary>At most this many fields: a line's fields seen are one 64-bit mask.</summary>
    public const int MaxFields = 64;

    private EventFields(EventLayout layout, EventField[] fields)
    {
        Layout = layout;
        Fields = fields;
        OrderKey = Array.FindIndex(fields, f => f.Column == layout.OrderKey);
        for (var f = 0; f < fields.Length; f++)
        {
            All |= 1UL << f;
            if (!fields[f].HasDefault) Required |= 1UL << f;
        }
        StringFields = [.. Enumerable.Range(0, fields.Length).Where(f => fields[f].Kind == StagedKind.String)];
        for (var h = 0; h < _byHash.Length; h++) _byHash[h] = [];
        for (var f = 0; f < fields.Length; f++)
            if (fields[f].Name.Length > 0)
            {
                var h = Bucket(fields[f].Name.Length, fields[f].Name[0]);
                _byHash[h] = [.. _byHash[h], f];
            }
        foreach (var f in fields)
        {
            if (f.Name.Length >= _byLength.Length) Array.Resize(ref _byLength, f.Name.Length + 1);
            _byLength[f.Name.Length] = [.. _byLength[f.Name.Length] ?? [], Array.IndexOf(fields, f)];
        }
    }

    /// <summary>The staged columns (the contract's, in its order).</summary>
    public EventLayout Layout { get; }

    /// <summary>The fields read from the line, in the contract's order.</summary>
    internal EventField[] Fields { get; }

    /// <summary>The order key's field.</summary>
    internal int OrderKey { get; }

    /// <summary>The fields without a default: every line must have them.</summary>
    internal ulong Required { get; }

    /// <summary>Every field.</summary>
    internal ulong All { get; }

    /// <summary>The string fields other than the order key (whose values become value references).</summary>
    internal int[] StringFields { get; }

    private int[]?[] _byLength = [];

    /// <summary>The fields by a hash of their name's length and first byte (<see cref="Bucket"/>).</summary>
    private readonly int[][] _byHash = new int[64][];

    private static int Bucket(int length, byte first) => (length * 7 + first) & 63;

    /// <summary>
    /// The field whose quoted name <paramref name="quoted"/> starts with (its name of <paramref name="nameLength"/> bytes
    /// is closed by a quote there), or -1: one hash and, per candidate, two word compares.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int IndexOfQuoted(ReadOnlySpan<byte> quoted, int nameLength)
    {
        if (nameLength == 0) return -1;
        foreach (var f in _byHash[Bucket(nameLength, quoted[1])])
        {
            var field = Fields[f];
            if (field.Name.Length == nameLength && field.StartsWithQuoted(quoted)) return f;
        }
        return -1;
    }

    /// <summary>The field named <paramref name="name"/> (unescaped UTF-8), or -1.</summary>
    internal int IndexOf(ReadOnlySpan<byte> name)
    {
        if (name.Length >= _byLength.Length || _byLength[name.Length] is not { } candidates) return -1;
        foreach (var f in candidates)
            if (name.SequenceEqual(Fields[f].Name)) return f;
        return -1;
    }

    /// <summary>The fields of the shipped events schema (tests and tools).</summary>
    public static readonly EventFields Default = From(EventLayout.DefaultContract());

    /// <summary>The fields of an events contract.</summary>
    /// <exception cref="ContractDefinitionException">A column Extract cannot read, or a default that is not a value of its type (naming file, line and column).</exception>
    public static EventFields From(DataContract events)
    {
        var layout = EventLayout.From(events);
        var path = events.SourcePath ?? events.Dataset;
        var fields = new List<EventField>();
        for (var c = 0; c < events.Columns.Count; c++)
        {
            var column = events.Columns[c];
            if (column.Lineage != ColumnLineage.None) continue;
            var staged = layout.Columns[c];
            if (fields.Any(f => f.Json == column.Field))
                throw new ContractDefinitionException(path, column.SourceLine, column.SourceColumn,
                    $"column '{column.Name}' reads the field '{column.Field}', which another column already reads; expected one column per field (set json:)");
            if (fields.Count == MaxFields)
                throw new ContractDefinitionException(path, column.SourceLine, column.SourceColumn, $"the events contract reads more than {MaxFields} fields");
            var field = new EventField(column.Field, c, staged.Kind, column.Nullable, staged.Precision, staged.Scale);
            if (column.HasDefault) ReadDefault(field, column, path);
            fields.Add(field);
        }
        return new EventFields(layout, [.. fields]);
    }

    /// <summary>Reads a column's <c>default:</c> by the rule of its type, as a line's value would be read.</summary>
    private static void ReadDefault(EventField field, ContractColumn column, string path)
    {
        field.HasDefault = true;
        if (column.DefaultText is not { } text) return; // default: null (the loader allows it on nullable columns only)
        var bytes = Encoding.UTF8.GetBytes(text);
        var days = default(EventTimestamp.DayCache);
        var ok = field.Kind switch
        {
            StagedKind.OrderKey or StagedKind.String => true,
            StagedKind.Int32 => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) && (field.DefaultLong = i) == i,
            StagedKind.Int64 => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out field.DefaultLong),
            StagedKind.Decimal => System.Text.RegularExpressions.Regex.IsMatch(text, @"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")
                                  && MoneyText.Parse(bytes, field.Precision, field.Scale, out field.DefaultDecimal) == MoneyText.Verdict.Ok,
            _ => EventTimestamp.TryParse(bytes, ref days, out field.DefaultTime),
        };
        if (!ok)
            throw new ContractDefinitionException(path, column.DefaultLine, column.DefaultColumn,
                $"default '{text}' of column '{column.Name}' is not a {column.Type} value; expected " + field.Kind switch
                {
                    StagedKind.Int32 or StagedKind.Int64 => $"an integer that fits {column.Type}",
                    StagedKind.Decimal => $"a number with at most {field.Scale} decimal places that fits {column.Type}",
                    _ => "an ISO-8601 timestamp with a zone, such as 2026-01-01T00:00:00Z",
                } + ", or null on a nullable column");
        field.DefaultIsNull = false;
        field.DefaultString = bytes;
    }
}

/// <summary>One JSON field of an event line (see <see cref="EventFields"/>).</summary>
internal sealed class EventField
{
    public EventField(string json, int column, StagedKind kind, bool nullable, int precision, int scale)
    {
        (Json, Column, Kind, Nullable, Precision, Scale) = (json, column, kind, nullable, precision, scale);
        Name = Encoding.UTF8.GetBytes(json);
        Quoted = Encoding.UTF8.GetBytes("\"" + json + "\"");
        Span<byte> words = stackalloc byte[16];
        Span<byte> masks = stackalloc byte[16];
        for (var i = 0; i < 16; i++) (words[i], masks[i]) = i < Quoted.Length ? (Quoted[i], (byte)0xFF) : ((byte)0, (byte)0);
        (Head, Tail) = (BinaryPrimitives.ReadUInt64LittleEndian(words), BinaryPrimitives.ReadUInt64LittleEndian(words[8..]));
        (HeadMask, TailMask) = (BinaryPrimitives.ReadUInt64LittleEndian(masks), BinaryPrimitives.ReadUInt64LittleEndian(masks[8..]));
    }

    /// <summary>The field's name as written in the contract, and its UTF-8 bytes (with quotes, for the fast path's prefix compare).</summary>
    public readonly string Json;
    public readonly byte[] Name;
    public readonly byte[] Quoted;

    /// <summary>
    /// <see cref="Quoted"/> as two little-endian words and masks of its first 16 bytes (a longer name compares its
    /// rest too): the fast path checks the predicted name at a key position with two loads and two compares.
    /// </summary>
    public readonly ulong Head, HeadMask, Tail, TailMask;

    /// <summary>The staged column the field fills (its position in the layout), and what that column holds.</summary>
    public readonly int Column;
    public readonly StagedKind Kind;
    public readonly bool Nullable;
    public readonly int Precision, Scale;

    /// <summary>Whether a line may lack the field; then its value is the default (null unless one of the typed values is set).</summary>
    public bool HasDefault;
    public bool DefaultIsNull = true;
    public long DefaultLong;
    public decimal DefaultDecimal;
    public DateTime DefaultTime;
    public byte[]? DefaultString;

    /// <summary>Whether <paramref name="s"/> starts with <see cref="Quoted"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool StartsWithQuoted(ReadOnlySpan<byte> s)
    {
        if (s.Length < 16) return s.StartsWith(Quoted);
        ref var at = ref MemoryMarshal.GetReference(s);
        return (Unsafe.ReadUnaligned<ulong>(ref at) & HeadMask) == Head
               && (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, 8)) & TailMask) == Tail
               && (Quoted.Length <= 16 || s.StartsWith(Quoted));
    }
}
