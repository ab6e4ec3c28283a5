namespace Highwater.Pipeline.Core.Expressions;

/// <summary>
/// One or more typed expressions compiled once into a flat list of instructions over registers, in evaluation order
/// (operands before the operation). An <see cref="ExpressionEvaluator"/> runs the list over a whole block of rows:
/// one kernel call per instruction, each a loop over the block's lanes, so there is no per-row dispatch over the tree.
/// Columns read by several outputs are loaded once.
/// </summary>
public sealed class ExpressionProgram
{
    internal enum Op : byte
    {
        Constant,
        ToDecimal,
        Negate,
        Add,
        Subtract,
        Multiply,

        /// <summary>long lanes × decimal lanes: an integer times a decimal without widening the integer first.</summary>
        MultiplyLongDecimal,
        Divide,
        Coalesce,
    }

    /// <summary>One step: <see cref="Target"/> = op(<see cref="Operands"/>), in lanes of <see cref="Decimal"/> ? decimal : long.</summary>
    internal readonly record struct Instruction(Op Op, bool Decimal, int Target, int[] Operands, decimal Constant);

    private readonly List<string> _inputs = [];
    private readonly List<NumericKind> _inputKinds = [];
    private readonly List<Instruction> _code = [];
    private readonly List<bool> _decimalRegisters = [];

    private ExpressionProgram(IReadOnlyList<Expression> outputs)
    {
        Outputs = outputs;
        foreach (var column in outputs.SelectMany(o => o.Columns).Distinct())
        {
            _inputs.Add(column);
            _inputKinds.Add(outputs.SelectMany(Nodes).OfType<ColumnExpression>().First(c => c.Name == column).ColumnKind);
            _decimalRegisters.Add(_inputKinds[^1] == NumericKind.Decimal);
        }

        OutputRegisters = outputs.Select(Emit).ToArray();
        Code = [.. _code];
    }

    /// <summary>Compiles <paramref name="outputs"/>; output k of an evaluator is <c>outputs[k]</c>.</summary>
    public static ExpressionProgram Compile(params Expression[] outputs) => new(outputs);

    /// <summary>The columns to bind, in input order.</summary>
    public IReadOnlyList<string> Inputs => _inputs;

    /// <summary>The lane type of each input: int32 and int64 columns bind as longs, decimal columns as decimals.</summary>
    public IReadOnlyList<NumericKind> InputKinds => _inputKinds;

    public IReadOnlyList<Expression> Outputs { get; }

    internal int[] OutputRegisters { get; }

    internal Instruction[] Code { get; }

    internal IReadOnlyList<bool> DecimalRegisters => _decimalRegisters;

    /// <summary>A new evaluator with its own buffers (an evaluator serves one thread at a time).</summary>
    public ExpressionEvaluator NewEvaluator() => new(this);

    private int Emit(Expression e)
    {
        switch (e)
        {
            case ColumnExpression c:
                return _inputs.IndexOf(c.Name);
            case LiteralExpression l:
                return Add(Op.Constant, l.Kind == NumericKind.Decimal, [], l.Value);
            case ConvertExpression v:
                return Add(Op.ToDecimal, true, [Emit(v.Operand)]);
            case NegateExpression n:
                return Add(Op.Negate, n.Kind == NumericKind.Decimal, [Emit(n.Operand)]);
            case BinaryExpression { Operator: BinaryOperator.Multiply, Left: ConvertExpression l } b when b.Right is not ConvertExpression:
                return Add(Op.MultiplyLongDecimal, true, [Emit(l.Operand), Emit(b.Right)]);
            case BinaryExpression { Operator: BinaryOperator.Multiply, Right: ConvertExpression r } b when b.Left is not ConvertExpression:
                return Add(Op.MultiplyLongDecimal, true, [Emit(r.Operand), Emit(b.Left)]);
            case BinaryExpression b:
            {
                int left = Emit(b.Left), right = Emit(b.Right);
                var op = b.Operator switch
                {
                    BinaryOperator.Add => Op.Add,
                    BinaryOperator.Subtract => Op.Subtract,
                    BinaryOperator.Multiply => Op.Multiply,
                    _ => Op.Divide,
                };
                return Add(op, b.Kind == NumericKind.Decimal, [left, right]);
            }
            case CoalesceExpression c:
            {
                var args = c.Arguments.Select(Emit).ToArray();
                return Add(Op.Coalesce, c.Kind == NumericKind.Decimal, args);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "unknown expression node");
        }
    }

    private int Add(Op op, bool isDecimal, int[] operands, decimal constant = 0m)
    {
        _decimalRegisters.Add(isDecimal);
        int target = _decimalRegisters.Count - 1;
        _code.Add(new Instruction(op, isDecimal, target, operands, constant));
        return target;
    }

    private static IEnumerable<Expression> Nodes(Expression e)
    {
        yield return e;
        IEnumerable<Expression> children = e switch
        {
            NegateExpression n => [n.Operand],
            BinaryExpression b => [b.Left, b.Right],
            CoalesceExpression c => c.Arguments,
            ConvertExpression v => [v.Operand],
            _ => [],
        };
        foreach (var child in children)
        foreach (var node in Nodes(child))
            yield return node;
    }
}
