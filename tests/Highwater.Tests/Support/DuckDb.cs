using DuckDB.NET.Data;

namespace Highwater.Tests.Support;

/// <summary>
/// Embedded DuckDB as an independent reader of our Parquet output and an independent recompute of the
/// mart from the raw JSON, so tests do not check our code with our code.
/// </summary>
public sealed class DuckDb : IDisposable
{
    private readonly DuckDBConnection _connection;

    public DuckDb()
    {
        _connection = new DuckDBConnection("DataSource=:memory:");
        _connection.Open();
        Execute("SET TimeZone='UTC'");
    }

    public void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public T Scalar<T>(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        var value = cmd.ExecuteScalar();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public List<string> Rows(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var cells = new string[reader.FieldCount];
            for (var i = 0; i < cells.Length; i++)
                cells[i] = reader.IsDBNull(i) ? "null" : Render(reader.GetValue(i));
            rows.Add(string.Join("|", cells));
        }
        return rows;
    }

    private static string Render(object value) => value switch
    {
        DateOnly d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        DateTime t => t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture),
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
    };

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

    public void Dispose() => _connection.Dispose();
}
