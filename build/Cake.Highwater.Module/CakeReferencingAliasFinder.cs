using System.Reflection;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.Scripting;

namespace Cake.Highwater.Module;

/// <summary>
/// Finds the script aliases of the assemblies a script references with Cake's own <see cref="ScriptAliasFinder"/>,
/// handed only the assemblies that can hold one. An alias is a method or property marked with Cake.Core's
/// <see cref="CakeMethodAliasAttribute"/> or <see cref="CakePropertyAliasAttribute"/>, so an assembly that does not
/// reference Cake.Core (and is not Cake.Core) holds none. Cake hands the finder every assembly of the .NET reference set
/// too, on every run, cached script or not, and its finder loads each of their types to look: those hold no alias, so
/// the aliases found, and the script Cake generates from them, are the same.
/// </summary>
public sealed class CakeReferencingAliasFinder(ICakeLog log) : IScriptAliasFinder
{
    private readonly ScriptAliasFinder _cake = new(log);

    public IReadOnlyList<ScriptAlias> FindAliases(IEnumerable<Assembly> assemblies) =>
        _cake.FindAliases(CanHoldAliases(assemblies));

    /// <summary>Cake.Core, and the assemblies that reference it, in the order given.</summary>
    public static IEnumerable<Assembly> CanHoldAliases(IEnumerable<Assembly>? assemblies)
    {
        var core = typeof(CakeMethodAliasAttribute).Assembly;
        var coreName = core.GetName().Name;
        return (assemblies ?? []).Where(a => a == core || a.GetReferencedAssemblies().Any(r => r.Name == coreName));
    }
}
