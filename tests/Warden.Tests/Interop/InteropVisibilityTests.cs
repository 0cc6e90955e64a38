using System.Runtime.CompilerServices;
using Warden.Interop;
using Xunit;

namespace Warden.Tests.Interop;

/// <summary>
/// Warden.Interop is internal to Warden, as the runtime keeps its Interop.Sys internal: a user of
/// the packages sees no raw system call, and only the assemblies that make system calls see it.
/// </summary>
public class InteropVisibilityTests
{
    [Fact]
    public void ExportsNoType()
    {
        Assert.Empty(typeof(Libc).Assembly.GetExportedTypes());
    }

    [Fact]
    public void IsVisibleOnlyToTheAssembliesThatMakeSystemCalls()
    {
        string[] friends = typeof(Libc).Assembly.GetCustomAttributes(typeof(InternalsVisibleToAttribute), inherit: false)
            .Cast<InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName)
            .Order(StringComparer.Ordinal)
            .ToArray();

        Assert.Equal(
            new[] { "Warden.Benchmarks", "Warden.Kernel", "Warden.Mm", "Warden.PgAlloc", "Warden.Platforms.Ptrace", "Warden.SafeMem", "Warden.Tests", "warden" }
                .Order(StringComparer.Ordinal),
            friends);
    }
}
