using Highwater.Pipeline.Core.Expressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Highwater.Pipeline.Core.Contracts;

/// <summary>
/// Expressions inside a contract (compare sides, derivations): the contract's columns as the expression language
/// sees them, and parse errors turned into <see cref="ContractDefinitionException"/>s that point at the offending
/// character of the YAML value.
/// </summary>
internal static class ContractExpressions
{
    /// <summary>The numeric kind of a declared type, or null for one no expression computes with.</summary>
    public static NumericKind? KindOf(ColumnType type) => type.Kind switch
    {
        ColumnKind.Int32 => NumericKind.Int32,
        ColumnKind.Int64 => NumericKind.Int64,
        ColumnKind.Decimal => NumericKind.Decimal,
        _ => null,
    };

    public static ExpressionColumn Column(string name, ColumnType type, bool nullable) => new(name, KindOf(type), nullable, type.ToString());

    /// <summary>
    /// Parses the expression held by <paramref name="node"/>; a problem is reported at the node's line and at the column
    /// of the offending character (exact for a value on one line), with <paramref name="where"/> (e.g. "check 'x', compare.left").
    /// </summary>
    public static Expression Parse(YamlNodeReader r, YamlNode node, string text, IReadOnlyDictionary<string, ExpressionColumn> columns, string where)
    {
        try
        {
            return ExpressionParser.Parse(text, columns, YamlNodeReader.Suggest);
        }
        catch (ExpressionException e)
        {
            long quote = node is YamlScalarNode { Style: ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted } ? 1 : 0;
            bool oneLine = !text.Contains('\n') && node is YamlScalarNode { Style: not (ScalarStyle.Literal or ScalarStyle.Folded) };
            long column = oneLine ? node.Start.Column + quote + e.Position : node.Start.Column;
            throw new ContractDefinitionException(r.Path, node.Start.Line, column, $"{where}: {e.Message}", e);
        }
    }

    /// <summary>
    /// <paramref name="column"/> with its derivation typed: an expression of the contract's other, non-derived numeric
    /// columns whose type fits the column's (an integer column takes no decimal) and that is null only where the
    /// column may be.
    /// </summary>
    public static ContractColumn Derive(YamlNodeReader r, ContractColumn column, YamlNode node, string text,
        IReadOnlyDictionary<string, ExpressionColumn> columns, IEnumerable<string> derived)
    {
        var where = $"derived column '{column.Name}'";
        if (KindOf(column.Type) is not { } target)
            throw r.Error(node, $"{where}: a derivation computes a number, but the column is {column.Type}; expected int32, int64 or decimal(p,s)");
        var e = Parse(r, node, text, columns, where);
        if (e.Columns.FirstOrDefault(derived.Contains) is { } name)
            throw r.Error(node, $"{where}: '{text.Trim()}' reads '{name}', which is derived{(name == column.Name ? " (itself)" : "")}; a derivation reads the columns a row arrives with");
        bool fits = target switch
        {
            NumericKind.Decimal => true,
            NumericKind.Int64 => e.Kind != NumericKind.Decimal,
            _ => e.Kind == NumericKind.Int32,
        };
        if (!fits)
            throw r.Error(node, $"{where}: '{text.Trim()}' is {e.Kind.ToString().ToLowerInvariant()}, which does not fit the column's {column.Type}");
        if (e.Nullable && !column.Nullable)
            throw r.Error(node, $"{where}: '{text.Trim()}' is null when {string.Join(" or ", e.Columns.Where(c => columns[c].Nullable))} is, but the column is nullable: false; wrap nullable inputs in coalesce(…, default)");
        return column with { Derivation = e, DerivationText = text.Trim() };
    }

    /// <summary>A name-safe spelling of an expression for default check names: <c>qty * unit_price</c> → <c>qty_unit_price</c>.</summary>
    public static string Slug(string text)
    {
        var chars = text.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : ' ').ToArray();
        return string.Join('_', new string(chars).Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
