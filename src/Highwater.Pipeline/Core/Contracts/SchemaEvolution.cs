using Parquet.Schema;

namespace Highwater.Pipeline.Core.Contracts;

/// <summary>A published Parquet file's schema as its footer states it, and the file's key in the warehouse.</summary>
public sealed record PublishedFileSchema(string Key, ParquetSchema Schema);

/// <summary>What a contract would change about a published column that partitions already written cannot follow.</summary>
public enum EvolutionChange
{
    /// <summary>A declared <c>nullable: false</c> column the published files lack: old partitions would read it as null.</summary>
    NewRequiredColumn,

    /// <summary>A published column the contract no longer declares: readers of new partitions would lose it.</summary>
    DroppedColumn,

    /// <summary>A declared type narrower than the published one (values already published may not fit).</summary>
    Narrowing,

    /// <summary>A declared type that is neither the published one nor a widening of it in <see cref="SchemaEvolution.Widenings"/>.</summary>
    IncompatibleType,

    /// <summary>A declared <c>nullable: false</c> column published as nullable (old partitions may hold nulls).</summary>
    TightenedNullability,
}

/// <summary>One change the contract makes that the published partitions cannot take, and a file that shows it.</summary>
public sealed record EvolutionRefusal(string Dataset, string Column, EvolutionChange Change, string Published, string Declared, string File)
{
    public string Reason => Change switch
    {
        EvolutionChange.NewRequiredColumn => "a new column must be nullable: partitions already published lack it and read it as null",
        EvolutionChange.DroppedColumn => "dropping a published column takes it from readers of new partitions",
        EvolutionChange.Narrowing => "a narrower type cannot hold every value already published",
        EvolutionChange.IncompatibleType => $"not a widening the evolution table allows ({SchemaEvolution.WideningsText})",
        _ => "partitions already published may hold nulls; nullability may relax (nullable: false to true), never tighten",
    };

    public override string ToString() =>
        $"{Dataset}.{Column}: published {Published} (e.g. {File}), declared {Declared}: {Reason}";
}

/// <summary>
/// The schema evolution rule: which changes of a dataset contract's declared columns the partitions already published
/// can follow, so that a reader of old and new partitions together (DuckDB <c>union_by_name</c>, Spark with the contract's
/// schema) sees one schema. Compared per published column, by name:
/// <list type="bullet">
/// <item>declared, absent from a published file: allowed when nullable (the old file reads it as null), else refused;</item>
/// <item>published, not declared: refused (a drop);</item>
/// <item>another type: allowed only as a widening of <see cref="Widenings"/>, else refused as a narrowing or an incompatible change;</item>
/// <item>nullability: may relax (required published, nullable declared), may not tighten.</item>
/// </list>
/// Partition columns (<c>partition_by</c>) live in folder names and are not compared. The way out of a refusal is to
/// revert the contract, or to rewrite every partition with the new schema (<c>--full-refresh</c>).
/// </summary>
public static class SchemaEvolution
{
    /// <summary>
    /// The type changes a contract may make to a published column. Each one keeps every published value exactly
    /// (no rounding, no overflow, no time-zone reading), and DuckDB unifies both types when it reads old and new files:
    /// int32 → int64, and decimal(p,s) → decimal(p2,s2) with at least as many integer digits (p2−s2 ≥ p−s) and at least
    /// as many fraction digits (s2 ≥ s). Not in the table: date → timestamp (a date has no instant: which zone's
    /// midnight?), integers → decimal (left out to keep the table small: safe only with enough integer digits), anything → string (a reader
    /// comparing values would switch from numeric to text order).
    /// </summary>
    public static bool IsWidening(ColumnType published, ColumnType declared) => (published.Kind, declared.Kind) switch
    {
        (ColumnKind.Int32, ColumnKind.Int64) => true,
        (ColumnKind.Decimal, ColumnKind.Decimal) =>
            declared.Precision - declared.Scale >= published.Precision - published.Scale && declared.Scale >= published.Scale,
        _ => false,
    };

    /// <summary>Whether <paramref name="declared"/> drops range or precision <paramref name="published"/> has: int64 → int32, fewer integer or fraction digits.</summary>
    public static bool IsNarrowing(ColumnType published, ColumnType declared) => (published.Kind, declared.Kind) switch
    {
        (ColumnKind.Int64, ColumnKind.Int32) => true,
        (ColumnKind.Decimal, ColumnKind.Decimal) =>
            declared.Precision - declared.Scale < published.Precision - published.Scale || declared.Scale < published.Scale,
        _ => false,
    };

    /// <summary>The rows of the widening table, for messages and docs/contracts.md.</summary>
    public static readonly IReadOnlyList<(string From, string To)> Widenings =
    [
        ("int32", "int64"),
        ("decimal(p,s)", "decimal(p2,s2) with p2-s2 >= p-s and s2 >= s"),
    ];

    public static string WideningsText => string.Join("; ", Widenings.Select(w => $"{w.From} -> {w.To}"));

    /// <summary>
    /// The changes <paramref name="contract"/> makes that <paramref name="published"/> cannot take, each named once per
    /// column and kind of change, with the first file that shows it; contract columns first (in declared order), then drops.
    /// </summary>
    public static List<EvolutionRefusal> Compare(DataContract contract, IEnumerable<PublishedFileSchema> published)
    {
        var refusals = new List<EvolutionRefusal>();
        var seen = new HashSet<(string, EvolutionChange)>();
        var files = published.ToList();

        void Refuse(string column, EvolutionChange change, string was, string declared, string file)
        {
            if (seen.Add((column, change))) refusals.Add(new EvolutionRefusal(contract.Dataset, column, change, was, declared, file));
        }

        foreach (var column in contract.Columns)
        {
            var declared = $"{column.Type} nullable: {(column.Nullable ? "true" : "false")}";
            foreach (var file in files)
            {
                var field = file.Schema.Fields.FirstOrDefault(f => f.Name == column.Name);
                if (field is null)
                {
                    if (!column.Nullable) Refuse(column.Name, EvolutionChange.NewRequiredColumn, "without it", declared, file.Key);
                    continue;
                }

                var was = Describe(field);
                var type = field is DataField d ? ColumnType.FromField(d) : null;
                if (type is null)
                    Refuse(column.Name, EvolutionChange.IncompatibleType, was, declared, file.Key);
                else if (type != column.Type && !IsWidening(type, column.Type))
                    Refuse(column.Name, IsNarrowing(type, column.Type) ? EvolutionChange.Narrowing : EvolutionChange.IncompatibleType, was, declared, file.Key);
                else if (field.IsNullable && !column.Nullable)
                    Refuse(column.Name, EvolutionChange.TightenedNullability, was, declared, file.Key);
            }
        }

        foreach (var file in files)
            foreach (var field in file.Schema.Fields)
                if (contract.FindColumn(field.Name) is null && !contract.IsPartitionColumn(field.Name))
                    Refuse(field.Name, EvolutionChange.DroppedColumn, Describe(field), "nothing (not in the contract)", file.Key);

        return refusals;
    }

    /// <summary>A published field's type and nullability in contract spelling where one exists: <c>int32 nullable: true</c>.</summary>
    public static string Describe(Field field)
    {
        var type = field is DataField d ? ColumnType.Describe(d) : "nested (struct, list or map)";
        return $"{type} nullable: {(field.IsNullable ? "true" : "false")}";
    }
}
