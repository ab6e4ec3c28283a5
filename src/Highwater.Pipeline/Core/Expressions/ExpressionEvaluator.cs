namespace Highwater.Pipeline.Core.Expressions;

/// <summary>
/// Runs an <see cref="ExpressionProgram"/> over blocks of rows: bind each input column (<see cref="Bind(int, ReadOnlySpan{int?})"/>
/// and its overloads, all with the block's row count), <see cref="Run"/>, then read each output's lanes and null mask and
/// the block's <see cref="Errors"/>. Buffers grow to the largest block and are reused: a block allocates nothing once
/// they have. SQL null semantics: an operation with a null operand is null (no error), coalesce takes the first
/// non-null argument. Results are valid until the next bind or run. One thread at a time.
/// </summary>
public sealed class ExpressionEvaluator
{
    private readonly ExpressionProgram _program;
    private readonly Register[] _registers;
    private ExpressionError[] _errors = [];
    private int _capacity, _rows, _constantsFilled;

    internal ExpressionEvaluator(ExpressionProgram program)
    {
        _program = program;
        _registers = program.DecimalRegisters.Select(d => new Register(d)).ToArray();
    }

    /// <summary>The rows of the last <see cref="Run"/> whose value could not be computed.</summary>
    public int ErrorCount { get; private set; }

    /// <summary>Per row of the last run, why it has no value (<see cref="ExpressionError.None"/>: it has one); empty when <see cref="ErrorCount"/> is 0.</summary>
    public ReadOnlySpan<ExpressionError> Errors => ErrorCount == 0 ? [] : _errors.AsSpan(0, _rows);

    /// <summary>An int32 column with nulls.</summary>
    public void Bind(int input, ReadOnlySpan<int?> values)
    {
        var r = Input(input, values.Length, isDecimal: false);
        var lanes = r.Longs.AsSpan(0, values.Length);
        for (int i = 0; i < values.Length; i++) lanes[i] = values[i].GetValueOrDefault();
        r.HasNulls = NullsOf(values, r.Nulls);
    }

    /// <summary>A decimal column with nulls.</summary>
    public void Bind(int input, ReadOnlySpan<decimal?> values)
    {
        var r = Input(input, values.Length, isDecimal: true);
        var lanes = r.Decimals.AsSpan(0, values.Length);
        for (int i = 0; i < values.Length; i++) lanes[i] = values[i].GetValueOrDefault();
        r.HasNulls = NullsOf(values, r.Nulls);
    }

    /// <summary>Marks the null values in <paramref name="nulls"/>; whether there was any.</summary>
    private static bool NullsOf<T>(ReadOnlySpan<T?> values, bool[] nulls) where T : struct
    {
        bool any = false;
        for (int i = 0; i < values.Length; i++) any |= nulls[i] = !values[i].HasValue;
        return any;
    }

    /// <summary>An int32 or int64 column as longs; <paramref name="nulls"/> true where null, empty when none is.</summary>
    public void Bind(int input, ReadOnlySpan<long> values, ReadOnlySpan<bool> nulls)
    {
        var r = Input(input, values.Length, isDecimal: false);
        values.CopyTo(r.Longs);
        r.HasNulls = CopyNulls(nulls, r, values.Length);
        if (r.HasNulls)
            for (int i = 0; i < values.Length; i++) if (nulls[i]) r.Longs[i] = 0; // a null lane computes nothing that can overflow
    }

    /// <summary>A decimal column; <paramref name="nulls"/> true where null, empty when none is.</summary>
    public void Bind(int input, ReadOnlySpan<decimal> values, ReadOnlySpan<bool> nulls)
    {
        var r = Input(input, values.Length, isDecimal: true);
        values.CopyTo(r.Decimals);
        r.HasNulls = CopyNulls(nulls, r, values.Length);
        if (r.HasNulls)
            for (int i = 0; i < values.Length; i++) if (nulls[i]) r.Decimals[i] = 0m;
    }

    /// <summary>Evaluates every output over the <paramref name="rows"/> rows bound.</summary>
    public void Run(int rows)
    {
        Ensure(rows);
        _rows = rows;
        if (ErrorCount > 0) Array.Clear(_errors, 0, _errors.Length);
        ErrorCount = 0;
        var errors = new ErrorSink(this);
        foreach (var ins in _program.Code)
        {
            var t = _registers[ins.Target];
            if (ins.Op == ExpressionProgram.Op.Constant)
            {
                if (_constantsFilled < _capacity)
                {
                    if (ins.Decimal) Array.Fill(t.Decimals, ins.Constant);
                    else Array.Fill(t.Longs, (long)ins.Constant);
                }

                t.HasNulls = false;
                continue;
            }

            var a = _registers[ins.Operands[0]];
            var b = ins.Operands.Length > 1 ? _registers[ins.Operands[1]] : null;
            if (ins.Op == ExpressionProgram.Op.Coalesce)
            {
                Coalesce(ins, t, rows);
                continue;
            }

            Kernels.NullsOf(a, b, t, rows);
            switch (ins.Op, ins.Decimal)
            {
                case (ExpressionProgram.Op.ToDecimal, _): Kernels.ToDecimal(a.Longs, t.Decimals, rows); break;
                case (ExpressionProgram.Op.MultiplyLongDecimal, _): Kernels.Multiply(a.Longs, b!.Decimals, t.Decimals, t, rows, errors); break;
                case (ExpressionProgram.Op.Negate, false): Kernels.Negate(a.Longs, t.Longs, t, rows, errors); break;
                case (ExpressionProgram.Op.Negate, true): Kernels.Negate(a.Decimals, t.Decimals, t, rows, errors); break;
                case (ExpressionProgram.Op.Add, false): Kernels.Add(a.Longs, b!.Longs, t.Longs, t, rows, errors); break;
                case (ExpressionProgram.Op.Subtract, false): Kernels.Subtract(a.Longs, b!.Longs, t.Longs, t, rows, errors); break;
                case (ExpressionProgram.Op.Multiply, false): Kernels.Multiply(a.Longs, b!.Longs, t.Longs, t, rows, errors); break;
                case (_, true): Kernels.Arithmetic(ins.Op, a.Decimals, b!.Decimals, t.Decimals, t, rows, errors); break;
                default: throw new InvalidOperationException($"no kernel for {ins.Op} on {(ins.Decimal ? "decimal" : "long")} lanes");
            }
        }

        _constantsFilled = _capacity;
    }

    /// <summary>Output <paramref name="output"/>'s lanes when it is int32 or int64 (a null row's lane is meaningless).</summary>
    public ReadOnlySpan<long> Longs(int output) => _registers[_program.OutputRegisters[output]].Longs.AsSpan(0, _rows);

    /// <summary>Output <paramref name="output"/>'s lanes when it is decimal.</summary>
    public ReadOnlySpan<decimal> Decimals(int output) => _registers[_program.OutputRegisters[output]].Decimals.AsSpan(0, _rows);

    /// <summary>True where output <paramref name="output"/> is null; empty when no row is.</summary>
    public ReadOnlySpan<bool> Nulls(int output)
    {
        var r = _registers[_program.OutputRegisters[output]];
        return r.HasNulls ? r.Nulls.AsSpan(0, _rows) : [];
    }

    private void Coalesce(ExpressionProgram.Instruction ins, Register t, int rows)
    {
        var first = _registers[ins.Operands[0]];
        if (ins.Decimal) first.Decimals.AsSpan(0, rows).CopyTo(t.Decimals);
        else first.Longs.AsSpan(0, rows).CopyTo(t.Longs);
        t.HasNulls = first.HasNulls;
        if (t.HasNulls) first.Nulls.AsSpan(0, rows).CopyTo(t.Nulls);
        for (int k = 1; k < ins.Operands.Length && t.HasNulls; k++)
        {
            var next = _registers[ins.Operands[k]];
            bool any = false;
            for (int i = 0; i < rows; i++)
            {
                if (!t.Nulls[i]) continue;
                if (ins.Decimal) t.Decimals[i] = next.Decimals[i];
                else t.Longs[i] = next.Longs[i];
                bool isNull = next.HasNulls && next.Nulls[i];
                t.Nulls[i] = isNull;
                any |= isNull;
            }

            t.HasNulls = any;
        }
    }

    private Register Input(int input, int rows, bool isDecimal)
    {
        if ((uint)input >= (uint)_program.Inputs.Count) throw new ArgumentOutOfRangeException(nameof(input));
        var r = _registers[input];
        if (r.IsDecimal != isDecimal)
            throw new InvalidOperationException($"input '{_program.Inputs[input]}' is {_program.InputKinds[input]} and binds as {(r.IsDecimal ? "decimals" : "longs")}");
        Ensure(rows);
        return r;
    }

    private static bool CopyNulls(ReadOnlySpan<bool> nulls, Register r, int rows)
    {
        if (nulls.IsEmpty || !nulls[..rows].Contains(true)) return false;
        nulls[..rows].CopyTo(r.Nulls);
        return true;
    }

    private void Ensure(int rows)
    {
        if (rows <= _capacity) return;
        int capacity = Math.Max(rows, _capacity * 2);
        foreach (var r in _registers) r.Grow(capacity);
        var errors = new ExpressionError[capacity];
        _errors.AsSpan().CopyTo(errors);
        _errors = errors;
        _capacity = capacity;
        _constantsFilled = 0;
    }

    /// <summary>Records a row's error (the first one of the row counts).</summary>
    internal readonly struct ErrorSink(ExpressionEvaluator owner)
    {
        public void Add(int row, ExpressionError error)
        {
            if (owner._errors[row] != ExpressionError.None) return;
            owner._errors[row] = error;
            owner.ErrorCount++;
        }
    }

    /// <summary>A register's lanes (longs or decimals), its null mask and whether the current block has any null.</summary>
    internal sealed class Register(bool isDecimal)
    {
        public bool IsDecimal { get; } = isDecimal;
        public long[] Longs = [];
        public decimal[] Decimals = [];
        public bool[] Nulls = [];
        public bool HasNulls;

        public void Grow(int capacity)
        {
            if (IsDecimal) Array.Resize(ref Decimals, capacity);
            else Array.Resize(ref Longs, capacity);
            Array.Resize(ref Nulls, capacity);
        }
    }
}
