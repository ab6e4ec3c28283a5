using System.Text.RegularExpressions;

namespace Highwater.Pipeline.Core.Contracts;

// The closed set of check types. Values (bounds, accepted values) are held normalised:
// numbers as decimal, timestamps and dates as UTC DateTime, strings as string (see ContractValues).
// Null values pass every check except not_null.

/// <summary><c>not_null: true</c> — the column has no nulls.</summary>
public sealed record NotNullCheck(string Column) : ContractCheck
{
    public override string Type => "not_null";
    public override IReadOnlyList<string> Columns => [Column];
    public override bool IsRowLevel => true;
}

/// <summary>
/// <c>unique: true</c> — no two rows share the key <see cref="KeyColumns"/> within the same values of
/// <see cref="Within"/> (e.g. order_id within dt). A row whose key columns are all null is ignored;
/// otherwise null counts as a value (GROUP BY semantics), so two (null, "DE") keys are duplicates.
/// </summary>
public sealed record UniqueCheck(IReadOnlyList<string> KeyColumns, IReadOnlyList<string> Within) : ContractCheck
{
    public override string Type => "unique";
    public override IReadOnlyList<string> Columns => [.. Within, .. KeyColumns];
    public override bool IsRowLevel => false;
}

/// <summary><c>accepted_values: [..]</c> — every non-null value is one of the list.</summary>
public sealed record AcceptedValuesCheck(string Column, IReadOnlyList<object> Values) : ContractCheck
{
    public override string Type => "accepted_values";
    public override IReadOnlyList<string> Columns => [Column];
    public override bool IsRowLevel => true;
}

/// <summary><c>min: v</c> — every non-null value is ≥ v (or &gt; v when <see cref="Inclusive"/> is false).</summary>
public sealed record MinCheck(string Column, object Bound, bool Inclusive) : ContractCheck
{
    public override string Type => "min";
    public override IReadOnlyList<string> Columns => [Column];
    public override bool IsRowLevel => true;
}

/// <summary><c>max: v</c> — every non-null value is ≤ v (or &lt; v when <see cref="Inclusive"/> is false).</summary>
public sealed record MaxCheck(string Column, object Bound, bool Inclusive) : ContractCheck
{
    public override string Type => "max";
    public override IReadOnlyList<string> Columns => [Column];
    public override bool IsRowLevel => true;
}

/// <summary>
/// <c>pattern: regex</c> — every non-null string value matches the regex (use ^…$ to anchor). Matched in linear time
/// (<see cref="RegexOptions.NonBacktracking"/>: time grows with the value's length, never exponentially, so a hostile
/// value cannot hang the gate); constructs that need backtracking are refused when the contract loads.
/// </summary>
public sealed record PatternCheck(string Column, Regex Regex) : ContractCheck
{
    public const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    /// <summary>A match taking longer fails the gate as a timeout (exit 5); linear matching reaches it only on huge values.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    public override string Type => "pattern";
    public override IReadOnlyList<string> Columns => [Column];
    public override bool IsRowLevel => true;
}

/// <summary><c>length: {min, max}</c> — inclusive bounds on the length (UTF-16 code units) of non-null strings.</summary>
public sealed record LengthCheck(string Column, int? Min, int? Max) : ContractCheck
{
    public override string Type => "length";
    public override IReadOnlyList<string> Columns => [Column];
    public override bool IsRowLevel => true;
}

/// <summary><c>row_count: {min, max}</c> — inclusive bounds on the number of published rows.</summary>
public sealed record RowCountCheck(long? Min, long? Max) : ContractCheck
{
    public override string Type => "row_count";
    public override IReadOnlyList<string> Columns => [];
    public override bool IsRowLevel => false;
}

/// <summary>
/// <c>freshness: {max_age: 36h}</c> — the newest value of the column is at most <see cref="MaxAge"/> older than
/// the run time. A date value counts as the end of its day (next midnight UTC).
/// </summary>
public sealed record FreshnessCheck(string Column, TimeSpan MaxAge) : ContractCheck
{
    public override string Type => "freshness";
    public override IReadOnlyList<string> Columns => [Column];
    public override bool IsRowLevel => false;
}

/// <summary>
/// <c>references: {dataset, column}</c> — every non-null value of <see cref="Column"/> exists in
/// <see cref="ReferencedColumn"/> of <see cref="ReferencedDataset"/> (resolved through GateContext.ResolveDataset).
/// </summary>
public sealed record ReferencesCheck(string Column, string ReferencedDataset, string ReferencedColumn) : ContractCheck
{
    public override string Type => "references";
    public override IReadOnlyList<string> Columns => [Column];
    public override bool IsRowLevel => true;
}

/// <summary>
/// <c>compare: {left, op, right}</c> — holds for every row where both sides are non-null. A side is a column (any
/// comparable types, as written in <see cref="Left"/>/<see cref="Right"/>) or, when either side is more than a column
/// name, both sides are numeric expressions (<see cref="LeftExpression"/>, <see cref="RightExpression"/>); a row whose
/// expression cannot be computed (overflow, division by zero) fails.
/// </summary>
public sealed record CompareCheck(string Left, CompareOperator Operator, string Right) : ContractCheck
{
    public override string Type => "compare";

    public override IReadOnlyList<string> Columns =>
        LeftExpression is { } l && RightExpression is { } r ? [.. l.Columns.Concat(r.Columns).Distinct()] : [Left, Right];

    public override bool IsRowLevel => true;

    /// <summary>The typed left side when the check compares expressions; null when it compares two columns.</summary>
    public Highwater.Pipeline.Core.Expressions.Expression? LeftExpression { get; init; }

    public Highwater.Pipeline.Core.Expressions.Expression? RightExpression { get; init; }
}
