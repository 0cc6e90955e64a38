using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.Platforms.SoftMmu;
using Xunit;
using static Warden.Tests.Platforms.SoftMmu.ScriptedCpu;

namespace Warden.Tests.Platforms.SoftMmu;

/// <summary>Switch and Interrupt: how CPU exits become the platform contract's results.</summary>
public sealed class SoftMmuContextTests : IDisposable
{
    private const ulong P = TwoFiles.P;
    private static readonly Addr s_base = new(0x100000);

    private readonly TwoFiles _files = new();
    private readonly SoftMmuPlatform _platform;
    private readonly SoftMmuAddressSpace _as;
    private readonly ArchContext _regs = new();

    public SoftMmuContextTests()
    {
        _platform = new SoftMmuPlatform(_files.A);
        _as = _platform.NewSoftMmuAddressSpace();
        _as.MapFile(s_base, _files.A, new FileRange(0, P), AccessType.ReadWrite, false);
        _as.MapFile(s_base + P, _files.A, new FileRange(P, 2 * P), AccessType.ReadOnly, false);
    }

    public void Dispose() => _files.Dispose();

    private (AccessType At, Error? Error, SignalInfo Info) Switch(IPlatformContext context)
    {
        (AccessType at, Error? error) = context.Switch(_as, _regs, -1, out SignalInfo info);
        return (at, error, info);
    }

    [Fact]
    public void Syscall_ReturnsNull_WithTheRegistersTheCpuSet()
    {
        var cpu = new ScriptedCpu(new Read(s_base + 8, 8), new Write(s_base, [1, 2, 3]), new Syscall(39), new Syscall(60));
        SoftMmuContext context = _platform.NewContext(cpu);

        (AccessType at, Error? error, _) = Switch(context);
        Assert.Null(error);
        Assert.Equal(default, at);
        Assert.Equal(39UL, _regs.Registers.OrigRax);
        Assert.Equal(3UL, _regs.Registers.Rip);
        Assert.Equal(_files.Read(0, new FileRange(8, 16)), cpu.Reads.Single());
        Assert.Equal([1, 2, 3], _files.Read(0, new FileRange(0, 3)));

        Assert.Null(Switch(context).Error);
        Assert.Equal(60UL, _regs.Registers.Rax);
    }

    [Fact]
    public void FaultOnAnUnmappedPage_IsSigsegvMapErr_AtTheFirstFaultingByte()
    {
        var cpu = new ScriptedCpu(new Read(s_base + (2 * P) - 4, 8), new Syscall(1));
        SoftMmuContext context = _platform.NewContext(cpu);

        (AccessType at, Error? error, SignalInfo info) = Switch(context);

        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal(AccessType.ReadOnly, at);
        Assert.Equal(SignalInfo.SIGSEGV, info.Signo);
        Assert.Equal(SignalInfo.SEGV_MAPERR, info.Code);
        Assert.Equal((s_base + (2 * P)).Value, info.Addr);

        // The faulting step restarts once the page is mapped.
        _as.MapFile(s_base + (2 * P), _files.B, new FileRange(0, P), AccessType.ReadOnly, false);
        Assert.Null(Switch(context).Error);
        Assert.Equal(1UL, _regs.Registers.Rax);
        Assert.Equal(8, cpu.Reads.Single().Length);
    }

    [Fact]
    public void WriteToAReadOnlyPage_IsSigsegvAccErr_WithWriteAccess()
    {
        SoftMmuContext context = _platform.NewContext(new ScriptedCpu(new Write(s_base + P - 2, [9, 9, 9, 9])));

        (AccessType at, Error? error, SignalInfo info) = Switch(context);

        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal(AccessType.WriteOnly, at);
        Assert.Equal(SignalInfo.SIGSEGV, info.Signo);
        Assert.Equal(SignalInfo.SEGV_ACCERR, info.Code);
        Assert.Equal((s_base + P).Value, info.Addr);
    }

    [Fact]
    public void Signal_IsHandedOnUnchanged()
    {
        var sent = new SignalInfo { Signo = SignalInfo.SIGTRAP, Code = 0x80, Addr = 0x1234 };
        SoftMmuContext context = _platform.NewContext(new ScriptedCpu(new Raise(sent)));

        (AccessType at, Error? error, SignalInfo info) = Switch(context);

        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal(default, at);
        Assert.Equal(SignalInfo.SIGTRAP, info.Signo);
        Assert.Equal(0x80, info.Code);
        Assert.Equal(0x1234UL, info.Addr);

        // Running off the end of the script: the scripted CPU's SIGILL.
        Assert.Equal(SignalInfo.SIGILL, Switch(context).Info.Signo);
    }

    [Fact]
    public async Task InterruptFromAnotherThread_StopsASpinningCpu()
    {
        var cpu = new ScriptedCpu(new Spin(), new Syscall(7));
        SoftMmuContext context = _platform.NewContext(cpu);

        Task<(AccessType, Error?, SignalInfo)> running = Task.Factory.StartNew(() => Switch(context), TaskCreationOptions.LongRunning);
        cpu.Spinning.Wait();
        context.Interrupt();
        (_, Error? error, _) = await running;

        Assert.Same(PlatformErrors.ContextInterrupt, error);
        // The interrupt was reported, so none is left over: the next Switch runs the CPU.
        Assert.Null(Switch(context).Error);
        Assert.Equal(7UL, _regs.Registers.Rax);
        Assert.Equal(2, cpu.Runs);
    }

    [Fact]
    public void InterruptWithNoSwitchRunning_MakesTheNextSwitchReturnAtOnce_Once()
    {
        var cpu = new ScriptedCpu(new Syscall(1), new Syscall(2));
        SoftMmuContext context = _platform.NewContext(cpu);

        context.Interrupt();
        context.Interrupt();
        Assert.Same(PlatformErrors.ContextInterrupt, Switch(context).Error);
        Assert.Equal(0, cpu.Runs);

        Assert.Null(Switch(context).Error);
        Assert.Equal(1UL, _regs.Registers.Rax);
        Assert.Equal(1, cpu.Runs);
    }

    [Fact]
    public void InterruptRacingASyscallExit_IsKeptForTheNextSwitch()
    {
        SoftMmuContext? context = null;
        var cpu = new ScriptedCpu(new Invoke(() => context!.Interrupt()), new Syscall(5), new Syscall(6));
        context = _platform.NewContext(cpu);

        Assert.Null(Switch(context).Error);
        Assert.Equal(5UL, _regs.Registers.Rax);
        Assert.Same(PlatformErrors.ContextInterrupt, Switch(context).Error);
        Assert.Null(Switch(context).Error);
        Assert.Equal(6UL, _regs.Registers.Rax);
        Assert.Equal(2, cpu.Runs);
    }

    [Fact]
    public async Task SecondConcurrentSwitch_Throws()
    {
        var cpu = new ScriptedCpu(new Spin());
        SoftMmuContext context = _platform.NewContext(cpu);
        Task<(AccessType, Error?, SignalInfo)> running = Task.Factory.StartNew(() => Switch(context), TaskCreationOptions.LongRunning);
        cpu.Spinning.Wait();

        Assert.Throws<InvalidOperationException>(() => context.Switch(_as, new ArchContext(), -1, out _));

        context.Interrupt();
        Assert.Same(PlatformErrors.ContextInterrupt, (await running).Item2);
    }

    [Fact]
    public void AddressSpaceOfAnotherPlatform_IsRejected()
    {
        SoftMmuContext context = _platform.NewContext(new ScriptedCpu(new Syscall(1)));
        SoftMmuAddressSpace foreign = new SoftMmuPlatform(_files.A).NewSoftMmuAddressSpace();

        Assert.Equal("addressSpace", Assert.Throws<ArgumentException>(() => context.Switch(foreign, _regs, -1, out _)).ParamName);
        Assert.Equal(0, ((ScriptedCpu)context.Cpu).Runs);
    }

    [Fact]
    public void ReleasedAddressSpace_IsRejected()
    {
        SoftMmuContext context = _platform.NewContext(new ScriptedCpu(new Syscall(1)));
        _as.Release();
        Assert.Throws<ObjectDisposedException>(() => context.Switch(_as, _regs, -1, out _));
    }

    [Fact]
    public void ACpuThatReturnsDefault_IsABug()
    {
        SoftMmuContext context = _platform.NewContext(new ScriptedCpu(new ReturnDefault(), new Syscall(3)));
        Assert.Throws<InvalidOperationException>(() => Switch(context));
        // The context is usable again afterwards.
        Assert.Null(Switch(context).Error);
    }

    [Fact]
    public void ACpuException_Propagates_AndLeavesTheContextUsable()
    {
        SoftMmuContext context = _platform.NewContext(new ScriptedCpu(new Throw(), new Syscall(3)));
        Assert.Throws<InvalidProgramException>(() => Switch(context));
        Assert.Null(Switch(context).Error);
        Assert.Equal(3UL, _regs.Registers.Rax);
    }

    [Fact]
    public void FaultExit_NeedsAnAccess()
    {
        Assert.Equal("access", Assert.Throws<ArgumentException>(() => SoftMmuExit.Fault(s_base, AccessType.NoAccess)).ParamName);
        Assert.Equal(SoftMmuExitKind.None, default(SoftMmuExit).Kind);
    }

    [Fact]
    public void ContextFromTheFactory_RunsThroughTheInterface()
    {
        var platform = new SoftMmuPlatform(_files.A, new SoftMmuOptions { CpuFactory = () => new ScriptedCpu(new Syscall(42)) });
        IPlatformContext context = platform.NewContext();
        (IAddressSpace? space, _, _) = platform.NewAddressSpace(null);
        Assert.Null(context.Switch(space!, _regs, -1, out _).Error);
        Assert.Equal(42UL, _regs.Registers.Rax);
    }
}
