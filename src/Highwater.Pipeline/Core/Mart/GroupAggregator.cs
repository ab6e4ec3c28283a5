using System.Globalization;
using System.Runtime.InteropServices;
using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Expressions;

namespace Highwater.Pipeline.Core.Mart;

/// <summary>
/// The columns of one source partition as a <see cref="GroupAggregator"/> reads them, registered by name: strings as
/// ids (-1 null) into their distinct values, numbers as arrays. Nothing is copied.
/// </summary>
internal sealed class AggregateSource
{
    internal readonly Dictionary<string, (int[] Ids, List<string> Values)> Strings = new(StringComparer.Ordinal);
    internal readonly Dictionary<string, Array> Numbers = new(StringComparer.Ordinal);

    public int Count { get; set; }

    public void AddStrings(string name, int[] ids, List<string> values) => Strings[name] = (ids, values);

    /// <summary>An int32 column with nulls (<c>int?[]</c>), an int64 column without (<c>long[]</c>) or a decimal one with (<c>decimal?[]</c>).</summary>
    public void AddNumbers(string name, Array values) => Numbers[name] = values;

    public bool Has(string name) => Strings.ContainsKey(name) || Numbers.ContainsKey(name);
}

/// <summary>The groups of a <see cref="GroupAggregator"/> run, in key order: key strings and output values by column.</summary>
internal sealed class AggregateTable
{
    public int Count;
    public string?[][] Keys = [];
    public long[][] Longs = [];
    public decimal[][] Decimals = [];
    public bool[][] Nulls = [];
}

/// <summary>
/// Computes a <see cref="DerivedTable"/> over an <see cref="AggregateSource"/>: a row finds its group by its key ids
/// (a table indexed by them while the keys have few distinct values, as partitions have, else a map per key column),
/// sums are evaluated block by block with the expression kernels and added into per-group totals, distinct values are
/// gathered per group and counted at the end; per-group expressions then run once over all groups, in key order
/// (ordinal, null first). Work is per block and per group: nothing is allocated per row.
/// </summary>
internal sealed class GroupAggregator
{
    private const int Block = 4096;
    private readonly DerivedTable _table;
    private readonly ExpressionProgram? _sums;
    private readonly int[] _sumOutput; // output → index in _sums, or -1
    private readonly string?[] _direct; // output → the column it sums directly (sum(c), sum(coalesce(c, 0))), or null
    private readonly ExpressionProgram?[] _perGroup;

    public GroupAggregator(DerivedTable table)
    {
        _table = table;
        _direct = table.Outputs.Select(o => o.Aggregate.Function == AggregateFunction.Sum ? DirectColumn(o.Aggregate.Argument!) : null).ToArray();
        var sums = table.Outputs.Where((o, i) => o.Aggregate.Function == AggregateFunction.Sum && _direct[i] is null).Select(o => o.Aggregate.Argument!).ToArray();
        _sums = sums.Length > 0 ? ExpressionProgram.Compile(sums) : null;
        _sumOutput = new int[table.Outputs.Count];
        _perGroup = new ExpressionProgram?[table.Outputs.Count];
        int s = 0;
        for (int o = 0; o < table.Outputs.Count; o++)
        {
            var a = table.Outputs[o].Aggregate;
            _sumOutput[o] = a.Function == AggregateFunction.Sum && _direct[o] is null ? s++ : -1;
            if (a.Function == AggregateFunction.PerGroup) _perGroup[o] = ExpressionProgram.Compile(a.Argument!);
        }
    }

    public DerivedTable Table => _table;

    /// <summary>
    /// The column a sum adds up as it is, nulls as zero: <c>c</c> or <c>coalesce(c, 0)</c>. Such a sum runs as one loop
    /// over the column (the same totals, in the same order, as through the kernels), since it is the common shape.
    /// </summary>
    private static string? DirectColumn(Expression e) => e switch
    {
        ColumnExpression c => c.Name,
        CoalesceExpression { Arguments: [ColumnExpression c, var zero] } when IsZero(zero) => c.Name,
        _ => null,
    };

    private static bool IsZero(Expression e) => e is LiteralExpression { Value: 0m, LiteralKind: not NumericKind.Decimal }
        || e is ConvertExpression { Operand: LiteralExpression { Value: 0m, LiteralKind: not NumericKind.Decimal } };

    /// <summary>The source columns the table reads, for a caller to check it can provide them.</summary>
    public IEnumerable<string> SourceColumns => _table.GroupBy
        .Concat(_direct.OfType<string>())
        .Concat(_sums?.Inputs ?? [])
        .Concat(_table.Outputs.Select(o => o.Aggregate.DistinctColumn).OfType<string>())
        .Distinct();

    public AggregateTable Compute(AggregateSource source)
    {
        var n = source.Count;
        var keyColumns = _table.GroupBy.Select(k => source.Strings[k]).ToArray();
        var outputs = _table.Outputs;
        var longs = new List<long>[outputs.Count];
        var decimals = new List<decimal>[outputs.Count];
        var distinct = new List<List<long>>?[outputs.Count];
        for (int o = 0; o < outputs.Count; o++)
        {
            var f = outputs[o].Aggregate.Function;
            if (f == AggregateFunction.CountDistinct) distinct[o] = [];
            else if (f != AggregateFunction.PerGroup)
            {
                if (outputs[o].Aggregate.Kind == NumericKind.Decimal) decimals[o] = [];
                else longs[o] = [];
            }
        }

        var finder = new GroupFinder(keyColumns);
        var evaluator = _sums?.NewEvaluator();
        var groupOf = new int[Math.Min(Block, Math.Max(n, 1))];
        for (int from = 0; from < n; from += Block)
        {
            int rows = Math.Min(Block, n - from);
            var groups = groupOf.AsSpan(0, rows);
            var before = finder.Count;
            finder.Find(from, groups);
            for (int o = 0; o < outputs.Count; o++)
                for (int g = before; g < finder.Count; g++)
                {
                    longs[o]?.Add(0);
                    decimals[o]?.Add(0m);
                    distinct[o]?.Add([]);
                }

            if (evaluator is not null)
            {
                for (int i = 0; i < _sums!.Inputs.Count; i++) Bind(evaluator, i, source.Numbers[_sums.Inputs[i]], from, rows);
                evaluator.Run(rows);
                if (evaluator.ErrorCount > 0)
                {
                    int at = evaluator.Errors.IndexOfAnyExcept(ExpressionError.None);
                    throw new DataException(string.Create(CultureInfo.InvariantCulture,
                        $"{_table.From} row {from + at + 1:N0}: a summed value of the derived table has no value ({evaluator.Errors[at].Describe()})"));
                }
            }

            for (int o = 0; o < outputs.Count; o++)
            {
                var a = outputs[o].Aggregate;
                switch (a.Function)
                {
                    case AggregateFunction.CountAll:
                    {
                        var totals = CollectionsMarshal.AsSpan(longs[o]);
                        foreach (var g in groups) totals[g]++;
                        break;
                    }
                    case AggregateFunction.Sum when _direct[o] is { } column:
                        SumDirect(source.Numbers[column], from, groups, longs[o], decimals[o]);
                        break;
                    case AggregateFunction.Sum when a.Kind == NumericKind.Decimal:
                    {
                        var totals = CollectionsMarshal.AsSpan(decimals[o]);
                        var lanes = evaluator!.Decimals(_sumOutput[o]);
                        for (int i = 0; i < rows; i++) totals[groups[i]] += lanes[i];
                        break;
                    }
                    case AggregateFunction.Sum:
                    {
                        var totals = CollectionsMarshal.AsSpan(longs[o]);
                        var lanes = evaluator!.Longs(_sumOutput[o]);
                        for (int i = 0; i < rows; i++) totals[groups[i]] += lanes[i];
                        break;
                    }
                    case AggregateFunction.CountDistinct:
                        Gather(source, a.DistinctColumn!, from, groups, distinct[o]!);
                        break;
                }
            }
        }

        // Key order: ordinal by each key's string, null first.
        var count = finder.Count;
        var keys = keyColumns.Select((c, k) => finder.KeyIds(k).Select(id => id < 0 ? null : c.Values[id]).ToArray()).ToArray();
        var order = Enumerable.Range(0, count).ToArray();
        Array.Sort(order, (x, y) =>
        {
            foreach (var column in keys)
            {
                int c = string.CompareOrdinal(column[x], column[y]);
                if (c != 0) return c;
            }
            return 0;
        });

        var result = new AggregateTable
        {
            Count = count,
            Keys = keys.Select(column => order.Select(g => column[g]).ToArray()).ToArray(),
            Longs = new long[outputs.Count][],
            Decimals = new decimal[outputs.Count][],
            Nulls = new bool[outputs.Count][],
        };
        for (int o = 0; o < outputs.Count; o++)
        {
            var a = outputs[o].Aggregate;
            result.Nulls[o] = new bool[count];
            if (longs[o] is { } l) result.Longs[o] = order.Select(g => l[g]).ToArray();
            if (decimals[o] is { } d) result.Decimals[o] = order.Select(g => d[g]).ToArray();
            if (distinct[o] is { } sets) result.Longs[o] = order.Select(g => DistinctCount.Of(CollectionsMarshal.AsSpan(sets[g]))).ToArray();
            if (_perGroup[o] is { } program) PerGroup(program, a, result, o);
        }
        return result;
    }

    /// <summary>Runs output <paramref name="o"/>'s expression over all groups, its inputs the outputs declared before it.</summary>
    private void PerGroup(ExpressionProgram program, AggregateExpression a, AggregateTable t, int o)
    {
        var evaluator = program.NewEvaluator();
        for (int i = 0; i < program.Inputs.Count; i++)
        {
            int input = _table.Outputs.Select(x => x.Name).ToList().IndexOf(program.Inputs[i]);
            if (program.InputKinds[i] == NumericKind.Decimal) evaluator.Bind(i, t.Decimals[input], t.Nulls[input]);
            else evaluator.Bind(i, t.Longs[input], t.Nulls[input]);
        }
        evaluator.Run(t.Count);
        if (evaluator.ErrorCount > 0)
        {
            int at = evaluator.Errors.IndexOfAnyExcept(ExpressionError.None);
            var key = string.Join(", ", _table.GroupBy.Select((k, i) => $"{k}={t.Keys[i][at] ?? "null"}"));
            throw new DataException($"{_table.Outputs[o].Name} = {_table.Outputs[o].Text} has no value for the group {key} ({evaluator.Errors[at].Describe()})");
        }
        evaluator.Nulls(0).CopyTo(t.Nulls[o]);
        if (a.Kind == NumericKind.Decimal)
        {
            var values = t.Decimals[o] = evaluator.Decimals(0).ToArray();
            if (a.RoundDigits is { } digits)
                for (int g = 0; g < values.Length; g++) values[g] = decimal.Round(values[g], digits, MidpointRounding.AwayFromZero);
        }
        else t.Longs[o] = evaluator.Longs(0).ToArray();
    }

    private static void Bind(ExpressionEvaluator e, int input, Array column, int from, int rows)
    {
        switch (column)
        {
            case int?[] ints: e.Bind(input, ints.AsSpan(from, rows)); break;
            case decimal?[] decimals: e.Bind(input, decimals.AsSpan(from, rows)); break;
            case long[] longs: e.Bind(input, longs.AsSpan(from, rows), []); break;
            default: throw new ArgumentException($"column type {column.GetType().Name} cannot be summed", nameof(column));
        }
    }

    /// <summary>Adds each row's value, null as zero, to its group's total.</summary>
    private static void SumDirect(Array column, int from, ReadOnlySpan<int> groups, List<long>? longs, List<decimal>? decimals)
    {
        switch (column)
        {
            case int?[] ints:
            {
                var totals = CollectionsMarshal.AsSpan(longs);
                var values = ints.AsSpan(from, groups.Length);
                for (int i = 0; i < values.Length; i++) totals[groups[i]] += values[i].GetValueOrDefault();
                break;
            }
            case long[] int64s:
            {
                var totals = CollectionsMarshal.AsSpan(longs);
                var values = int64s.AsSpan(from, groups.Length);
                for (int i = 0; i < values.Length; i++) totals[groups[i]] += values[i];
                break;
            }
            case decimal?[] money:
            {
                var totals = CollectionsMarshal.AsSpan(decimals);
                var values = money.AsSpan(from, groups.Length);
                for (int i = 0; i < values.Length; i++) totals[groups[i]] += values[i].GetValueOrDefault();
                break;
            }
            default: throw new ArgumentException($"column type {column.GetType().Name} cannot be summed", nameof(column));
        }
    }

    /// <summary>Appends each row's value (non-null) to its group's list.</summary>
    private static void Gather(AggregateSource source, string column, int from, ReadOnlySpan<int> groups, List<List<long>> sets)
    {
        if (source.Strings.TryGetValue(column, out var s))
        {
            for (int i = 0; i < groups.Length; i++)
                if (s.Ids[from + i] >= 0) sets[groups[i]].Add(s.Ids[from + i]);
            return;
        }
        switch (source.Numbers[column])
        {
            case long[] longs:
                for (int i = 0; i < groups.Length; i++) sets[groups[i]].Add(longs[from + i]);
                break;
            case int?[] ints:
                for (int i = 0; i < groups.Length; i++)
                    if (ints[from + i] is { } v) sets[groups[i]].Add(v);
                break;
            default: throw new ArgumentException($"column {column} cannot be counted distinct", nameof(column));
        }
    }
}
