using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Schema;
using Highwater.Pipeline.Core.WorkFiles;

namespace Highwater.Pipeline.Transform;

/// <summary>
/// Where each sales_mart column comes from, as the contracts declare it: the staged event's column of the same name (the
/// events contract declares it, with the same type), the user join (<see cref="UserColumns"/>, which the users contract
/// declares), or the column's own derivation (<c>derived:</c>). Checked once, before any work: a mart column from nowhere,
/// or one whose type differs from its source's, is a configuration error naming the contract, the column and the way out.
/// </summary>
internal sealed class MartColumnOrigins
{
    /// <summary>The user dimension's columns the user join gives each row (the dimension's key, user_id, is the event's).</summary>
    public static readonly string[] UserColumns = [Schemas.Users.Country.Name, Schemas.Users.Segment.Name, Schemas.Users.SignupDate.Name];

    private MartColumnOrigins(DatasetColumns mart, IReadOnlyList<string> staged) => (Mart, Staged) = (mart, staged);

    /// <summary>The mart's columns, as its contract declares them.</summary>
    public DatasetColumns Mart { get; }

    /// <summary>The mart's columns that come from the staged events, in the mart's order.</summary>
    public IReadOnlyList<string> Staged { get; }

    public static MartColumnOrigins From(IReadOnlyDictionary<string, DataContract> contracts, string contractsDir)
    {
        DataContract Contract(string dataset) => contracts.TryGetValue(dataset, out var c) ? c
            : throw new ConfigurationException($"the data-contract folder '{contractsDir}' has no contract for dataset '{dataset}'; Transform takes the mart's columns from it");
        var mart = Contract(Schemas.SalesMart.Dataset);
        var events = Contract(Schemas.Events.Dataset);
        var users = Contract(Schemas.Users.Dataset);
        var path = mart.SourcePath ?? mart.Dataset;
        var staged = new List<string>();
        foreach (var c in mart.Columns)
        {
            if (c.Derivation is not null) continue;
            if (events.FindColumn(c.Name) is { } e)
            {
                if (e.Type != c.Type)
                    throw new ConfigurationException(
                        $"data contract '{path}': column '{c.Name}' is {c.Type}, but the staged events ('{events.SourcePath ?? events.Dataset}') hold it as {e.Type}; declare the same type in both");
                staged.Add(c.Name);
            }
            else if (UserColumns.Contains(c.Name))
            {
                if (users.FindColumn(c.Name) is not { } u)
                    throw new ConfigurationException($"data contract '{path}': column '{c.Name}' comes from the user join, but the users contract '{users.SourcePath ?? users.Dataset}' does not declare it");
                if (u.Type != c.Type)
                    throw new ConfigurationException($"data contract '{path}': column '{c.Name}' is {c.Type}, but the user dimension holds it as {u.Type}; declare the same type in both");
            }
            else
            {
                throw new ConfigurationException(
                    $"data contract '{path}': column '{c.Name}' comes from nowhere: the events contract '{events.SourcePath ?? events.Dataset}' does not declare it, " +
                    $"it is not one of the user join's columns ({string.Join(", ", UserColumns)}) and it has no derived: expression; " +
                    "declare it in the events contract, or give it a derivation (docs/contracts.md, \"Adding a column\")");
            }
        }
        var columns = DatasetColumns.Mart(mart);
        try
        {
            _ = new PartitionColumns(columns);
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException($"data contract '{path}': {e.Message}");
        }
        return new MartColumnOrigins(columns, staged);
    }
}
