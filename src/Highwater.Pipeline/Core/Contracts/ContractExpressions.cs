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

    /// <summary>A name-safe spelling of an expression for default check names: <c>qty * unit_price</c> → <c>qty_unit_price</c>.</summary>
    public static string Slug(string text)
    {
        var chars = text.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : ' ').ToArray();
        return string.Join('_', new string(chars).Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
