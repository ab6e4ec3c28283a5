using System.Reflection;
using Cake.Common;
using Cake.Core.Composition;
using Cake.Core.Diagnostics;
using Cake.Core.Scripting;
using Cake.Highwater.Module;
using Xunit;

namespace Highwater.Tests.Workflows;

/// <summary>
/// The Cake module build.sh and build.ps1 load (build/Cake.Highwater.Module): it must change how fast Cake starts, never
/// which aliases a script gets. Its finder is compared with Cake's own over the assemblies Cake hands it: Cake's own
/// assemblies and the whole .NET runtime.
/// </summary>
public sealed class CakeModuleTests
{
    private static List<Assembly> WhatCakeHandsTheFinder()
    {
        var assemblies = new List<Assembly> { typeof(ScriptAlias).Assembly, typeof(ArgumentAliases).Assembly };
        var runtime = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
        foreach (var file in Directory.EnumerateFiles(runtime, "*.dll").Order(StringComparer.Ordinal))
        {
            try
            {
                assemblies.Add(Assembly.Load(AssemblyName.GetAssemblyName(file)));
            }
            catch (BadImageFormatException)
            {
                // a native library of the runtime, not an assembly
            }
        }
        return assemblies;
    }

    private static List<string> Describe(IReadOnlyList<ScriptAlias> aliases) =>
        [.. aliases.Select(a => $"{a.Type} {a.Method.DeclaringType!.FullName}.{a.Method} [{string.Join(", ", a.Namespaces.Order(StringComparer.Ordinal))}]")];

    [Fact]
    public void The_module_finds_the_same_aliases_as_Cake_in_the_same_order()
    {
        var assemblies = WhatCakeHandsTheFinder();
        Assert.True(assemblies.Count > 100, $"only {assemblies.Count} assemblies loaded from the runtime");

        var cake = Describe(new ScriptAliasFinder(new NullLog()).FindAliases(assemblies));
        var module = Describe(new CakeReferencingAliasFinder(new NullLog()).FindAliases(assemblies));

        Assert.True(cake.Count > 500, $"Cake found only {cake.Count} aliases");
        Assert.Contains(cake, a => a.Contains(nameof(ArgumentAliases.Argument), StringComparison.Ordinal));
        Assert.Equal(cake, module);
    }

    [Fact]
    public void Only_Cake_Core_and_the_assemblies_referencing_it_are_searched()
    {
        var core = typeof(ScriptAlias).Assembly;
        var common = typeof(ArgumentAliases).Assembly;
        var searched = CakeReferencingAliasFinder.CanHoldAliases([typeof(object).Assembly, common, typeof(Enumerable).Assembly, core]).ToList();
        Assert.Equal([common, core], searched);
    }

    [Fact]
    public void The_module_makes_its_finder_the_one_Cake_uses()
    {
        var registrar = new RecordingRegistrar();
        new HighwaterCakeModule().Register(registrar);

        var registration = Assert.Single(registrar.Registrations);
        Assert.Equal(typeof(CakeReferencingAliasFinder), registration.Type);
        Assert.Equal([typeof(IScriptAliasFinder)], registration.Services);
        Assert.True(registration.IsSingleton);
        var attribute = typeof(HighwaterCakeModule).Assembly.GetCustomAttribute<Cake.Core.Annotations.CakeModuleAttribute>();
        Assert.Equal(typeof(HighwaterCakeModule), attribute?.ModuleType);
        // Cake looks for modules by this file name pattern: Cake.*.Module.dll.
        Assert.Matches(@"^Cake\..+\.Module\.dll$", Path.GetFileName(typeof(HighwaterCakeModule).Assembly.Location));
    }

    private sealed class RecordingRegistrar : ICakeContainerRegistrar
    {
        public List<Registration> Registrations { get; } = [];

        public void RegisterModule(ICakeModule module) => module.Register(this);

        public ICakeRegistrationBuilder RegisterType(Type type)
        {
            var registration = new Registration(type);
            Registrations.Add(registration);
            return registration;
        }

        public ICakeRegistrationBuilder RegisterInstance<TImplementation>(TImplementation instance) where TImplementation : class =>
            RegisterType(typeof(TImplementation));
    }

    private sealed class Registration(Type type) : ICakeRegistrationBuilder
    {
        public Type Type { get; } = type;
        public List<Type> Services { get; } = [];
        public bool IsSingleton { get; private set; }

        public ICakeRegistrationBuilder As(Type type)
        {
            Services.Add(type);
            return this;
        }

        public ICakeRegistrationBuilder AsSelf() => As(Type);

        public ICakeRegistrationBuilder Singleton()
        {
            IsSingleton = true;
            return this;
        }

        public ICakeRegistrationBuilder Transient()
        {
            IsSingleton = false;
            return this;
        }
    }
}
