using System.Globalization;

namespace Highwater.Pipeline.Core.Schema;

/// <summary>
/// The mart's total_price: qty × unit_price, held in DECIMAL(18,2) like unit_price. A product beyond that type
/// (qty up to 2^31 times a unit_price of 16 integer digits) cannot be written, so its line is quarantined with
/// <see cref="Reason"/> instead of failing the run. The product itself is exact: both factors fit System.Decimal's
/// 96 bits and so does their product (at most about 2.2e25).
/// </summary>
public static class TotalPrice
{
    /// <summary>
    /// qty × unit_price, or null when either is null; false when the product does not fit DECIMAL(18,2).
    /// </summary>
    public static bool TryCompute(int? qty, decimal? unitPrice, out decimal? total)
    {
        total = null;
        if (qty is not { } q || unitPrice is not { } p) return true;
        var product = q * p;
        if (Math.Abs(product) > Schemas.MoneyMax) return false;
        total = product;
        return true;
    }

    /// <summary>The quarantine reason for a line whose product does not fit.</summary>
    public static string Reason(string sourceKey, long line, int qty, decimal unitPrice) => string.Create(CultureInfo.InvariantCulture,
        $"{sourceKey}:{line}: total_price = qty {qty} × unit_price {unitPrice} = {qty * unitPrice}, beyond DECIMAL({Schemas.MoneyPrecision},{Schemas.MoneyScale}) (at most {Schemas.MoneyMax} in magnitude)");
}
