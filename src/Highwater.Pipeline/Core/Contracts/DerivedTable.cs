using Highwater.Pipeline.Core.Expressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Highwater.Pipeline.Core.Contracts;

/// <summary>One output column of a derived table: its name, the text as written and the parsed aggregate.</summary>
public sealed record DerivedColumn(string Name, string Text, AggregateExpression Aggregate);

/// <summary>
/// A contract's <c>derive:</c> section (docs/contracts.md): the dataset is computed from <see cref="From"/>'s rows,
/// one row per distinct <see cref="GroupBy"/> key (string columns, null a value like any other), ordered by the keys
/// ordinally (null first), with the <see cref="Outputs"/> in declaration order. Every column of the contract is a key or
/// an output. Read per file by <see cref="Read"/>; typed against the source contract by <see cref="Resolve"/>.
/// </summary>
public sealed record DerivedTable(string From, IReadOnlyList<string> GroupBy, IReadOnlyList<DerivedColumn> Outputs)
{
    private static readonly string[] Keys = ["from", "group_by", "aggregates"];

    /// <summary>The YAML nodes of the section, kept until <see cref="Resolve"/> types it (errors point into them).</summary>
    internal Pending? Source { get; init; }

    internal sealed record Pending(YamlNode Node, YamlNode FromNode, List<(string Name, YamlNode Node)> GroupBy, List<(string Name, YamlScalarNode Node)> Outputs);

    /// <summary>The section's shape and its columns against the contract's own <paramref name="columns"/>.</summary>
    internal static DerivedTable Read(YamlNodeReader r, YamlNode node, IReadOnlyList<ContractColumn> columns)
    {
        var e = r.Entries(r.Mapping(node, "derive"), "derive", Keys);
        var fromNode = r.Required(e, node, "from", "derive");
        var from = r.NonEmptyString(fromNode, "derive.from");
        var groupBy = r.Names(r.Required(e, node, "group_by", "derive"), "derive.group_by");
        foreach (var (name, n) in groupBy)
            if (groupBy.Count(g => g.Name == name) > 1)
                throw r.Error(n, $"group_by column '{name}' is listed twice");
        var aggregates = r.Mapping(r.Required(e, node, "aggregates", "derive"), "derive.aggregates");
        var outputs = new List<(string, YamlScalarNode)>();
        foreach (var (k, v) in aggregates.Children)
        {
            var name = r.NonEmptyString(k, "an aggregate's column name");
            r.String(v, $"derive.aggregates.{name}");
            if (outputs.Any(o => o.Item1 == name) || groupBy.Any(g => g.Name == name))
                throw r.Error(k, $"column '{name}' is derived twice; expected one derivation per column");
            outputs.Add((name, (YamlScalarNode)v));
        }
        foreach (var (name, n) in groupBy.Concat(outputs.Select(o => (o.Item1, (YamlNode)o.Item2))))
            if (columns.All(c => c.Name != name))
                throw r.Error(n, $"derived column '{name}' is not declared in columns{YamlNodeReader.Suggest(name, columns.Select(c => c.Name))}; declare it there with its type");
        foreach (var c in columns)
            if (groupBy.All(g => g.Name != c.Name) && outputs.All(o => o.Item1 != c.Name))
                throw r.Error(node, $"column '{c.Name}' is declared but not derived; add it to derive.group_by or derive.aggregates");
        return new DerivedTable(from, groupBy.Select(g => g.Name).ToList(), [])
        {
            Source = new Pending(node, fromNode, groupBy, outputs),
        };
    }

    /// <summary>Types the section of <paramref name="contract"/> against the contracts it may derive from.</summary>
    internal static DataContract Resolve(DataContract contract, IReadOnlyDictionary<string, DataContract> all)
    {
        if (contract.Derive?.Source is not { } p) return contract;
        var r = new YamlNodeReader(contract.SourcePath ?? contract.Dataset);
        var d = contract.Derive;
        if (!all.TryGetValue(d.From, out var source) || ReferenceEquals(source, contract))
            throw r.Error(p.FromNode, $"derive.from names dataset '{d.From}', which has no contract{YamlNodeReader.Suggest(d.From, all.Keys)}; expected one of: {string.Join(", ", all.Keys.Where(k => k != contract.Dataset))}");
        var rowColumns = source.Columns.ToDictionary(c => c.Name, c => ContractExpressions.Column(c.Name, c.Type, c.Nullable), StringComparer.Ordinal);
        foreach (var (name, node) in p.GroupBy)
        {
            var t = source.FindColumn(name)?.Type;
            if (t is null)
                throw r.Error(node, $"group_by column '{name}' is not a column of {source.Dataset}{YamlNodeReader.Suggest(name, rowColumns.Keys)}");
            if (t.Kind != ColumnKind.String || contract.FindColumn(name)!.Type.Kind != ColumnKind.String)
                throw r.Error(node, $"group_by column '{name}' is {t} in {source.Dataset} and {contract.FindColumn(name)!.Type} here; expected string in both");
        }

        var earlier = new Dictionary<string, ExpressionColumn>(StringComparer.Ordinal);
        var outputs = new List<DerivedColumn>();
        foreach (var (name, node) in p.Outputs)
        {
            var text = node.Value!;
            var where = $"derive.aggregates.{name}";
            AggregateExpression a;
            try
            {
                a = AggregateParser.Parse(text, rowColumns, earlier, YamlNodeReader.Suggest);
            }
            catch (ExpressionException e)
            {
                long quote = node.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted ? 1 : 0;
                bool oneLine = !text.Contains('\n') && node.Style is not (ScalarStyle.Literal or ScalarStyle.Folded);
                throw new ContractDefinitionException(r.Path, node.Start.Line, oneLine ? node.Start.Column + quote + e.Position : node.Start.Column,
                    $"{where}: {e.Message}", e);
            }
            if (a.Function == AggregateFunction.CountDistinct && source.FindColumn(a.DistinctColumn!)!.Type.Kind is not (ColumnKind.String or ColumnKind.Int32 or ColumnKind.Int64))
                throw r.Error(node, $"{where}: count(distinct {a.DistinctColumn}) counts string or integer columns; {a.DistinctColumn} is {source.FindColumn(a.DistinctColumn!)!.Type}");
            var declared = contract.FindColumn(name)!;
            // An integer fills an int64 or a decimal column exactly; a decimal would lose its fraction in an integer one.
            var fits = declared.Type.Kind == ColumnKind.Decimal || (a.Kind != NumericKind.Decimal && declared.Type.Kind == ColumnKind.Int64);
            if (!fits)
                throw r.Error(node, $"{where}: {text} is {(a.Kind == NumericKind.Decimal ? "decimal" : "int64")} but column '{name}' is declared {declared.Type}; expected {(a.Kind == NumericKind.Decimal ? "a decimal(p,s)" : "an int64 or a decimal(p,s)")} column");
            if (a.Nullable && !declared.Nullable)
                throw r.Error(node, $"{where}: {text} can be null but column '{name}' is declared nullable: false");
            earlier[name] = new ExpressionColumn(name, a.Kind, a.Nullable, declared.Type.ToString());
            outputs.Add(new DerivedColumn(name, text, a));
        }
        return contract with { Derive = new DerivedTable(d.From, d.GroupBy, outputs) };
    }
}
