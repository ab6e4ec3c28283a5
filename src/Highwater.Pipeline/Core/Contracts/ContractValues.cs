using System.Globalization;

namespace Highwater.Pipeline.Core.Contracts;

/// <summary>
/// One representation for values in checks: integers and decimals as <see cref="decimal"/>, timestamps and dates as
/// UTC <see cref="DateTime"/>, strings as <see cref="string"/>. Parsing of YAML literals, comparison and rendering.
/// </summary>
internal static class ContractValues
{
    public static object? Normalize(object? raw) => raw switch
    {
        null => null,
        string s => s,
        ReadOnlyMemory<char> m => m.ToString(),
        int i => (decimal)i,
        long l => (decimal)l,
        short s16 => (decimal)s16,
        byte b => (decimal)b,
        decimal d => d,
        DateTime dt => dt.Kind == DateTimeKind.Utc ? dt : DateTime.SpecifyKind(dt, DateTimeKind.Utc),
        DateTimeOffset dto => dto.UtcDateTime,
        DateOnly d => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
        _ => raw,
    };

    /// <summary>Parses a YAML scalar as a value of the column type; false when it is not one.</summary>
    public static bool TryParseLiteral(string text, ColumnType type, out object value)
    {
        value = text;
        switch (type.Kind)
        {
            case ColumnKind.String:
                return true;
            case ColumnKind.Int32:
                if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) { value = (decimal)i; return true; }
                return false;
            case ColumnKind.Int64:
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) { value = (decimal)l; return true; }
                return false;
            case ColumnKind.Decimal:
                if (decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d)) { value = d; return true; }
                return false;
            case ColumnKind.Date:
                if (DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
                {
                    value = DateTime.SpecifyKind(date, DateTimeKind.Utc);
                    return true;
                }

                return false;
            case ColumnKind.Timestamp:
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ts))
                {
                    value = ts.UtcDateTime;
                    return true;
                }

                return false;
            default:
                return false;
        }
    }

    public static string ExpectedLiteral(ColumnType type) => type.Kind switch
    {
        ColumnKind.String => "a string",
        ColumnKind.Int32 => "a 32-bit integer",
        ColumnKind.Int64 => "a 64-bit integer",
        ColumnKind.Decimal => "a decimal number like 12.50",
        ColumnKind.Date => "a date like 2024-01-31",
        ColumnKind.Timestamp => "a timestamp like 2024-01-31T12:00:00Z",
        _ => type.ToString(),
    };

    /// <summary>Compares two normalised non-null values of comparable types.</summary>
    public static int Compare(object left, object right) => (left, right) switch
    {
        (decimal a, decimal b) => a.CompareTo(b),
        (DateTime a, DateTime b) => a.CompareTo(b),
        (string a, string b) => string.CompareOrdinal(a, b),
        _ when left.GetType() == right.GetType() && left is IComparable c => c.CompareTo(right),
        _ => throw new InvalidOperationException($"cannot compare {left.GetType().Name} with {right.GetType().Name}"),
    };

    /// <summary>Renders a normalised or raw value; dates (midnight values of date columns) as yyyy-MM-dd.</summary>
    public static string Render(object? value, bool isDate = false) => value switch
    {
        null => "null",
        string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        ReadOnlyMemory<char> m => Render(m.ToString()),
        DateTime dt when isDate => dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime dt => dt.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        byte[] b => "0x" + Convert.ToHexString(b),
        _ => value.ToString() ?? "",
    };

    public static string RenderLiteral(object value, ColumnType? type) => Render(value, type?.Kind == ColumnKind.Date);
}
