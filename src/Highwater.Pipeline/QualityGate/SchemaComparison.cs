using System.Globalization;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;
using Parquet.Schema;

namespace Highwater.Pipeline.QualityGate;

/// <summary>
/// Compares a file's Parquet schema and partition values with the contract:
/// a missing or retyped column, a nullable column where the contract promises a required one, an undeclared column
/// (accepted only when nullable and <c>allow_new_nullable_columns</c>), a missing or malformed partition value.
/// </summary>
internal static class SchemaComparison
{
    public static List<string> Compare(DataContract contract, ParquetSchema schema, DatasetFile file)
    {
        var issues = new List<string>();
        foreach (var partition in contract.PartitionBy)
        {
            if (!file.PartitionValues.TryGetValue(partition, out var text))
                issues.Add($"partition column {partition}: expected a {partition}=YYYY-MM-DD folder, found none");
            else if (!TryParsePartitionDate(text, out _))
                issues.Add($"partition column {partition}: expected a date YYYY-MM-DD, found '{text}'");
        }

        var nested = schema.Fields.Where(f => f is not DataField).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var fields = schema.DataFields.ToDictionary(f => f.Name, StringComparer.Ordinal);

        foreach (var column in contract.Columns)
        {
            if (!fields.TryGetValue(column.Name, out var field))
            {
                issues.Add(nested.Contains(column.Name)
                    ? $"column {column.Name}: expected {column.Type}, found a nested column"
                    : $"column {column.Name}: expected {column.Type}, found no such column");
                continue;
            }

            var found = ColumnType.FromField(field);
            if (found != column.Type)
                issues.Add($"column {column.Name}: expected {column.Type}, found {ColumnType.Describe(field)}");
            else if (!column.Nullable && field.IsNullable)
                issues.Add($"column {column.Name}: expected required (nullable: false), found nullable");
        }

        foreach (var field in schema.Fields)
        {
            if (contract.FindColumn(field.Name) is not null) continue;
            var type = field is DataField df ? ColumnType.Describe(df) : "nested";
            if (!contract.AllowNewNullableColumns)
                issues.Add($"column {field.Name}: not in the contract, found {type}; declare it or set schema.allow_new_nullable_columns: true for nullable additions");
            else if (!field.IsNullable)
                issues.Add($"column {field.Name}: not in the contract, found required {type}; only nullable columns may be added");
            else if (field is not DataField d || !RowGroupColumns.IsSupported(d))
                issues.Add($"column {field.Name}: not in the contract, found unsupported {type}");
        }

        return issues;
    }

    public static bool TryParsePartitionDate(string text, out DateTime date)
    {
        var ok = DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out date);
        date = DateTime.SpecifyKind(date, DateTimeKind.Utc);
        return ok;
    }
}
