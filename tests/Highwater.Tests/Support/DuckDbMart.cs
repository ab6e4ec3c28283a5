namespace Highwater.Tests.Support;

/// <summary>The mart as DuckDB reads it: what a glob reader sees under a warehouse, and an independent recompute.</summary>
public sealed partial class DuckDb
{
    /// <summary>SQL for the published mart under a warehouse folder, with dt from the Hive path.</summary>
    public static string Mart(string warehouse) =>
        $"read_parquet('{warehouse}/gold/sales_mart/*/*.parquet', hive_partitioning = true)";

    public static string Kpi(string warehouse) =>
        $"read_parquet('{warehouse}/gold/kpi_daily/*/*.parquet', hive_partitioning = true)";

    /// <summary>
    /// The mart recomputed from all landed JSON: lines DuckDB cannot read as the event schema are skipped
    /// (as Extract quarantines them), joined to users, one row per order_id — the latest arrival_ts, on a tie
    /// the ordinally greater source key — with dt the UTC date of event_ts and source_key the landed key.
    /// <paramref name="files"/> is the file name pattern inside the date folders (DuckDB reads <c>.gz</c> itself).
    /// </summary>
    public static string RecomputedMart(string landing, string users, string files = "*.json") => $$"""
        (WITH raw AS (
            SELECT * EXCLUDE (filename), replace(filename, '{{landing}}/', '') AS source_key
            FROM read_json('{{landing}}/events/*/{{files}}', format = 'newline_delimited', ignore_errors = true, filename = true,
              columns = {order_id: 'VARCHAR', user_id: 'BIGINT', event_ts: 'TIMESTAMPTZ', arrival_ts: 'TIMESTAMPTZ',
                          qty: 'INTEGER', unit_price: 'DECIMAL(18,2)', currency: 'VARCHAR', sku: 'VARCHAR', channel: 'VARCHAR'})
            WHERE user_id IS NOT NULL AND event_ts IS NOT NULL AND arrival_ts IS NOT NULL
        ), latest AS (
            SELECT * FROM raw QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY arrival_ts DESC, source_key DESC) = 1
        )
        SELECT l.*, CAST(l.qty * l.unit_price AS DECIMAL(18,2)) AS total_price, CAST(l.event_ts AS DATE) AS dt,
               u.country, u.segment
        FROM latest l JOIN read_parquet('{{users}}/*.parquet') u USING (user_id))
        """;
}
