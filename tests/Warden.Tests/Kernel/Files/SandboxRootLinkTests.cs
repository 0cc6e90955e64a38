using Warden.Kernel.Files;
using Xunit;

namespace Warden.Tests.Kernel.Files;

/// <summary><see cref="SandboxRoot.HostLinkOf"/> reads the host's /proc/self/fd link of a handle it holds.</summary>
public sealed class SandboxRootLinkTests : IDisposable
{
    private readonly string _first = Path.Combine(Path.GetTempPath(), $"warden-link-a-{Guid.NewGuid():N}");
    private readonly string _second = Path.Combine(Path.GetTempPath(), $"warden-link-b-{Guid.NewGuid():N}");

    public void Dispose()
    {
        File.Delete(_first);
        File.Delete(_second);
    }

    [Fact]
    public void AnOpenHandle_NamesItsFile()
    {
        File.WriteAllText(_first, "a");
        using var handle = File.OpenHandle(_first);
        Assert.Equal(_first, SandboxRoot.HostLinkOf(handle));
    }

    [Fact]
    public void AClosedHandle_NamesNothing_EvenWhenItsNumberIsReused()
    {
        File.WriteAllText(_first, "a");
        File.WriteAllText(_second, "b");
        var closed = File.OpenHandle(_first);
        closed.Dispose();
        // The lowest free number is usually the one just freed: the second file likely gets it.
        using var reuser = File.OpenHandle(_second);

        Assert.Null(SandboxRoot.HostLinkOf(closed));
        Assert.Equal(_second, SandboxRoot.HostLinkOf(reuser));
    }
}
