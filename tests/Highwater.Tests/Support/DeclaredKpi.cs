using Highwater.Pipeline.Core.Contracts;
using Highwater.Pipeline.Core.Mart;

namespace Highwater.Tests.Support;

/// <summary>The KPIs as the repository's data-contracts/kpi_daily.yaml declares them, as Transform and the gate compute them.</summary>
public static class DeclaredKpi
{
    public static readonly DailyKpi Instance = DailyKpi.From(ContractLoader.LoadAll(RepoRoot.Combine("data-contracts")));
}
