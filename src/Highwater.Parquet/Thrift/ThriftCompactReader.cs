using Highwater.Parquet.Encodings;

namespace Highwater.Parquet.Thrift;

/// <summary>
/// Reads Thrift's compact protocol from a span: field headers, integers (zigzag varints) and skipping whatever a
/// caller does not read, enough to parse a Parquet page header. Malformed input (a truncated span, a varint too long,
/// an unknown type) makes <see cref="Failed"/> true instead of throwing, so a caller can hand the page to another reader.
/// </summary>
internal ref struct ThriftCompactReader(ReadOnlySpan<byte> input)
{
    public const byte Stop = 0, BooleanTrue = 1, BooleanFalse = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7,
        Binary = 8, List = 9, Set = 10, Map = 11, Struct = 12;

    private readonly ReadOnlySpan<byte> _input = input;
    private int _position;

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    public bool Failed { get; private set; }

    /// <summary>The next field of the current struct (id relative to <paramref name="lastId"/>); type <see cref="Stop"/> at its end.</summary>
    public (short Id, byte Type) FieldHeader(short lastId)
    {
        byte header = ReadByte();
        if (Failed) return (0, Stop);
        byte type = (byte)(header & 0x0F);
        if (type == Stop) return (0, Stop);
        int delta = header >> 4;
        short id = delta != 0 ? (short)(lastId + delta) : (short)ZigZag(Varint());
        return (id, type);
    }

    public int ReadI32() => (int)ZigZag(Varint());

    public long ReadI64() => ZigZag(Varint());

    /// <summary>Skips a value of <paramref name="type"/> (structs and containers with all they hold).</summary>
    public void Skip(byte type, int depth = 0)
    {
        if (depth > 32) { Failed = true; return; }
        switch (type)
        {
            case BooleanTrue or BooleanFalse:
                break; // a boolean field's value is in its type
            case Byte:
                ReadByte();
                break;
            case I16 or I32 or I64:
                Varint();
                break;
            case Double:
                Advance(8);
                break;
            case Binary:
                Advance(checked((int)Varint()));
                break;
            case List or Set:
            {
                byte header = ReadByte();
                long count = header >> 4;
                if (count == 15) count = (long)Varint();
                byte element = (byte)(header & 0x0F);
                for (long i = 0; i < count && !Failed; i++)
                {
                    if (element is BooleanTrue or BooleanFalse) ReadByte(); // in a list, booleans take a byte each
                    else Skip(element, depth + 1);
                }

                break;
            }
            case Map:
            {
                long count = (long)Varint();
                if (count == 0) break;
                byte types = ReadByte();
                for (long i = 0; i < count && !Failed; i++)
                {
                    Skip((byte)(types >> 4), depth + 1);
                    Skip((byte)(types & 0x0F), depth + 1);
                }

                break;
            }
            case Struct:
            {
                short last = 0;
                while (!Failed)
                {
                    var (id, t) = FieldHeader(last);
                    if (t == Stop) break;
                    Skip(t, depth + 1);
                    last = id;
                }

                break;
            }
            default:
                Failed = true;
                break;
        }
    }

    private byte ReadByte()
    {
        if (_position >= _input.Length)
        {
            Failed = true;
            return 0;
        }

        return _input[_position++];
    }

    private void Advance(int count)
    {
        if (count < 0 || _position + count > _input.Length) Failed = true;
        else _position += count;
    }

    private ulong Varint()
    {
        if (Varints.TryRead(_input, ref _position, out var value)) return value;
        Failed = true;
        return 0;
    }

    private static long ZigZag(ulong n) => Varints.UnZigZag(n);
}
