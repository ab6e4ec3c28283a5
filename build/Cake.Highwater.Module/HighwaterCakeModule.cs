using Cake.Core.Annotations;
using Cake.Core.Composition;
using Cake.Core.Scripting;

[assembly: CakeModule(typeof(Cake.Highwater.Module.HighwaterCakeModule))]

namespace Cake.Highwater.Module;

/// <summary>
/// Highwater's Cake module: Cake registers it after its own services, so the alias finder it names is the one Cake uses.
/// It changes how fast Cake starts, not what a script sees (<see cref="CakeReferencingAliasFinder"/>).
/// </summary>
public sealed class HighwaterCakeModule : ICakeModule
{
    public void Register(ICakeContainerRegistrar registrar)
    {
        ArgumentNullException.ThrowIfNull(registrar);
        registrar.RegisterType<CakeReferencingAliasFinder>().As<IScriptAliasFinder>().Singleton();
    }
}
