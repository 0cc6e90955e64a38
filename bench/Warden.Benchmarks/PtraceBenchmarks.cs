using System.Runtime.Versioning;
using BenchmarkDotNet.Attributes;
using Iced.Intel;
using Warden.Errors;
using Warden.HostArch;
using Warden.PgAlloc;
using Warden.Platform;
using Warden.Platforms.Ptrace;
using Warden.SafeMem;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Benchmarks;

/// <summary>
/// The ptrace platform's round trips, with generated programs running in a stub: a system call
/// (the program loops on <c>getpid</c>; each operation is one <c>Switch</c> that returns at the
/// call and resumes after it), and a page fault (the program reads one new page after another;
/// each operation is the <c>Switch</c> that returns the SIGSEGV and the <c>MapFile</c> that maps the
/// page, after which the next <c>Switch</c> re-runs the faulting read). Both with the floating-point
/// state lent to the stub between switches (the default) and copied out and in every time, and with
/// the switching thread kept on its CPU (the default) and not.
/// </summary>
/// <remarks>
/// The setup also measures the same <c>getpid</c> loop natively and under gVisor
/// (<see cref="PtraceGvisorComparison"/>) and prints both figures into the log, so that one run
/// gives all three.
/// </remarks>
[MemoryDiagnoser]
[SupportedOSPlatform("linux")]
public class PtraceBenchmarks
{
    private const ulong Page = (ulong)Arch.PageSize;
    private const ulong SyscallCode = 0x1000_0000;
    private const ulong FaultCode = 0x1100_0000;
    private const ulong Window = 0x4000_0000;
    private const int WindowPages = 1024;
    private const int SysGetpid = 39;
    private const int WrapMarker = 0x7777;

    private MemoryFile _memory = null!;
    private PtracePlatform _platform = null!;
    private PtraceAddressSpace _space = null!;
    private PtraceContext _syscallContext = null!;
    private PtraceContext _faultContext = null!;
    private ArchContext _syscallArch = null!;
    private ArchContext _faultArch = null!;
    private FileRange _window;

    /// <summary>Whether the floating-point state stays in the stub between switches.</summary>
    [Params(true, false)]
    public bool LazyFPState { get; set; }

    /// <summary>Whether the benchmark's thread is kept on its CPU while it switches.</summary>
    [Params(true, false)]
    public bool PinTracerThreads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        PtraceGvisorComparison.PrintOnce();
        Error? unsupported = PtracePlatform.CheckSupported();
        if (unsupported is not null)
        {
            throw new InvalidOperationException($"ptrace is not usable here: {unsupported.Message}");
        }
        (MemoryFile? memory, Error? error) = MemoryFile.Create(1UL << 32);
        Check(error, "MemoryFile.Create");
        _memory = memory!;
        (PtracePlatform? platform, error) = PtracePlatform.Create(_memory, new PtracePlatformOptions { LazyFPState = LazyFPState, PinTracerThreads = PinTracerThreads });
        Check(error, "PtracePlatform.Create");
        _platform = platform!;
        (IAddressSpace? space, _, error) = _platform.NewAddressSpace(null);
        Check(error, "NewAddressSpace");
        _space = (PtraceAddressSpace)space!;

        // for (;;) getpid();
        var a = new Assembler(64);
        Label top = a.CreateLabel();
        a.Label(ref top);
        a.mov(eax, SysGetpid);
        a.syscall();
        a.jmp(top);
        MapCode(SyscallCode, a);

        // for (;;) { for (p = start; p < end; p += page) read(p); wrap(); }
        a = new Assembler(64);
        Label loop = a.CreateLabel();
        Label restart = a.CreateLabel();
        a.Label(ref restart);
        a.mov(rbx, r13);
        a.Label(ref loop);
        a.mov(rax, __qword_ptr[rbx]);
        a.add(rbx, (int)Page);
        a.cmp(rbx, r12);
        a.jb(loop);
        a.mov(eax, WrapMarker);
        a.syscall();
        a.jmp(restart);
        MapCode(FaultCode, a);
        (_window, error) = _memory.Allocate(WindowPages * Page, MemoryKind.Anonymous);
        Check(error, "Allocate");

        _syscallContext = (PtraceContext)_platform.NewContext();
        _syscallArch = new ArchContext();
        _syscallArch.Registers.Rip = SyscallCode;
        _faultContext = (PtraceContext)_platform.NewContext();
        _faultArch = new ArchContext();
        _faultArch.Registers.Rip = FaultCode;
        _faultArch.Registers.R12 = Window + (WindowPages * Page);
        _faultArch.Registers.R13 = Window;

        Check(SyscallRoundTrip(), "first system call");
        Check(FaultRoundTrip(), "first fault");
        // The benchmark may run on another thread than this setup: give the states back.
        Check(_syscallContext.PullFPState(_syscallArch), "PullFPState");
        Check(_faultContext.PullFPState(_faultArch), "PullFPState");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _platform.Dispose();
        _memory.Destroy();
        TracerAffinity.Release();
    }

    /// <summary>One system call: the switch that returns at it (and resumes after the previous one).</summary>
    [Benchmark]
    public Error? SyscallRoundTrip()
    {
        (_, Error? error) = _syscallContext.Switch(_space, _syscallArch, -1, out _);
        return error;
    }

    /// <summary>One page fault: the switch that returns the SIGSEGV (decoded), and the MapFile that serves it.</summary>
    [Benchmark]
    public Error? FaultRoundTrip()
    {
        (AccessType at, Error? error) = _faultContext.Switch(_space, _faultArch, -1, out SignalInfo info);
        if (error is null)
        {
            // The program went through the whole window (once every 1024 faults): drop the window
            // (a deferred unmap) and take the first fault again.
            _space.Unmap(new Addr(Window), WindowPages * Page);
            (at, error) = _faultContext.Switch(_space, _faultArch, -1, out info);
        }
        if (!ReferenceEquals(error, PlatformErrors.ContextSignal))
        {
            return error;
        }
        ulong page = info.Addr & ~Arch.PageMask;
        var fr = new FileRange(_window.Start + (page - Window), _window.Start + (page - Window) + Page);
        return _space.MapFile(new Addr(page), _memory, fr, at, precommit: false);
    }

    private void MapCode(ulong address, Assembler assembler)
    {
        var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), address);
        (FileRange fr, Error? error) = _memory.Allocate(Page, MemoryKind.Anonymous);
        Check(error, "Allocate");
        (BlockSeq blocks, error) = _memory.MapInternal(fr, AccessType.ReadWrite);
        Check(error, "MapInternal");
        stream.ToArray().CopyTo(blocks.Head.AsSpan());
        Check(_space.MapFile(new Addr(address), _memory, fr, AccessType.ReadExecute, precommit: false), "MapFile");
    }

    private static void Check(Error? error, string what)
    {
        if (error is not null)
        {
            throw new InvalidOperationException($"{what}: {error.Message}");
        }
    }
}
