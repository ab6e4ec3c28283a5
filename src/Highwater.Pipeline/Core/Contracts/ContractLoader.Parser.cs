using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Highwater.Pipeline.Core.Contracts;

// The contract document's reader: one pass over the YAML, each key checked where it is read (docs/contracts.md).
public static partial class ContractLoader
{
    /// <summary>The recursive-descent reader over one document.</summary>
    private sealed class Parser(YamlNodeReader r)
    {
        private readonly Dictionary<string, ColumnType> _types = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Expressions.ExpressionColumn> _numeric = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (YamlNode Node, string Text)> _derived = new(StringComparer.Ordinal);

        public DataContract Contract(YamlNode root)
        {
            var top = r.Entries(r.Mapping(root, "the contract"), "the contract", TopLevelKeys);

            var dataset = r.NonEmptyString(r.Required(top, root, "dataset", "the contract"), "dataset");
            if (!Regex.IsMatch(dataset, "^[a-z][a-z0-9_]*$"))
                throw r.Error(top["dataset"].Value, $"dataset '{dataset}' must be a lower-case identifier (letters, digits, _)");
            var version = r.NonEmptyString(r.Required(top, root, "version", "the contract"), "version");
            string? owner = top.TryGetValue("owner", out var o) ? r.String(o.Value, "owner") : null;
            string? description = top.TryGetValue("description", out var d) ? r.String(d.Value, "description") : null;

            var partitionBy = new List<string>();
            if (top.TryGetValue("partition_by", out var p))
            {
                foreach (var (name, node) in r.Names(p.Value, "partition_by"))
                {
                    if (partitionBy.Contains(name)) throw r.Error(node, $"partition column '{name}' is listed twice");
                    partitionBy.Add(name);
                    _types[name] = ColumnType.Date;
                    _numeric[name] = ContractExpressions.Column(name, ColumnType.Date, nullable: false);
                }
            }

            bool allowNew = false;
            if (top.TryGetValue("schema", out var s))
            {
                var schema = r.Entries(r.Mapping(s.Value, "schema"), "schema", SchemaKeys);
                if (schema.TryGetValue("allow_new_nullable_columns", out var a))
                    allowNew = r.Bool(a.Value, "schema.allow_new_nullable_columns");
            }

            double maxFraction = DataContract.DefaultMaxQuarantinedFraction;
            if (top.TryGetValue("max_quarantined_fraction", out var f))
            {
                maxFraction = r.Double(f.Value, "max_quarantined_fraction");
                if (maxFraction is < 0 or > 1)
                    throw r.Error(f.Value, $"max_quarantined_fraction must be between 0 and 1, found {maxFraction}");
            }

            var columnsNode = r.Sequence(r.Required(top, root, "columns", "the contract"), "columns");
            if (columnsNode.Children.Count == 0) throw r.Error(columnsNode, "columns must declare at least one column");
            var columns = columnsNode.Children.Select(Column).ToList();
            // Derivations read the other columns, wherever they are declared: typed once all are known.
            columns = columns.Select((col, i) => _derived.TryGetValue(col.Name, out var d)
                ? ContractExpressions.Derive(r, col, d.Node, d.Text, _numeric, _derived.Keys)
                : col).ToList();

            var derive = top.TryGetValue("derive", out var dv) ? DerivedTable.Read(r, dv.Value, columns) : null;

            var checks = new List<ContractCheck>();
            if (top.TryGetValue("checks", out var c) && !IsNull(c.Value))
            {
                foreach (var node in r.Sequence(c.Value, "checks").Children)
                {
                    var check = Check(node);
                    if (checks.Any(x => x.Name == check.Name))
                        throw r.Error(node, $"check name '{check.Name}' is used twice; expected unique names (add a 'name:' key)");
                    checks.Add(check);
                }
            }

            return new DataContract
            {
                Dataset = dataset,
                Version = version,
                Owner = owner,
                Description = description,
                PartitionBy = partitionBy,
                AllowNewNullableColumns = allowNew,
                Columns = columns,
                Checks = checks,
                MaxQuarantinedFraction = maxFraction,
                Derive = derive,
                SourcePath = r.Path,
            };
        }

        private ContractColumn Column(YamlNode node)
        {
            var m = r.Mapping(node, "a column");
            var e = r.Entries(m, "a column", ColumnKeys);
            var name = r.NonEmptyString(r.Required(e, node, "name", "the column"), "column name");
            if (_types.ContainsKey(name))
                throw r.Error(e["name"].Value, $"column '{name}' is declared twice (partition columns come from partition_by and are not listed in columns)");
            var typeNode = r.Required(e, node, "type", $"column '{name}'");
            var typeText = r.String(typeNode, $"type of column '{name}'");
            if (!ColumnType.TryParse(typeText, out var type))
                throw r.Error(typeNode, $"unknown type '{typeText}' for column '{name}'; expected one of: {ColumnType.AcceptedSpellings}");
            bool nullable = r.Bool(r.Required(e, node, "nullable", $"column '{name}'"), $"nullable of column '{name}'");
            string? description = e.TryGetValue("description", out var d) ? r.String(d.Value, "description") : null;
            if (e.TryGetValue("derived", out var x)) _derived[name] = (x.Value, r.NonEmptyString(x.Value, $"derived of column '{name}'"));
            _types[name] = type;
            _numeric[name] = ContractExpressions.Column(name, type, nullable);
            return Source(e, name, type, nullable, e.ContainsKey("derived")) with
            {
                Description = description,
                SourceLine = (int)node.Start.Line,
                SourceColumn = (int)node.Start.Column,
            };
        }

        private readonly Dictionary<ColumnLineage, string> _lineage = [];

        /// <summary>
        /// Where an input dataset's column comes from (docs/contracts.md, "Where a column comes from"): <c>json:</c> (the
        /// field, default the column's name), <c>lineage: file|line</c> (the input position) or <c>default:</c> (the value
        /// of a line without the field; its type is checked by the stage that reads the input).
        /// </summary>
        private ContractColumn Source(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> e, string name, ColumnType type, bool nullable, bool derived)
        {
            var column = new ContractColumn(name, type, nullable, null);
            string? json = null;
            if (e.TryGetValue("json", out var j))
            {
                json = r.NonEmptyString(j.Value, $"json of column '{name}'");
                if (derived) throw r.Error(j.Key, $"column '{name}' is derived, so it has no input field; remove json: or derived:");
            }
            var lineage = ColumnLineage.None;
            if (e.TryGetValue("lineage", out var l))
            {
                var text = r.String(l.Value, $"lineage of column '{name}'");
                lineage = text switch
                {
                    "file" => ColumnLineage.File,
                    "line" => ColumnLineage.Line,
                    _ => throw r.Error(l.Value, $"unknown lineage '{text}' for column '{name}'; expected file (the input object's key) or line (the 1-based line number)"),
                };
                var (wanted, what) = lineage == ColumnLineage.File ? (ColumnType.String, "string") : (ColumnType.Int64, "int64");
                if (type != wanted) throw r.Error(l.Value, $"column '{name}' has lineage {text}, which is a {what}, but is declared {type}; expected type: {what}");
                if (nullable) throw r.Error(l.Value, $"column '{name}' has lineage {text}, which every row has; expected nullable: false");
                foreach (var other in new[] { "json", "default", "derived" })
                    if (e.TryGetValue(other, out var o))
                        throw r.Error(o.Key, $"column '{name}' has lineage {text}, so it is not read from the line; remove {other}:");
                if (_lineage.TryGetValue(lineage, out var first))
                    throw r.Error(l.Value, $"lineage {text} is already the column '{first}'; expected each lineage at most once");
                _lineage[lineage] = name;
            }
            if (!e.TryGetValue("default", out var d)) return column with { JsonField = json, Lineage = lineage };
            if (derived) throw r.Error(d.Key, $"column '{name}' is derived, so it has no input field to default; remove default: or derived:");
            var isNull = IsNull(d.Value);
            if (!isNull && d.Value is not YamlScalarNode) throw r.Error(d.Value, $"default of column '{name}' must be a single value, found {YamlNodeReader.Kind(d.Value)}");
            if (isNull && !nullable) throw r.Error(d.Value, $"column '{name}' is not nullable, so its default cannot be null; expected a {type} value or nullable: true");
            return column with
            {
                JsonField = json,
                HasDefault = true,
                DefaultText = isNull ? null : ((YamlScalarNode)d.Value).Value,
                DefaultLine = (int)d.Value.Start.Line,
                DefaultColumn = (int)d.Value.Start.Column,
            };
        }

        private ContractCheck Check(YamlNode node)
        {
            var m = r.Mapping(node, "a check");
            var typeKeys = m.Children.Keys.OfType<YamlScalarNode>().Where(k => k.Value is not null && CheckTypes.ContainsKey(k.Value)).ToList();
            if (typeKeys.Count == 0)
            {
                var unknown = m.Children.Keys.OfType<YamlScalarNode>()
                    .FirstOrDefault(k => !CommonCheckKeys.Contains(k.Value) && !ParameterKeys.Contains(k.Value));
                if (unknown is not null)
                    throw r.Error(unknown, $"unknown check type '{unknown.Value}'{YamlNodeReader.Suggest(unknown.Value!, CheckTypes.Keys)}; expected one of: {string.Join(", ", CheckTypes.Keys)}");
                throw r.Error(node, $"the check has no type key; expected one of: {string.Join(", ", CheckTypes.Keys)}");
            }

            if (typeKeys.Count > 1)
                throw r.Error(typeKeys[1], $"a check has exactly one type, found '{typeKeys[0].Value}' and '{typeKeys[1].Value}'; write them as separate checks");

            var type = typeKeys[0].Value!;
            var allowed = CommonCheckKeys.Concat([type]).Concat(CheckTypes[type]).ToArray();
            var e = r.Entries(m, $"a {type} check", allowed);
            var arg = e[type].Value;

            var severityText = e.TryGetValue("severity", out var sv) ? r.String(sv.Value, "severity") : "error";
            var severity = severityText switch
            {
                "error" => CheckSeverity.Error,
                "warn" => CheckSeverity.Warn,
                "quarantine" => CheckSeverity.Quarantine,
                _ => throw r.Error(sv.Value, $"unknown severity '{severityText}'{YamlNodeReader.Suggest(severityText, Severities)}; expected one of: error, warn, quarantine"),
            };

            ContractCheck check = type switch
            {
                "not_null" => NotNull(e, node, arg),
                "unique" => Unique(e, node, arg),
                "accepted_values" => AcceptedValues(e, node, arg),
                "min" => Bound(e, node, arg, isMin: true),
                "max" => Bound(e, node, arg, isMin: false),
                "pattern" => Pattern(e, node, arg),
                "length" => Length(e, node, arg),
                "row_count" => RowCount(arg),
                "freshness" => Freshness(e, node, arg),
                "references" => References(e, node, arg),
                "compare" => Compare(arg, e.TryGetValue("name", out var cn) && cn.Value is YamlScalarNode { Value: { } cv } ? $"check '{cv}'" : "a compare check"),
                _ => throw r.Error(typeKeys[0], $"unknown check type '{type}'"),
            };

            if (severity == CheckSeverity.Quarantine && !check.IsRowLevel)
                throw r.Error(sv.Value, $"severity 'quarantine' is only allowed on row-level checks (not_null, accepted_values, min, max, pattern, length, references, compare), not on '{type}'; expected error or warn");

            string name = e.TryGetValue("name", out var n) ? r.NonEmptyString(n.Value, "check name") : DefaultName(check);
            string? description = e.TryGetValue("description", out var d) ? r.String(d.Value, "description") : null;

            return check with
            {
                Name = name,
                Severity = severity,
                Description = description,
                SourceLine = node.Start.Line,
                SourceColumn = node.Start.Column,
            };
        }

        private static string DefaultName(ContractCheck check) => check switch
        {
            CompareCheck c => $"compare_{ContractExpressions.Slug(c.Left)}_{OperatorWord(c.Operator)}_{ContractExpressions.Slug(c.Right)}",
            ReferencesCheck rc => $"references_{rc.Column}_{rc.ReferencedDataset}",
            _ when check.Columns.Count == 0 => check.Type,
            _ => $"{check.Type}_{string.Join("_", check.Columns)}",
        };

        private static string OperatorWord(CompareOperator op) => op switch
        {
            CompareOperator.Equal => "eq",
            CompareOperator.NotEqual => "ne",
            CompareOperator.Less => "lt",
            CompareOperator.LessOrEqual => "le",
            CompareOperator.Greater => "gt",
            _ => "ge",
        };

        // Placeholder values for required members; Check() sets the real ones with a 'with' expression.
        private const string Unnamed = "";

        private (string Name, ColumnType Type) DeclaredColumn(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> e, YamlNode owner, string type)
        {
            var node = r.Required(e, owner, "column", $"the {type} check");
            return (Declared(node, r.NonEmptyString(node, "column")), _types[r.NonEmptyString(node, "column")]);
        }

        private string Declared(YamlNode node, string name)
        {
            if (_types.ContainsKey(name)) return name;
            throw r.Error(node, $"column '{name}' is not declared{YamlNodeReader.Suggest(name, _types.Keys)}; expected one of: {string.Join(", ", _types.Keys)}");
        }

        private void RequireTrue(YamlNode arg, string type)
        {
            if (!r.Bool(arg, type))
                throw r.Error(arg, $"{type} must be true (remove the check to switch it off)");
        }

        private ContractCheck NotNull(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> e, YamlNode owner, YamlNode arg)
        {
            RequireTrue(arg, "not_null");
            return new NotNullCheck(DeclaredColumn(e, owner, "not_null").Name) { Name = Unnamed, Severity = CheckSeverity.Error };
        }

        private ContractCheck Unique(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> e, YamlNode owner, YamlNode arg)
        {
            RequireTrue(arg, "unique");
            if (e.ContainsKey("column") == e.ContainsKey("columns"))
                throw r.Error(owner, "a unique check needs exactly one of 'column' (one column) or 'columns' (a list)");
            var keyNode = e.TryGetValue("column", out var c) ? c.Value : e["columns"].Value;
            var key = r.Names(keyNode, "columns").Select(x => Declared(x.Node, x.Name)).ToList();
            var within = e.TryGetValue("within", out var w)
                ? r.Names(w.Value, "within").Select(x => Declared(x.Node, x.Name)).ToList()
                : [];
            foreach (var dup in key.Concat(within).GroupBy(x => x).Where(g => g.Count() > 1))
                throw r.Error(keyNode, $"column '{dup.Key}' appears twice in the unique key");
            return new UniqueCheck(key, within) { Name = Unnamed, Severity = CheckSeverity.Error };
        }

        private ContractCheck AcceptedValues(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> e, YamlNode owner, YamlNode arg)
        {
            var (column, type) = DeclaredColumn(e, owner, "accepted_values");
            var seq = r.Sequence(arg, "accepted_values");
            if (seq.Children.Count == 0) throw r.Error(arg, "accepted_values must list at least one value");
            var values = seq.Children.Select(v => Literal(v, type, column, "accepted value")).ToList();
            return new AcceptedValuesCheck(column, values) { Name = Unnamed, Severity = CheckSeverity.Error };
        }

        private ContractCheck Bound(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> e, YamlNode owner, YamlNode arg, bool isMin)
        {
            string kind = isMin ? "min" : "max";
            var (column, type) = DeclaredColumn(e, owner, kind);
            var bound = Literal(arg, type, column, kind);
            bool inclusive = !e.TryGetValue("inclusive", out var i) || r.Bool(i.Value, "inclusive");
            return isMin
                ? new MinCheck(column, bound, inclusive) { Name = Unnamed, Severity = CheckSeverity.Error }
                : new MaxCheck(column, bound, inclusive) { Name = Unnamed, Severity = CheckSeverity.Error };
        }

        private ContractCheck Pattern(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> e, YamlNode owner, YamlNode arg)
        {
            var (column, type) = DeclaredColumn(e, owner, "pattern");
            RequireString(e["column"].Value, column, type, "pattern");
            var text = r.NonEmptyString(arg, "pattern");
            try
            {
                var regex = new Regex(text, PatternCheck.Options, PatternCheck.MatchTimeout);
                return new PatternCheck(column, regex) { Name = Unnamed, Severity = CheckSeverity.Error };
            }
            catch (ArgumentException ex)
            {
                throw r.Error(arg, $"pattern '{text}' is not a valid .NET regular expression: {ex.Message}");
            }
            catch (NotSupportedException ex)
            {
                throw r.Error(arg, $"pattern '{text}' uses a construct linear-time matching cannot run " +
                                   $"(backreferences, lookarounds, atomic groups, conditionals, balancing groups): {ex.Message}");
            }
        }

        private ContractCheck Length(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> e, YamlNode owner, YamlNode arg)
        {
            var (column, type) = DeclaredColumn(e, owner, "length");
            RequireString(e["column"].Value, column, type, "length");
            var (min, max) = Range(arg, "length");
            return new LengthCheck(column, (int?)min, (int?)max) { Name = Unnamed, Severity = CheckSeverity.Error };
        }

        private ContractCheck RowCount(YamlNode arg)
        {
            var (min, max) = Range(arg, "row_count");
            return new RowCountCheck(min, max) { Name = Unnamed, Severity = CheckSeverity.Error };
        }

        private (long? Min, long? Max) Range(YamlNode arg, string what)
        {
            var e = r.Entries(r.Mapping(arg, what), what, ["min", "max"]);
            long? min = e.TryGetValue("min", out var mn) ? r.Long(mn.Value, $"{what}.min") : null;
            long? max = e.TryGetValue("max", out var mx) ? r.Long(mx.Value, $"{what}.max") : null;
            if (min is null && max is null) throw r.Error(arg, $"{what} needs 'min', 'max' or both");
            if (min < 0) throw r.Error(mn.Value, $"{what}.min must not be negative");
            if (max < 0) throw r.Error(mx.Value, $"{what}.max must not be negative");
            if (min > max) throw r.Error(arg, $"{what}.min ({min}) is greater than {what}.max ({max})");
            if (what == "length" && (min > int.MaxValue || max > int.MaxValue)) throw r.Error(arg, "length bounds must fit a 32-bit integer");
            return (min, max);
        }

        private ContractCheck Freshness(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> e, YamlNode owner, YamlNode arg)
        {
            var (column, type) = DeclaredColumn(e, owner, "freshness");
            if (!type.IsTemporal)
                throw r.Error(e["column"].Value, $"freshness needs a timestamp or date column, but '{column}' is {type}");
            var f = r.Entries(r.Mapping(arg, "freshness"), "freshness", ["max_age"]);
            var ageNode = r.Required(f, arg, "max_age", "freshness");
            var ageText = r.String(ageNode, "freshness.max_age");
            if (!DurationText.TryParse(ageText, out var age))
                throw r.Error(ageNode, $"max_age '{ageText}' is not a duration; expected a positive number with unit d, h, m or s, e.g. 36h or 1d12h");
            return new FreshnessCheck(column, age) { Name = Unnamed, Severity = CheckSeverity.Error };
        }

        private ContractCheck References(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> e, YamlNode owner, YamlNode arg)
        {
            var (column, _) = DeclaredColumn(e, owner, "references");
            var f = r.Entries(r.Mapping(arg, "references"), "references", ["dataset", "column"]);
            var dataset = r.NonEmptyString(r.Required(f, arg, "dataset", "references"), "references.dataset");
            var target = r.NonEmptyString(r.Required(f, arg, "column", "references"), "references.column");
            return new ReferencesCheck(column, dataset, target) { Name = Unnamed, Severity = CheckSeverity.Error };
        }

        private ContractCheck Compare(YamlNode arg, string where)
        {
            var f = r.Entries(r.Mapping(arg, "compare"), "compare", ["left", "op", "right"]);
            var leftNode = r.Required(f, arg, "left", "compare");
            var rightNode = r.Required(f, arg, "right", "compare");
            var opNode = r.Required(f, arg, "op", "compare");
            var leftText = r.NonEmptyString(leftNode, "compare.left");
            var rightText = r.NonEmptyString(rightNode, "compare.right");
            var (left, right) = (leftText.Trim(), rightText.Trim());
            var opText = r.String(opNode, "compare.op");
            if (!CompareOperatorText.TryParse(opText, out var op))
                throw r.Error(opNode, $"unknown operator '{opText}'; expected one of: {CompareOperatorText.Accepted}");
            if (Expressions.ExpressionParser.IsIdentifier(left) && Expressions.ExpressionParser.IsIdentifier(right))
            {
                // Two columns: any comparable types, as compare has always read them.
                Declared(leftNode, left);
                Declared(rightNode, right);
                if (!_types[left].IsComparableWith(_types[right]))
                    throw r.Error(arg, $"cannot compare {left} ({_types[left]}) with {right} ({_types[right]}); expected two numeric, two temporal or two string columns");
                return new CompareCheck(left, op, right) { Name = Unnamed, Severity = CheckSeverity.Error };
            }

            var l = ContractExpressions.Parse(r, leftNode, leftText, _numeric, $"{where}, compare.left");
            var rt = ContractExpressions.Parse(r, rightNode, rightText, _numeric, $"{where}, compare.right");
            return new CompareCheck(left, op, right) { Name = Unnamed, Severity = CheckSeverity.Error, LeftExpression = l, RightExpression = rt };
        }

        private void RequireString(YamlNode node, string column, ColumnType type, string check)
        {
            if (type.Kind != ColumnKind.String)
                throw r.Error(node, $"{check} needs a string column, but '{column}' is {type}");
        }

        private object Literal(YamlNode node, ColumnType type, string column, string what)
        {
            var text = r.Scalar(node, what);
            if (node is YamlScalarNode { Style: ScalarStyle.Plain } && text is "" or "~" or "null")
                throw r.Error(node, $"{what} must not be null");
            if (!ContractValues.TryParseLiteral(text, type, out var value))
                throw r.Error(node, $"{what} '{text}' does not fit column '{column}' ({type}); expected {ContractValues.ExpectedLiteral(type)}");
            return value;
        }

        private static bool IsNull(YamlNode node) =>
            node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" };
    }
}
