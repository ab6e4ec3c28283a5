using Parquet.Schema;

namespace Highwater.Pipeline.Core.Schema;

/// <summary>
/// The Parquet schemas of every dataset Highwater reads or writes, as data.
/// Timestamps are TIMESTAMP(MICROS, UTC), money DECIMAL(18,2), dates DATE, strings UTF8,
/// so DuckDB, Spark and Athena read them without hints.
/// Hive partition columns (<c>dt</c>) live in folder names, not in the files.
/// </summary>
public static class Schemas
{
    public const int MoneyPrecision = 18;
    public const int MoneyScale = 2;

    public static DateTimeDataField Timestamp(string name, bool nullable = false) =>
        new(name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: nullable);

    public static DecimalDataField Money(string name) =>
        new(name, MoneyPrecision, MoneyScale, forceByteArrayEncoding: false, isNullable: true);

    public static DateTimeDataField Date(string name) =>
        new(name, DateTimeFormat.Date, isNullable: true);

    /// <summary>Staged events after Extract (one row per valid input line).</summary>
    public static class Events
    {
        /// <summary>The dataset's name: its contract.</summary>
        public const string Dataset = "events";

        public static readonly DataField<string> OrderId = new("order_id", true);
        public static readonly DataField<long> UserId = new("user_id", false);
        public static readonly DateTimeDataField EventTs = Timestamp("event_ts");
        public static readonly DateTimeDataField ArrivalTs = Timestamp("arrival_ts");
        public static readonly DataField<int?> Qty = new("qty", true);
        public static readonly DecimalDataField UnitPrice = Money("unit_price");
        public static readonly DataField<string> Currency = new("currency", true);
        public static readonly DataField<string> Sku = new("sku", true);
        public static readonly DataField<string> Channel = new("channel", true);
        public static readonly DataField<string> SourceKey = new("source_key", false);
        public static readonly DataField<long> SourceLine = new("source_line", false);

        public static readonly ParquetSchema Schema = new(
            OrderId, UserId, EventTs, ArrivalTs, Qty, UnitPrice, Currency, Sku, Channel, SourceKey, SourceLine);
    }

    /// <summary>The user dimension (silver/users).</summary>
    public static class Users
    {
        /// <summary>The dataset's name: its contract.</summary>
        public const string Dataset = "users";

        public static readonly DataField<long> UserId = new("user_id", false);
        public static readonly DataField<string> Country = new("country", true);
        public static readonly DataField<string> Segment = new("segment", true);
        public static readonly DateTimeDataField SignupDate = Date("signup_date");

        public static readonly ParquetSchema Schema = new(UserId, Country, Segment, SignupDate);
    }

    /// <summary>gold/sales_mart, partitioned by dt (UTC date of event_ts).</summary>
    public static class SalesMart
    {
        /// <summary>The dataset's name: its folder under gold/ and its contract.</summary>
        public const string Dataset = "sales_mart";

        public static readonly DataField<string> OrderId = new("order_id", true);
        public static readonly DataField<long> UserId = new("user_id", false);
        public static readonly DateTimeDataField EventTs = Timestamp("event_ts");
        public static readonly DateTimeDataField ArrivalTs = Timestamp("arrival_ts");
        public static readonly DataField<int?> Qty = new("qty", true);
        public static readonly DecimalDataField UnitPrice = Money("unit_price");
        public static readonly DecimalDataField TotalPrice = Money("total_price");
        public static readonly DataField<string> Currency = new("currency", true);
        public static readonly DataField<string> Sku = new("sku", true);
        public static readonly DataField<string> Channel = new("channel", true);
        public static readonly DataField<string> Country = new("country", true);
        public static readonly DataField<string> Segment = new("segment", true);
        public static readonly DateTimeDataField SignupDate = Date("signup_date");
        public static readonly DataField<string> SourceKey = new("source_key", false);

        public static readonly ParquetSchema Schema = new(
            OrderId, UserId, EventTs, ArrivalTs, Qty, UnitPrice, TotalPrice, Currency, Sku, Channel,
            Country, Segment, SignupDate, SourceKey);
    }

    /// <summary>gold/kpi_daily, partitioned by dt: its columns are its contract's (data-contracts/kpi_daily.yaml, derive:).</summary>
    public static class KpiDaily
    {
        /// <summary>The dataset's name: its folder under gold/ and its contract.</summary>
        public const string Dataset = "kpi_daily";
    }
}
