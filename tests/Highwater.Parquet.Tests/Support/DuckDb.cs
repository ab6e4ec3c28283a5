using System.Globalization;
using DuckDB.NET.Data;

namespace Highwater.Parquet.Tests.Support;

/// <summary>Embedded DuckDB: an independent reader of the codec's files (its own Parquet reader, not ours).</summary>
public sealed class DuckDb : IDisposable
{
    private readonly DuckDBConnection _connection;

    public DuckDb()
    {
        _connection = new DuckDBConnection("DataSource=:memory:");
        _connection.Open();
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SET TimeZone='UTC'";
        cmd.ExecuteNonQuery();
    }

    public T Scalar<T>(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        var value = cmd.ExecuteScalar();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
    }

    /// <summary>Each row as its cells joined by "|" (null as "null"; dates yyyy-MM-dd, times to the microsecond).</summary>
    public List<string> Rows(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var cells = new string[reader.FieldCount];
            for (var i = 0; i < cells.Length; i++) cells[i] = reader.IsDBNull(i) ? "null" : Render(reader.GetValue(i));
            rows.Add(string.Join("|", cells));
        }
        return rows;
    }

    private static string Render(object value) => value switch
    {
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
    };

    public void Dispose() => _connection.Dispose();
}
