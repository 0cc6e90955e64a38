using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Platform;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Platform;

/// <summary>The default interface members: "no address-space I/O" and "no CPU preemption detection".</summary>
public class ContractDefaultsTests
{
    /// <summary>An address space that implements none of the <see cref="IAddressSpaceIO"/> methods.</summary>
    private sealed class BareAddressSpace : IAddressSpace
    {
        public Error? MapFile(Addr addr, IFile file, FileRange fr, AccessType at, bool precommit) => null;

        public void Unmap(Addr addr, ulong length)
        {
        }

        public void Release()
        {
        }
    }

    /// <summary>A platform that implements neither <see cref="IPlatform.DetectsCPUPreemption"/> nor <see cref="IPlatform.PreemptAllCPUs"/>.</summary>
    private sealed class BarePlatform(IMemory memory) : IPlatform
    {
        public bool SupportsAddressSpaceIO => false;

        public bool CooperativelySchedulesAddressSpace => false;

        public ulong MapUnit => 0;

        public Addr MinUserAddress => new(0x10000);

        public Addr MaxUserAddress => new(0x7fff_ffff_f000);

        public IMemory Memory => memory;

        public (IAddressSpace? AddressSpace, Task? RetryAfter, Error? Error) NewAddressSpace(object? mappingsID) =>
            (new BareAddressSpace(), null, null);

        public IPlatformContext NewContext() => throw new NotSupportedException();
    }

    /// <summary>
    /// A context that "runs" by returning the next scripted stop; <see cref="Interrupt"/> makes the next
    /// <see cref="Switch"/> return <see cref="PlatformErrors.ContextInterrupt"/>, as most real contexts do.
    /// </summary>
    private sealed class ScriptedContext(params (SignalInfo Info, AccessType At, Error? Error)[] stops) : IPlatformContext
    {
        private int _next;
        private int _interrupted;

        public (AccessType At, Error? Error) Switch(IAddressSpace addressSpace, ArchContext archContext, int cpu, out SignalInfo signalInfo)
        {
            signalInfo = default;
            if (Interlocked.Exchange(ref _interrupted, 0) != 0)
            {
                return (default, PlatformErrors.ContextInterrupt);
            }
            (SignalInfo info, AccessType at, Error? error) = stops[_next++];
            archContext.Registers.Rip += 2;
            signalInfo = info;
            return (at, error);
        }

        public void Interrupt() => Interlocked.Exchange(ref _interrupted, 1);
    }

    [Fact]
    public void Switch_ReportsSystemCallsSignalsAndInterrupts()
    {
        var fault = new SignalInfo { Signo = SignalInfo.SIGSEGV, Code = SignalInfo.SEGV_MAPERR, Addr = 0xdead000 };
        IPlatformContext context = new ScriptedContext(
            (default, default, null),
            (fault, AccessType.WriteOnly, PlatformErrors.ContextSignal));
        IAddressSpace space = new BareAddressSpace();
        var arch = new ArchContext();

        (AccessType _, Error? syscall) = context.Switch(space, arch, -1, out _);
        Assert.Null(syscall);

        (AccessType at, Error? signal) = context.Switch(space, arch, -1, out SignalInfo info);
        Assert.Same(PlatformErrors.ContextSignal, signal);
        Assert.Equal(SignalInfo.SIGSEGV, info.Signo);
        Assert.Equal(0xdead000UL, info.Addr);
        Assert.Equal(AccessType.WriteOnly, at);
        Assert.Equal(4UL, arch.Registers.Rip);

        context.Interrupt();
        Assert.Same(PlatformErrors.ContextInterrupt, context.Switch(space, arch, -1, out _).Error);
    }

    [Fact]
    public void AddressSpaceIO_Defaults_ReturnUnavailable_WithZeroCounts()
    {
        IAddressSpace space = new BareAddressSpace();
        byte[] buffer = [1, 2, 3, 4];

        Assert.Equal((0, PlatformErrors.AddressSpaceIOUnavailable), space.CopyOut(new Addr(0x1000), buffer));
        Assert.Equal((0, PlatformErrors.AddressSpaceIOUnavailable), space.CopyIn(new Addr(0x1000), buffer));
        Assert.Equal((0UL, PlatformErrors.AddressSpaceIOUnavailable), space.ZeroOut(new Addr(0x1000), 4096));
        Assert.Equal((0U, PlatformErrors.AddressSpaceIOUnavailable), space.SwapUint32(new Addr(0x1000), 7));
        Assert.Equal((0U, PlatformErrors.AddressSpaceIOUnavailable), space.CompareAndSwapUint32(new Addr(0x1000), 0, 7));
        Assert.Equal((0U, PlatformErrors.AddressSpaceIOUnavailable), space.LoadUint32(new Addr(0x1000)));
        Assert.Equal([1, 2, 3, 4], buffer);
    }

    [Fact]
    public void AddressSpaceIO_Defaults_AreReachableThroughTheIOInterfaceAlone()
    {
        IAddressSpaceIO io = new BareAddressSpace();
        Assert.Same(PlatformErrors.AddressSpaceIOUnavailable, io.CopyIn(Addr.Zero, new byte[1]).Error);
        Assert.Same(PlatformErrors.AddressSpaceIOUnavailable, io.ZeroOut(Addr.Zero, 1).Error);
    }

    [Fact]
    public void Platform_Defaults_DoNotDetectPreemption_AndRefuseToPreempt()
    {
        using var memory = new TestMemoryFile();
        IPlatform platform = new BarePlatform(memory);

        Assert.False(platform.DetectsCPUPreemption);
        Assert.Throws<NotSupportedException>(() => platform.PreemptAllCPUs());
    }

    [Fact]
    public void Platform_NewAddressSpace_ReturnsASpaceWithoutRetryOrError()
    {
        using var memory = new TestMemoryFile();
        IPlatform platform = new BarePlatform(memory);

        (IAddressSpace? space, Task? retry, Error? error) = platform.NewAddressSpace(mappingsID: null);
        Assert.NotNull(space);
        Assert.Null(retry);
        Assert.Null(error);
        Assert.Same(memory, platform.Memory);
    }
}
