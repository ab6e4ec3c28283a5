using System.Globalization;

namespace Highwater.Pipeline.Core.Expressions;

/// <summary>
/// Parses and types an expression (grammar: docs/contracts.md "Expressions"):
/// <code>
/// expr    := term (('+' | '-') term)*
/// term    := unary (('*' | '/') unary)*
/// unary   := '-' unary | primary
/// primary := number | column | 'coalesce' '(' expr (',' expr)* ')' | '(' expr ')'
/// </code>
/// Column names are case-sensitive identifiers (letters, digits, _), function names are not. Every problem is an
/// <see cref="ExpressionException"/> at the offending token.
/// </summary>
public sealed class ExpressionParser
{
    private readonly string _text;
    private readonly IReadOnlyDictionary<string, ExpressionColumn> _columns;
    private readonly Func<string, IEnumerable<string>, string> _suggest;
    private int _pos;

    private ExpressionParser(string text, IReadOnlyDictionary<string, ExpressionColumn> columns, Func<string, IEnumerable<string>, string>? suggest)
    {
        _text = text;
        _columns = columns;
        _suggest = suggest ?? ((_, _) => "");
    }

    /// <summary>
    /// The typed tree of <paramref name="text"/> over <paramref name="columns"/> (by name); <paramref name="suggest"/>
    /// turns a misspelt name and the known ones into a hint such as " (did you mean 'qty'?)".
    /// </summary>
    public static Expression Parse(string text, IReadOnlyDictionary<string, ExpressionColumn> columns,
        Func<string, IEnumerable<string>, string>? suggest = null)
    {
        var p = new ExpressionParser(text, columns, suggest);
        p.SkipSpace();
        if (p._pos == text.Length) throw p.Error(0, "the expression is empty");
        var e = p.Sum();
        p.SkipSpace();
        if (p._pos < text.Length) throw p.Error(p._pos, $"unexpected '{p.TokenAt(p._pos)}' after a complete expression; expected an operator (+ - * /)");
        return e;
    }

    /// <summary>Whether <paramref name="text"/> is a bare identifier (a column name and nothing else).</summary>
    public static bool IsIdentifier(string text) =>
        text.Length > 0 && IsIdentifierStart(text[0]) && text.All(IsIdentifierPart);

    private Expression Sum()
    {
        var left = Product();
        while (true)
        {
            SkipSpace();
            if (!TryOperator('+', '-', out var op, out int at)) return left;
            left = Binary(at, op == '+' ? BinaryOperator.Add : BinaryOperator.Subtract, left, Product());
        }
    }

    private Expression Product()
    {
        var left = Unary();
        while (true)
        {
            SkipSpace();
            if (!TryOperator('*', '/', out var op, out int at)) return left;
            left = Binary(at, op == '*' ? BinaryOperator.Multiply : BinaryOperator.Divide, left, Unary());
        }
    }

    private Expression Unary()
    {
        SkipSpace();
        if (_pos < _text.Length && _text[_pos] == '-')
        {
            int at = _pos++;
            var operand = Unary();
            // A negative literal stays a literal, so -2147483648 is int32 as written.
            if (operand is LiteralExpression l) return Literal(at, -l.Value);
            return new NegateExpression(at, operand);
        }

        return Primary();
    }

    private Expression Primary()
    {
        SkipSpace();
        if (_pos == _text.Length) throw Error(_pos, "the expression ends too early; expected a number, a column, coalesce( or (");
        char c = _text[_pos];
        int at = _pos;
        if (char.IsAsciiDigit(c) || c == '.') return Number();
        if (c == '(')
        {
            _pos++;
            var inner = Sum();
            Expect(')', "to close the ( at position " + (at + 1));
            return inner;
        }

        if (!IsIdentifierStart(c)) throw Error(at, $"unexpected '{TokenAt(at)}'; expected a number, a column, coalesce( or (");
        while (_pos < _text.Length && IsIdentifierPart(_text[_pos])) _pos++;
        var name = _text[at.._pos];
        SkipSpace();
        if (_pos < _text.Length && _text[_pos] == '(') return Function(at, name);
        return Column(at, name);
    }

    private Expression Function(int at, string name)
    {
        if (!name.Equals("coalesce", StringComparison.OrdinalIgnoreCase))
            throw Error(at, $"unknown function '{name}'{_suggest(name.ToLowerInvariant(), ["coalesce"])}; expected coalesce");
        _pos++; // (
        var args = new List<Expression> { Sum() };
        SkipSpace();
        while (_pos < _text.Length && _text[_pos] == ',')
        {
            _pos++;
            args.Add(Sum());
            SkipSpace();
        }

        Expect(')', "to close coalesce(");
        var kind = Common(args);
        return new CoalesceExpression(at, args.Select(a => To(kind, a)).ToList(), kind);
    }

    private Expression Column(int at, string name)
    {
        if (!_columns.TryGetValue(name, out var column))
        {
            var numeric = _columns.Values.Where(c => c.Kind is not null).Select(c => c.Name).ToList();
            throw Error(at, $"unknown column '{name}'{_suggest(name, _columns.Keys)}; expected one of: {string.Join(", ", numeric)}");
        }

        if (column.Kind is not { } kind)
            throw Error(at, $"type mismatch: column '{name}' is {column.DeclaredType}; an expression computes with int32, int64 and decimal columns only");
        return new ColumnExpression(at, name, kind, column.Nullable);
    }

    private Expression Number()
    {
        int at = _pos;
        while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
        bool point = _pos < _text.Length && _text[_pos] == '.';
        if (point)
        {
            _pos++;
            int fraction = _pos;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
            if (_pos == fraction || at + 1 == fraction) throw Error(at, $"'{_text[at.._pos]}' is not a number; write digits on both sides of the point, e.g. 0.5");
        }

        if (_pos < _text.Length && IsIdentifierPart(_text[_pos]))
            throw Error(_pos, $"unexpected '{_text[_pos]}' in the number '{_text[at.._pos]}'");
        var token = _text[at.._pos];
        if (!decimal.TryParse(token, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            throw Error(at, $"the number '{token}' is beyond the decimal type (at most 28 digits)");
        return point ? new LiteralExpression(at, value, NumericKind.Decimal) : Literal(at, value);
    }

    private LiteralExpression Literal(int at, decimal value)
    {
        if (value.Scale > 0) return new LiteralExpression(at, value, NumericKind.Decimal);
        var kind = value is >= int.MinValue and <= int.MaxValue ? NumericKind.Int32
            : value is >= long.MinValue and <= long.MaxValue ? NumericKind.Int64
            : NumericKind.Decimal;
        return new LiteralExpression(at, value, kind);
    }

    private static Expression Binary(int at, BinaryOperator op, Expression left, Expression right)
    {
        var kind = op == BinaryOperator.Divide || left.Kind == NumericKind.Decimal || right.Kind == NumericKind.Decimal
            ? NumericKind.Decimal
            : NumericKind.Int64;
        return new BinaryExpression(at, op, To(kind, left), To(kind, right), kind);
    }

    /// <summary>The type several values meet in: decimal if any is, int32 if all are, else int64.</summary>
    public static NumericKind Common(IEnumerable<Expression> values)
    {
        var kinds = values.Select(v => v.Kind).ToList();
        return kinds.Contains(NumericKind.Decimal) ? NumericKind.Decimal
            : kinds.All(k => k == NumericKind.Int32) ? NumericKind.Int32
            : NumericKind.Int64;
    }

    /// <summary><paramref name="e"/> in lanes of <paramref name="kind"/>: integers widen to decimal; int32 and int64 share lanes.</summary>
    public static Expression To(NumericKind kind, Expression e) =>
        kind == NumericKind.Decimal && e.Kind != NumericKind.Decimal ? new ConvertExpression(e) : e;

    private bool TryOperator(char a, char b, out char op, out int at)
    {
        at = _pos;
        op = _pos < _text.Length ? _text[_pos] : '\0';
        if (op != a && op != b) return false;
        _pos++;
        return true;
    }

    private void Expect(char c, string why)
    {
        SkipSpace();
        if (_pos < _text.Length && _text[_pos] == c)
        {
            _pos++;
            return;
        }

        throw Error(_pos, _pos == _text.Length
            ? $"the expression ends too early; expected '{c}' {why}"
            : $"unexpected '{TokenAt(_pos)}'; expected '{c}' {why}");
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++;
    }

    private string TokenAt(int at)
    {
        int end = at + 1;
        if (IsIdentifierPart(_text[at]))
            while (end < _text.Length && IsIdentifierPart(_text[end])) end++;
        return _text[at..end];
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private ExpressionException Error(int at, string problem) => new(_text, at, problem);
}
