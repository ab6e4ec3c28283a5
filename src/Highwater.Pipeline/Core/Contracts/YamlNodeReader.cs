using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Highwater.Pipeline.Core.Contracts;

/// <summary>
/// Typed access to a YAML representation tree that turns every surprise into a
/// <see cref="ContractDefinitionException"/> pointing at the node's line and column.
/// </summary>
internal sealed class YamlNodeReader(string path)
{
    public string Path { get; } = path;

    public ContractDefinitionException Error(YamlNode node, string problem) =>
        new(Path, node.Start.Line, node.Start.Column, problem);

    public YamlMappingNode Mapping(YamlNode node, string what) =>
        node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping (key: value pairs), found {Kind(node)}");

    public YamlSequenceNode Sequence(YamlNode node, string what) =>
        node as YamlSequenceNode ?? throw Error(node, $"{what} must be a list, found {Kind(node)}");

    /// <summary>
    /// The mapping's entries by key; a key outside <paramref name="allowed"/> is an error that suggests the
    /// nearest allowed spelling.
    /// </summary>
    public Dictionary<string, (YamlScalarNode Key, YamlNode Value)> Entries(
        YamlMappingNode mapping, string what, IReadOnlyCollection<string> allowed)
    {
        var result = new Dictionary<string, (YamlScalarNode, YamlNode)>(StringComparer.Ordinal);
        foreach (var (k, v) in mapping.Children)
        {
            if (k is not YamlScalarNode key || key.Value is null)
                throw Error(k, $"keys of {what} must be plain words, found {Kind(k)}");
            if (!allowed.Contains(key.Value))
                throw Error(key, $"unknown key '{key.Value}' in {what}{Suggest(key.Value, allowed)}; expected one of: {string.Join(", ", allowed)}");
            result[key.Value] = (key, v);
        }

        return result;
    }

    public static string Suggest(string given, IEnumerable<string> candidates)
    {
        var best = candidates
            .Select(c => (c, d: Distance(given.ToLowerInvariant(), c.ToLowerInvariant())))
            .OrderBy(x => x.d).ThenBy(x => x.c, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.c is not null && best.d <= Math.Max(2, given.Length / 3) ? $" (did you mean '{best.c}'?)" : "";
    }

    public YamlNode Required(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> entries, YamlNode owner, string key, string what) =>
        entries.TryGetValue(key, out var e) ? e.Value : throw Error(owner, $"{what} is missing required key '{key}'");

    public string String(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Value: { } v } s && !(s.Style == YamlDotNet.Core.ScalarStyle.Plain && (v.Length == 0 || v is "~" or "null")))
            return v;
        throw Error(node, $"{what} must be a text value, found {Kind(node)}");
    }

    public string NonEmptyString(YamlNode node, string what)
    {
        var s = String(node, what);
        return s.Trim().Length > 0 ? s : throw Error(node, $"{what} must not be empty");
    }

    public bool Bool(YamlNode node, string what) =>
        node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "false" } s
            ? s.Value == "true"
            : throw Error(node, $"{what} must be true or false, found {Describe(node)}");

    public long Long(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: { } v }
            && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            return n;
        throw Error(node, $"{what} must be a whole number, found {Describe(node)}");
    }

    public double Double(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: { } v }
            && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            return n;
        throw Error(node, $"{what} must be a number, found {Describe(node)}");
    }

    /// <summary>A scalar's text, for values whose type depends on the column (bounds, accepted values).</summary>
    public string Scalar(YamlNode node, string what) =>
        node is YamlScalarNode { Value: { } v } ? v : throw Error(node, $"{what} must be a single value, found {Kind(node)}");

    /// <summary>A list of names, or a single name standing for a one-element list.</summary>
    public List<(string Name, YamlNode Node)> Names(YamlNode node, string what)
    {
        if (node is YamlScalarNode) return [(NonEmptyString(node, what), node)];
        var seq = Sequence(node, what);
        if (seq.Children.Count == 0) throw Error(node, $"{what} must list at least one name");
        return seq.Children.Select(c => (NonEmptyString(c, what + " entry"), c)).ToList();
    }

    public static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: null or "" or "~" or "null", Style: YamlDotNet.Core.ScalarStyle.Plain } => "nothing (null)",
        YamlScalarNode s => $"'{s.Value}'",
        _ => node.NodeType.ToString(),
    };

    private static string Describe(YamlNode node) => node is YamlScalarNode { Style: not YamlDotNet.Core.ScalarStyle.Plain } s
        ? $"quoted text '{s.Value}'"
        : Kind(node);

    /// <summary>Optimal-string-alignment distance (Levenshtein plus adjacent transpositions).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        for (int j = 1; j <= b.Length; j++)
        {
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1); // transposition: "mni" is one step from "min"
        }
        return d[a.Length, b.Length];
    }
}
