using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Highwater.Pipeline.Core.Contracts;

/// <summary>
/// Reads and validates data-contract YAML files (format: docs/contracts.md). Every problem is reported as a
/// <see cref="ContractDefinitionException"/> naming file, line, column and what was expected, before any data is read.
/// </summary>
public static partial class ContractLoader
{
    private static readonly string[] TopLevelKeys =
        ["dataset", "version", "owner", "description", "partition_by", "schema", "columns", "checks", "max_quarantined_fraction", "derive"];

    private static readonly string[] SchemaKeys = ["allow_new_nullable_columns"];
    private static readonly string[] ColumnKeys = ["name", "type", "nullable", "derived", "json", "lineage", "default", "description"];
    private static readonly string[] CommonCheckKeys = ["name", "severity", "description"];

    /// <summary>Check type key → the other keys that check accepts besides name/severity/description.</summary>
    private static readonly Dictionary<string, string[]> CheckTypes = new(StringComparer.Ordinal)
    {
        ["not_null"] = ["column"],
        ["unique"] = ["column", "columns", "within"],
        ["accepted_values"] = ["column"],
        ["min"] = ["column", "inclusive"],
        ["max"] = ["column", "inclusive"],
        ["pattern"] = ["column"],
        ["length"] = ["column"],
        ["row_count"] = [],
        ["freshness"] = ["column"],
        ["references"] = ["column"],
        ["compare"] = [],
    };

    private static readonly string[] ParameterKeys = ["column", "columns", "within", "inclusive"];
    private static readonly string[] Severities = ["error", "warn", "quarantine"];

    /// <summary>Loads every <c>*.yaml</c>/<c>*.yml</c> file of the folder, keyed by dataset, and checks references between them.</summary>
    public static IReadOnlyDictionary<string, DataContract> LoadAll(string contractsDir)
    {
        if (!Directory.Exists(contractsDir))
            throw new ConfigurationException($"data-contract folder '{contractsDir}' does not exist");

        var files = Directory.EnumerateFiles(contractsDir, "*.yaml")
            .Concat(Directory.EnumerateFiles(contractsDir, "*.yml"))
            .Order(StringComparer.Ordinal)
            .ToList();

        var contracts = new SortedDictionary<string, DataContract>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var contract = Load(file);
            if (contracts.TryGetValue(contract.Dataset, out var other))
                throw new ContractDefinitionException(file, 1, 1,
                    $"dataset '{contract.Dataset}' is already defined by {other.SourcePath}; expected one contract file per dataset");
            contracts.Add(contract.Dataset, contract);
        }

        foreach (var contract in contracts.Values)
            ValidateReferences(contract, contracts);
        foreach (var dataset in contracts.Keys.ToList())
            contracts[dataset] = DerivedTable.Resolve(contracts[dataset], contracts);

        return contracts;
    }

    /// <summary>The largest contract file read: contracts are a few kilobytes, and a file is parsed whole in memory.</summary>
    public const long MaxFileBytes = 1 << 20;

    /// <summary>Loads and validates one contract file. References to other datasets are checked by <see cref="LoadAll"/>.</summary>
    public static DataContract Load(string path)
    {
        string text;
        try
        {
            using var file = File.OpenRead(path);
            if (file.Length > MaxFileBytes)
                throw new ConfigurationException(
                    $"data contract '{path}' is {file.Length:N0} bytes; a contract file may hold at most {MaxFileBytes:N0} bytes (1 MiB)");
            // Read at most the cap, whatever the file grows to meanwhile; the encoding as File.ReadAllText detects it.
            var bytes = new byte[file.Length];
            file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            using var reader = new StreamReader(new MemoryStream(bytes), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            text = reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"cannot read data contract '{path}': {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses contract YAML text; <paramref name="path"/> is used in error messages.</summary>
    public static DataContract Parse(string yaml, string path)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ContractDefinitionException(path, e.Start.Line, e.Start.Column, $"invalid YAML: {e.Message}", e);
        }

        if (stream.Documents.Count != 1)
            throw new ContractDefinitionException(path, 1, 1,
                $"expected exactly one YAML document, found {stream.Documents.Count}");

        return new Parser(new YamlNodeReader(path)).Contract(stream.Documents[0].RootNode);
    }

    private static void ValidateReferences(DataContract contract, IDictionary<string, DataContract> all)
    {
        foreach (var check in contract.Checks.OfType<ReferencesCheck>())
        {
            var path = contract.SourcePath ?? contract.Dataset;
            if (!all.TryGetValue(check.ReferencedDataset, out var target))
                throw new ContractDefinitionException(path, check.SourceLine, check.SourceColumn,
                    $"check '{check.Name}' references dataset '{check.ReferencedDataset}', which has no contract{YamlNodeReader.Suggest(check.ReferencedDataset, all.Keys)}; expected one of: {string.Join(", ", all.Keys)}");
            var targetType = target.TypeOf(check.ReferencedColumn);
            if (targetType is null)
                throw new ContractDefinitionException(path, check.SourceLine, check.SourceColumn,
                    $"check '{check.Name}' references column '{check.ReferencedColumn}', which is not declared in dataset '{target.Dataset}'; expected one of: {string.Join(", ", target.Columns.Select(c => c.Name))}");
            var ownType = contract.TypeOf(check.Column)!;
            if (!ownType.IsComparableWith(targetType))
                throw new ContractDefinitionException(path, check.SourceLine, check.SourceColumn,
                    $"check '{check.Name}' compares {check.Column} ({ownType}) with {target.Dataset}.{check.ReferencedColumn} ({targetType}); expected comparable types");
        }
    }
}
