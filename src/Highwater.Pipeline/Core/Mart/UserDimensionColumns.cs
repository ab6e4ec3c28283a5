namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// The columns a user dimension file must have, at its top level, and the types each may have. Other columns are
/// ignored. A column of another type is refused with the file, the column, its physical and logical type and what
/// is accepted.
/// </summary>
public static class UserDimensionColumns
{
    public const string UserId = "user_id", Country = "country", Segment = "segment", SignupDate = "signup_date";

    /// <summary>Each column, the kind it must be read as, and how the accepted types are said.</summary>
    public static readonly (string Name, ValueKind Kind, string Accepted)[] Required =
    [
        (UserId, ValueKind.Integer, "INT32, INT64 (signed or up to 32-bit unsigned) or DECIMAL(p,0)"),
        (Country, ValueKind.String, "BYTE_ARRAY as STRING, ENUM or without a logical type"),
        (Segment, ValueKind.String, "BYTE_ARRAY as STRING, ENUM or without a logical type"),
        (SignupDate, ValueKind.DateTime, "INT32 DATE, INT64 TIMESTAMP or INT96 (the date part is used)"),
    ];

    /// <summary>The file's four columns, in <see cref="Required"/> order; a <see cref="DataException"/> naming what is wrong.</summary>
    public static TopLevelColumn[] Resolve(TopLevelColumnReader file) =>
        Required.Select(r =>
        {
            var column = file.Column(r.Name);
            return column.Kind == r.Kind ? column
                : throw new DataException($"{file.Name}: column '{r.Name}' is {column.Type}; the user dimension accepts {r.Name} as {r.Accepted}.");
        }).ToArray();
}
