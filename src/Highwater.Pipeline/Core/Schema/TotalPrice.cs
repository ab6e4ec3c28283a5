namespace Highwater.Pipeline.Core.Schema;

/// <summary>
/// The mart's total_price is derived: its expression is the sales_mart contract's <c>derived:</c> on the column
/// (<c>qty * unit_price</c>), evaluated by Transform with the other derived columns. Its range is its declared type's
/// (DECIMAL(18,2) like unit_price, <see cref="Mart.DecimalColumnFit.Limit"/>): a value beyond it (qty up to 2^31 times a
/// unit_price of 16 integer digits) cannot be written, and its line is quarantined instead of failing the run.
/// </summary>
public static class TotalPrice
{
    /// <summary>The column's name in the mart and its contract.</summary>
    public const string Column = "total_price";
}
