using System.Diagnostics;
using DuckDB.NET.Data;

namespace Highwater.Benchmarks;

/// <summary>
/// The same job in DuckDB, run in a process of its own (the <c>duckdb-job</c> verb) so that its peak memory is
/// measured like Highwater's: read the new files with read_json and explicit columns (bad lines skipped),
/// inner join to the users, total_price = qty * unit_price, dt = UTC date of event_ts, and
/// COPY … TO … (FORMAT PARQUET, PARTITION_BY (dt)).
/// </summary>
public static class DuckDbJob
{
    public static int RunVerb(string filesList, string usersDir, string outDir, int threads)
    {
        var files = File.ReadAllLines(filesList).Where(l => l.Length > 0).ToList();
        var sw = Stopwatch.StartNew();
        using var db = new DuckDBConnection("DataSource=:memory:");
        db.Open();
        Exec(db, "SET TimeZone='UTC'");
        if (threads > 0) Exec(db, $"SET threads={threads}");
        Exec(db, $"SET temp_directory='{Path.Combine(outDir + ".tmp")}'");
        var list = string.Join(", ", files.Select(f => $"'{f}'"));
        var sql = $"""
            COPY (
              SELECT e.order_id, e.user_id, e.event_ts, e.arrival_ts, e.qty, e.unit_price,
                     CAST(e.qty * e.unit_price AS DECIMAL(18,2)) AS total_price,
                     e.currency, e.sku, e.channel, u.country, u.segment, u.signup_date, e.filename AS source_key,
                     CAST(e.event_ts AS DATE) AS dt
              FROM read_json([{list}], format = 'newline_delimited', ignore_errors = true, filename = true,
                     columns = {"{"}order_id: 'VARCHAR', user_id: 'BIGINT', event_ts: 'TIMESTAMPTZ', arrival_ts: 'TIMESTAMPTZ',
                                qty: 'INTEGER', unit_price: 'DECIMAL(18,2)', currency: 'VARCHAR', sku: 'VARCHAR', channel: 'VARCHAR'{"}"}) e
              JOIN read_parquet('{usersDir}/*.parquet') u USING (user_id)
              WHERE e.user_id IS NOT NULL AND e.event_ts IS NOT NULL AND e.arrival_ts IS NOT NULL
            ) TO '{outDir}' (FORMAT PARQUET, PARTITION_BY (dt), OVERWRITE_OR_IGNORE)
            """;
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        var rows = cmd.ExecuteNonQuery();
        Console.WriteLine($"duckdb-job: {files.Count} file(s), {rows:N0} rows written to {outDir} in {sw.Elapsed.TotalSeconds:F2} s");
        return 0;
    }

    private static void Exec(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
