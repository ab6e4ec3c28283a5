using System.Buffers.Binary;
using Highwater.Parquet.Encodings;
using Parquet.Meta;
using Parquet.Schema;
using ParquetType = Parquet.Meta.Type;

namespace Highwater.Parquet.Reading;

/// <summary>
/// Decodes PLAIN-encoded Parquet values of one physical type (the bytes as <see cref="Plain"/> reads them) into the CLR
/// values Parquet.Net 6.1 gives for them, by
/// the same arithmetic (decimals as <c>unscaled * 10^-scale</c>, timestamps through Unix milliseconds plus ticks with
/// the logical type's kind, dates as Unix days), so a column reads the same whichever reader decoded it.
/// </summary>
internal abstract class PlainValueDecoder<T>
{
    /// <summary>Decodes <c>values.Length</c> values from the start of <paramref name="source"/>; false when it is too short.</summary>
    public abstract bool TryDecode(ReadOnlySpan<byte> source, Span<T> values);

    /// <summary>Whether a chunk with a dictionary page is read with this decoder (false: the caller reads it another way).</summary>
    public virtual bool ReadsDictionaries => true;
}

/// <summary>The decoders of the column types <see cref="ColumnChunkDecoder"/> reads itself.</summary>
internal static class PlainValueDecoders
{
    /// <summary>Whether Parquet.Net maps the field to strings (string, or ReadOnlyMemory&lt;char&gt;).</summary>
    public static bool IsString(DataField f) => f.ClrType == typeof(string) || f.ClrType == typeof(ReadOnlyMemory<char>);

    /// <summary>The decoder of a flat column whose CLR type (as Parquet.Net maps it) and physical type are supported, else null.</summary>
    public static object? For(DataField field, SchemaElement element)
    {
        var t = field.ClrType;
        return element.Type switch
        {
            ParquetType.INT32 when t == typeof(int) => new Int32s(),
            ParquetType.INT64 when t == typeof(long) => new Int64s(),
            ParquetType.INT32 when t == typeof(decimal) => new Int32Decimals(Factor(element)),
            ParquetType.INT64 when t == typeof(decimal) => new Int64Decimals(Factor(element)),
            ParquetType.INT32 when t == typeof(DateTime) => new DaysAsDateTimes(),
            ParquetType.INT32 when t == typeof(DateOnly) => new DaysAsDateOnlys(),
            ParquetType.INT64 when t == typeof(DateTime) => Timestamps.For(element),
            ParquetType.BYTE_ARRAY when IsString(field) => new Utf8Strings(),
            _ => null,
        };
    }

    private static readonly DateTime UnixEpoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    // Parquet.Net's own expression: (decimal)Math.Pow(10, -scale), then (decimal)unscaled * factor.
    private static decimal Factor(SchemaElement element) => (decimal)Math.Pow(10.0, (-element.Scale).GetValueOrDefault());

    private sealed class Int32s : PlainValueDecoder<int>
    {
        public override bool TryDecode(ReadOnlySpan<byte> source, Span<int> values)
        {
            return Plain.TryRead(source, values);
        }
    }

    private sealed class Int64s : PlainValueDecoder<long>
    {
        public override bool TryDecode(ReadOnlySpan<byte> source, Span<long> values)
        {
            return Plain.TryRead(source, values);
        }
    }

    /// <summary>
    /// Unscaled integers times Parquet.Net's factor. When the factor is exactly 10^-scale (it is for every scale a
    /// double renders exactly, 0 to 28), the product is the integer as mantissa at that scale, built directly: the
    /// same decimal, bit for bit, without a 96-bit multiplication per value.
    /// </summary>
    private abstract class ScaledDecimals(decimal factor) : PlainValueDecoder<decimal>
    {
        private readonly byte _scale = ExactScale(factor) ?? 0;
        private readonly bool _exact = ExactScale(factor) is not null;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        protected decimal Scale(long unscaled)
        {
            if (!_exact) return (decimal)unscaled * factor;
            ulong magnitude = unscaled < 0 ? (ulong)(-(unscaled + 1)) + 1 : (ulong)unscaled;
            return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, unscaled < 0, _scale);
        }

        private static byte? ExactScale(decimal factor)
        {
            for (byte scale = 0; scale <= 28; scale++)
            {
                var power = new decimal(1, 0, 0, false, scale);
                if (decimal.GetBits(power).AsSpan().SequenceEqual(decimal.GetBits(factor))) return scale;
            }

            return null;
        }
    }

    private sealed class Int32Decimals(decimal factor) : ScaledDecimals(factor)
    {
        public override bool TryDecode(ReadOnlySpan<byte> source, Span<decimal> values)
        {
            if (!Plain.TryView<int>(source, values.Length, out var ints)) return false;
            for (int i = 0; i < values.Length; i++) values[i] = Scale(ints[i]);
            return true;
        }
    }

    private sealed class Int64Decimals(decimal factor) : ScaledDecimals(factor)
    {
        public override bool TryDecode(ReadOnlySpan<byte> source, Span<decimal> values)
        {
            if (!Plain.TryView<long>(source, values.Length, out var longs)) return false;
            for (int i = 0; i < values.Length; i++) values[i] = Scale(longs[i]);
            return true;
        }
    }

    private sealed class DaysAsDateTimes : PlainValueDecoder<DateTime>
    {
        public override bool TryDecode(ReadOnlySpan<byte> source, Span<DateTime> values)
        {
            if (!Plain.TryView<int>(source, values.Length, out var days)) return false;
            for (int i = 0; i < values.Length; i++) values[i] = UnixEpoch.AddDays(days[i]);
            return true;
        }
    }

    private sealed class DaysAsDateOnlys : PlainValueDecoder<DateOnly>
    {
        public override bool TryDecode(ReadOnlySpan<byte> source, Span<DateOnly> values)
        {
            if (!Plain.TryView<int>(source, values.Length, out var days)) return false;
            for (int i = 0; i < values.Length; i++) values[i] = DateOnly.FromDateTime(UnixEpoch.AddDays(days[i]));
            return true;
        }
    }

    /// <summary>INT64 timestamps, by the logical type's unit and UTC flag, else the converted type (micros or millis).</summary>
    private sealed class Timestamps : PlainValueDecoder<DateTime>
    {
        private readonly long _perMillisecond; // units of the column per millisecond
        private readonly long _ticksPerUnit;   // for units finer than a millisecond: ticks per unit (nanos: divide by 100)
        private readonly DateTimeKind? _kind;  // null: the kind Unix-epoch arithmetic gives (UTC)

        private readonly long _limit;          // |value| below this converts to ticks without overflowing a long

        private Timestamps(long perMillisecond, long ticksPerUnit, DateTimeKind? kind)
        {
            (_perMillisecond, _ticksPerUnit, _kind) = (perMillisecond, ticksPerUnit, kind);
            _limit = perMillisecond == 1 ? long.MaxValue / TimeSpan.TicksPerMillisecond / 2
                : ticksPerUnit > 0 ? long.MaxValue / ticksPerUnit / 2
                : long.MaxValue;
        }

        public static Timestamps? For(SchemaElement element)
        {
            if (element.LogicalType?.TIMESTAMP is { } ts)
            {
                var kind = ts.IsAdjustedToUTC ? DateTimeKind.Utc : DateTimeKind.Local;
                if (ts.Unit.MILLIS is not null) return new Timestamps(1, 0, kind);
                if (ts.Unit.MICROS is not null) return new Timestamps(1000, 10, kind);
                if (ts.Unit.NANOS is not null) return new Timestamps(1_000_000, -100, kind);
                return null; // Parquet.Net throws on an unknown unit: let it
            }

            return element.ConvertedType == ConvertedType.TIMESTAMP_MICROS ? new Timestamps(1000, 10, null) : new Timestamps(1, 0, null);
        }

        public override bool TryDecode(ReadOnlySpan<byte> source, Span<DateTime> values)
        {
            if (!Plain.TryView<long>(source, values.Length, out var raw)) return false;
            var kind = _kind ?? DateTimeKind.Utc; // the Unix epoch's kind, which Parquet.Net's arithmetic keeps
            for (int i = 0; i < values.Length; i++)
            {
                long v = raw[i];
                // Parquet.Net adds whole milliseconds, then the rest as ticks: together, the value in ticks (truncated
                // for nanoseconds, as its division does), computed here in one step while it is in DateTime's range.
                if (v > -_limit && v < _limit)
                {
                    long ticks = UnixEpoch.Ticks + (_perMillisecond == 1 ? v * TimeSpan.TicksPerMillisecond : _ticksPerUnit > 0 ? v * _ticksPerUnit : v / -_ticksPerUnit);
                    if ((ulong)ticks <= (ulong)DateTime.MaxValue.Ticks)
                    {
                        values[i] = new DateTime(ticks, kind);
                        continue;
                    }
                }

                return false; // out of DateTime's range: Parquet.Net reads the chunk and reports it
            }

            return true;
        }
    }

    /// <summary>
    /// BYTE_ARRAY values (a 4-byte length, then the bytes) as UTF-8 strings (invalid bytes as U+FFFD, as Parquet.Net's
    /// decoder gives). Short values go through a <see cref="StringPool"/>, so a low-cardinality column written
    /// without a dictionary (a dimension's country or segment, as some writers leave them) makes one string per distinct
    /// value, not one per row.
    /// </summary>
    private sealed class Utf8Strings : PlainValueDecoder<string?>
    {
        private readonly StringPool _pool = new();

        public override bool TryDecode(ReadOnlySpan<byte> source, Span<string?> values)
        {
            int at = 0;
            for (int i = 0; i < values.Length; i++)
            {
                if (!Plain.TryReadByteArray(source, ref at, out var value)) return false;
                values[i] = _pool.Get(value);
            }

            return true;
        }
    }

    /// <summary>
    /// BYTE_ARRAY values decoded as UTF-8 into a growing character arena, each value's slice as
    /// <c>start &lt;&lt; 32 | length</c>: the characters <see cref="Utf8Strings"/> would put in a string (the same decoder,
    /// invalid bytes as U+FFFD). For columns without a dictionary (<see cref="StringSlices"/>).
    /// </summary>
    internal sealed class Utf8Slices : PlainValueDecoder<long>
    {
        public char[] Chars { get; private set; } = System.Buffers.ArrayPool<char>.Shared.Rent(1 << 16);

        public int Count { get; private set; }

        public override bool ReadsDictionaries => false;

        public override bool TryDecode(ReadOnlySpan<byte> source, Span<long> values)
        {
            // A page of ASCII values (lengths below 128 included, as their four bytes are then ASCII too) is widened
            // into the arena in one vectorised step, length prefixes and all; each value's slice skips its prefix.
            if (Plain.TryFindEnd(source, values.Length, out int end) && System.Text.Ascii.IsValid(source[..end]))
            {
                if (Count + end > Chars.Length) Grow(Count + end);
                System.Text.Ascii.ToUtf16(source[..end], Chars.AsSpan(Count), out _);
                int offset = 0;
                for (int i = 0; i < values.Length; i++)
                {
                    int length = BinaryPrimitives.ReadInt32LittleEndian(source[offset..]);
                    values[i] = (long)(Count + offset + 4) << 32 | (uint)length;
                    offset += 4 + length;
                }

                Count += end;
                return true;
            }

            int at = 0;
            for (int i = 0; i < values.Length; i++)
            {
                if (!Plain.TryReadByteArray(source, ref at, out var value)) return false;
                // UTF-8 never gives more UTF-16 characters than bytes.
                if (Count + value.Length > Chars.Length) Grow(Count + value.Length);
                int n = System.Text.Encoding.UTF8.GetChars(value, Chars.AsSpan(Count));
                values[i] = (long)Count << 32 | (uint)n;
                Count += n;
            }

            return true;
        }

        private void Grow(int atLeast)
        {
            var larger = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(atLeast, (int)Math.Min(Array.MaxLength, Chars.Length * 2L)));
            Chars.AsSpan(0, Count).CopyTo(larger);
            System.Buffers.ArrayPool<char>.Shared.Return(Chars);
            Chars = larger;
        }

        /// <summary>Gives the arena back when it is not handed on.</summary>
        public void Abandon()
        {
            System.Buffers.ArrayPool<char>.Shared.Return(Chars);
            Chars = [];
        }
    }
}
