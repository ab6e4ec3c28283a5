using System.Globalization;
using System.Text.RegularExpressions;
using Parquet.Schema;

namespace Highwater.Pipeline.Core.Contracts;

/// <summary>The logical column types a contract can declare.</summary>
public enum ColumnKind
{
    String,
    Int32,
    Int64,
    Decimal,
    Timestamp,
    Date,
}

/// <summary>
/// A declared column type: <c>string</c>, <c>int32</c>, <c>int64</c>, <c>decimal(p,s)</c>,
/// <c>timestamp</c> (Parquet TIMESTAMP micros, UTC) or <c>date</c> (Parquet DATE).
/// </summary>
public sealed partial record ColumnType(ColumnKind Kind, int Precision = 0, int Scale = 0)
{
    public static readonly ColumnType String = new(ColumnKind.String);
    public static readonly ColumnType Int32 = new(ColumnKind.Int32);
    public static readonly ColumnType Int64 = new(ColumnKind.Int64);
    public static readonly ColumnType Timestamp = new(ColumnKind.Timestamp);
    public static readonly ColumnType Date = new(ColumnKind.Date);

    /// <summary>The spellings accepted in YAML, for error messages.</summary>
    public const string AcceptedSpellings = "string, int32, int64, decimal(p,s), timestamp, date";

    public bool IsNumeric => Kind is ColumnKind.Int32 or ColumnKind.Int64 or ColumnKind.Decimal;

    public bool IsTemporal => Kind is ColumnKind.Timestamp or ColumnKind.Date;

    /// <summary>Whether values of the two types can be compared with each other (min/max, compare, references).</summary>
    public bool IsComparableWith(ColumnType other) =>
        (IsNumeric && other.IsNumeric) || (IsTemporal && other.IsTemporal) ||
        (Kind == ColumnKind.String && other.Kind == ColumnKind.String);

    public static bool TryParse(string text, out ColumnType type)
    {
        switch (text)
        {
            case "string": type = String; return true;
            case "int32": type = Int32; return true;
            case "int64": type = Int64; return true;
            case "timestamp": type = Timestamp; return true;
            case "date": type = Date; return true;
        }

        var m = DecimalPattern().Match(text);
        if (m.Success)
        {
            int p = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            int s = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (p is >= 1 and <= 38 && s >= 0 && s <= p)
            {
                type = new ColumnType(ColumnKind.Decimal, p, s);
                return true;
            }
        }

        type = String;
        return false;
    }

    /// <summary>
    /// The contract type of a Parquet field, or null when the field has no contract equivalent
    /// (then <see cref="Describe"/> still names what it is).
    /// </summary>
    public static ColumnType? FromField(DataField field)
    {
        if (field.IsArray) return null;
        return field switch
        {
            DecimalDataField d => new ColumnType(ColumnKind.Decimal, d.Precision, d.Scale),
            DateTimeDataField { DateTimeFormat: DateTimeFormat.Date } => Date,
            DateTimeDataField { DateTimeFormat: DateTimeFormat.Timestamp, Unit: DateTimeTimeUnit.Micros, IsAdjustedToUTC: true } => Timestamp,
            DateTimeDataField => null,
            _ when field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>) => String,
            _ when field.ClrType == typeof(int) => Int32,
            _ when field.ClrType == typeof(long) => Int64,
            _ => null,
        };
    }

    /// <summary>A readable name of a Parquet field's type, in contract spelling where one exists.</summary>
    public static string Describe(DataField field)
    {
        if (FromField(field) is { } t) return t.ToString();
        if (field.IsArray) return "repeated " + field.ClrType.Name;
        if (field is DateTimeDataField dt)
        {
            return dt.DateTimeFormat == DateTimeFormat.Timestamp
                ? $"timestamp({dt.Unit.ToString().ToLowerInvariant()}, {(dt.IsAdjustedToUTC ? "utc" : "local")})"
                : dt.DateTimeFormat.ToString().ToLowerInvariant();
        }

        return field.ClrType.Name.ToLowerInvariant();
    }

    public override string ToString() => Kind switch
    {
        ColumnKind.String => "string",
        ColumnKind.Int32 => "int32",
        ColumnKind.Int64 => "int64",
        ColumnKind.Decimal => $"decimal({Precision},{Scale})",
        ColumnKind.Timestamp => "timestamp",
        ColumnKind.Date => "date",
        _ => Kind.ToString(),
    };

    [GeneratedRegex(@"^decimal\(\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)$")]
    private static partial Regex DecimalPattern();
}
