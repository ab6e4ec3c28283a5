using System.Buffers;
using System.Text;
using Highwater.Parquet.Encodings;

namespace Highwater.Parquet.Thrift;

/// <summary>
/// The subset of Thrift's compact protocol that Parquet's page headers and footer need: structs, lists of structs,
/// i32 and i64 (zigzag varints), i8, booleans, binary and strings. Field ids must be written in increasing order
/// within a struct, as the protocol encodes each as a delta from the previous one.
/// </summary>
internal sealed class ThriftCompactWriter(ArrayBufferWriter<byte> output)
{
    private const byte BooleanTrue = 1, BooleanFalse = 2, Byte = 3, I32 = 5, I64 = 6, Binary = 8, List = 9, Struct = 12;

    private readonly Stack<short> _outer = new();
    private short _lastField;

    public ArrayBufferWriter<byte> Output => output;

    public void BeginStruct()
    {
        _outer.Push(_lastField);
        _lastField = 0;
    }

    public void EndStruct()
    {
        WriteByte(0); // stop
        _lastField = _outer.Pop();
    }

    public void I32Field(short id, int value)
    {
        FieldHeader(id, I32);
        Varint(ZigZag(value));
    }

    public void I64Field(short id, long value)
    {
        FieldHeader(id, I64);
        Varint(ZigZag(value));
    }

    public void I8Field(short id, sbyte value)
    {
        FieldHeader(id, Byte);
        WriteByte((byte)value);
    }

    public void BoolField(short id, bool value) => FieldHeader(id, value ? BooleanTrue : BooleanFalse);

    public void BinaryField(short id, ReadOnlySpan<byte> value)
    {
        FieldHeader(id, Binary);
        Varint((ulong)value.Length);
        output.Write(value);
    }

    public void StringField(short id, string value) => BinaryField(id, Encoding.UTF8.GetBytes(value));

    /// <summary>Begins a struct-valued field; end it with <see cref="EndStruct"/>.</summary>
    public void StructField(short id)
    {
        FieldHeader(id, Struct);
        BeginStruct();
    }

    /// <summary>Begins a list field of <paramref name="count"/> structs: write each with <see cref="BeginStruct"/>/<see cref="EndStruct"/>.</summary>
    public void StructListField(short id, int count) => ListHeader(id, count, Struct);

    public void I32ListField(short id, ReadOnlySpan<int> values)
    {
        ListHeader(id, values.Length, I32);
        foreach (var v in values) Varint(ZigZag(v));
    }

    public void StringListField(short id, IReadOnlyList<string> values)
    {
        ListHeader(id, values.Count, Binary);
        foreach (var v in values)
        {
            var bytes = Encoding.UTF8.GetBytes(v);
            Varint((ulong)bytes.Length);
            output.Write(bytes);
        }
    }

    private void ListHeader(short id, int count, byte elementType)
    {
        FieldHeader(id, List);
        if (count < 15) WriteByte((byte)((count << 4) | elementType));
        else
        {
            WriteByte((byte)(0xF0 | elementType));
            Varint((ulong)count);
        }
    }

    private void FieldHeader(short id, byte type)
    {
        var delta = id - _lastField;
        if (delta is > 0 and <= 15) WriteByte((byte)((delta << 4) | type));
        else
        {
            WriteByte(type);
            Varint(ZigZag(id));
        }
        _lastField = id;
    }

    private void WriteByte(byte b)
    {
        output.GetSpan(1)[0] = b;
        output.Advance(1);
    }

    private void Varint(ulong value) => Varints.Write(output, value);

    private static ulong ZigZag(long value) => Varints.ZigZag(value);
}
