using Parquet.Schema;
using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// The gate's rule on which dataset columns it reads: a flat column of a type <see cref="RowGroupColumns"/> reads and
/// writes; any other is refused as a data error naming the column and its type.
/// </summary>
internal static class SupportedColumns
{
    public static void EnsureSupported(DataField field)
    {
        if (!RowGroupColumns.IsSupported(field))
            throw new DataException($"column '{field.Name}' has an unsupported Parquet type ({ColumnType.Describe(field)})");
    }
}
