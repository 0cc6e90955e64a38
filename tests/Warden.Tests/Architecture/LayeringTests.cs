using System.Reflection;
using System.Security;
using Xunit;

namespace Warden.Tests.Architecture;

/// <summary>
/// SPEC.md §1: each layer depends only on the layers below it, and unsafe code lives only in the
/// few assemblies that touch raw memory. Assembly references are checked here so that a wrong
/// reference fails the build's tests, not a reviewer's eye.
/// </summary>
public class LayeringTests
{
    // Every Warden assembly and the Warden assemblies it may reference.
    private static readonly Dictionary<string, string[]> s_allowed = new()
    {
        ["Warden.Errors"] = [],
        ["Warden.Contexts"] = [],
        ["Warden.HostArch"] = ["Warden.Errors"],
        ["Warden.Interop"] = ["Warden.Errors", "Warden.HostArch"],
        ["Warden.SafeMem"] = ["Warden.Errors", "Warden.Interop", "Warden.HostArch"],
        ["Warden.UserMem"] = ["Warden.Errors", "Warden.Contexts", "Warden.HostArch", "Warden.SafeMem"],
        ["Warden.RangeMap"] = ["Warden.Errors", "Warden.HostArch"],
        ["Warden.MemMap"] = ["Warden.Errors", "Warden.Contexts", "Warden.HostArch", "Warden.SafeMem", "Warden.RangeMap"],
        ["Warden.Platform"] = ["Warden.Errors", "Warden.Contexts", "Warden.HostArch", "Warden.SafeMem", "Warden.MemMap"],
        ["Warden.PgAlloc"] = ["Warden.Errors", "Warden.Contexts", "Warden.Interop", "Warden.HostArch", "Warden.SafeMem", "Warden.RangeMap", "Warden.MemMap", "Warden.Platform"],
        ["Warden.Mm"] = ["Warden.Errors", "Warden.Contexts", "Warden.Interop", "Warden.HostArch", "Warden.SafeMem", "Warden.UserMem", "Warden.RangeMap", "Warden.MemMap", "Warden.Platform", "Warden.PgAlloc"],
        ["Warden.Platforms.SoftMmu"] = ["Warden.Errors", "Warden.Contexts", "Warden.HostArch", "Warden.SafeMem", "Warden.RangeMap", "Warden.MemMap", "Warden.Platform"],
        ["Warden.Platforms.Ptrace"] = ["Warden.Errors", "Warden.Contexts", "Warden.Interop", "Warden.HostArch", "Warden.SafeMem", "Warden.MemMap", "Warden.Platform", "Warden.PgAlloc"],
        // The kernel uses the memory manager and the platform contracts, never a particular platform.
        ["Warden.Kernel"] = ["Warden.Errors", "Warden.Contexts", "Warden.Interop", "Warden.HostArch", "Warden.SafeMem", "Warden.UserMem", "Warden.RangeMap", "Warden.MemMap", "Warden.Platform", "Warden.PgAlloc", "Warden.Mm"],
        // The command (Warden.Cli) stands on top and may use every layer.
        // The Warden package's (empty) assembly depends on the whole library stack and nothing else.
        ["Warden.Meta"] = ["Warden.Errors", "Warden.Contexts", "Warden.Interop", "Warden.HostArch", "Warden.SafeMem", "Warden.UserMem", "Warden.RangeMap", "Warden.MemMap", "Warden.Platform", "Warden.PgAlloc", "Warden.Mm", "Warden.Platforms.SoftMmu", "Warden.Platforms.Ptrace", "Warden.Kernel"],
        ["warden"] = ["Warden.Errors", "Warden.Contexts", "Warden.Interop", "Warden.HostArch", "Warden.SafeMem", "Warden.UserMem", "Warden.RangeMap", "Warden.MemMap", "Warden.Platform", "Warden.PgAlloc", "Warden.Mm", "Warden.Platforms.Ptrace", "Warden.Kernel"],
    };

    // The only assemblies compiled with AllowUnsafeBlocks.
    private static readonly HashSet<string> s_unsafeAllowed = ["Warden.Interop", "Warden.SafeMem", "Warden.PgAlloc", "Warden.Platforms.Ptrace"];

    public static TheoryData<string> Layers => new(s_allowed.Keys);

    [Theory]
    [MemberData(nameof(Layers))]
    public void ReferencesOnlyLowerLayers(string assemblyName)
    {
        Assembly assembly = Assembly.Load(assemblyName);
        string[] wardenReferences = assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("Warden.", StringComparison.Ordinal))
            .ToArray();

        Assert.All(wardenReferences, r => Assert.Contains(r, s_allowed[assemblyName]));
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void UsesUnsafeCodeOnlyWhereAllowed(string assemblyName)
    {
        // The compiler marks modules built with /unsafe as unverifiable.
        bool isUnsafe = Assembly.Load(assemblyName).Modules
            .Any(m => m.IsDefined(typeof(UnverifiableCodeAttribute), inherit: false));

        Assert.Equal(s_unsafeAllowed.Contains(assemblyName), isUnsafe);
    }
}
