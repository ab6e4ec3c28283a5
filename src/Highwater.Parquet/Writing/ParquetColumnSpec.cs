namespace Highwater.Parquet.Writing;

/// <summary>The value kinds <see cref="ParquetFileWriter"/> writes, each with its Parquet physical and logical type.</summary>
public enum ParquetValueKind
{
    /// <summary>INT32, logical INTEGER(32, signed).</summary>
    Int32,
    /// <summary>INT64, logical INTEGER(64, signed).</summary>
    Int64,
    /// <summary>BYTE_ARRAY, logical STRING (UTF-8).</summary>
    Utf8,
    /// <summary>INT64, logical TIMESTAMP(isAdjustedToUTC, MICROS): microseconds since the Unix epoch.</summary>
    TimestampMicrosUtc,
    /// <summary>INT32, logical DATE: days since the Unix epoch.</summary>
    Date,
    /// <summary>INT64, logical DECIMAL(precision &lt;= 18, scale): the unscaled value.</summary>
    Decimal,
}

/// <summary>How <see cref="ParquetFileWriter"/> encodes INT32 and INT64 columns (integers, timestamps, dates, decimals).</summary>
public enum ParquetIntegerEncoding
{
    /// <summary>
    /// DELTA_BINARY_PACKED, uncompressed (the default), for the INTEGER columns (<see cref="ParquetValueKind.Int32"/> and
    /// <see cref="ParquetValueKind.Int64"/>): ids drawn from a range and small quantities pack into a few bits a value, and
    /// are cheaper to write and to read than PLAIN with Snappy. Read by DuckDB, Spark, Arrow and Trino, and by
    /// Parquet.Net, which reads the encoding only into int and long: timestamps, dates and decimals stay PLAIN with
    /// Snappy, so a Parquet.Net reader reads every mart column.
    /// </summary>
    Delta,
    /// <summary>PLAIN with Snappy, as every Parquet reader reads (for engines that predate the DELTA encodings).</summary>
    Plain,
}

/// <summary>One column of a file <see cref="ParquetFileWriter"/> writes (flat schemas only: no nesting, no repetition).</summary>
public sealed record ParquetColumnSpec(string Name, ParquetValueKind Kind, bool Nullable, int Precision = 0, int Scale = 0);
