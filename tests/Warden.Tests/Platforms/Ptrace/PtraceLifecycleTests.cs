using System.Buffers.Binary;
using Iced.Intel;
using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.Platforms.Ptrace;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Tests.Platforms.Ptrace;

/// <summary>Stub processes: what they hold, several at once, and that none outlives its address space or platform.</summary>
public sealed class PtraceLifecycleTests
{
    private const ulong Code = 0x1000_0000;
    private const ulong Data = 0x2000_0000;

    [SkippableFact]
    public void APlatform_DescribesItself()
    {
        using var bed = PtraceTestBed.Create();
        PtracePlatform platform = bed.Platform;
        Assert.False(platform.SupportsAddressSpaceIO);
        Assert.False(platform.CooperativelySchedulesAddressSpace);
        Assert.False(((IPlatform)platform).DetectsCPUPreemption);
        Assert.Throws<NotSupportedException>(() => ((IPlatform)platform).PreemptAllCPUs());
        Assert.Equal(0UL, platform.MapUnit);
        Assert.Same(bed.Memory, platform.Memory);
        Assert.True(platform.MinUserAddress.Value >= PtraceTestBed.Page);
        Assert.Equal(0x7fff_ffff_e000UL, platform.MaxUserAddress.Value);

        PtraceAddressSpace space = bed.NewAddressSpace();
        Assert.Same(PlatformErrors.AddressSpaceIOUnavailable, ((IAddressSpaceIO)space).CopyIn(new Addr(Data), new byte[8]).Error);
    }

    [SkippableFact]
    public void ANewStub_HoldsOnlyItsPage_AndOnlyTheMemoryFile_UnderASeccompFilter()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        string[] maps = File.ReadAllLines($"/proc/{space.StubPid}/maps");
        Assert.Equal(
            ["7fffffffe000-7ffffffff000 r-xp", "ffffffffff600000-ffffffffff601000 --xp"],
            maps.Select(line => line[..(line.IndexOf(' ', StringComparison.Ordinal) + 5)]).ToArray());
        // The seccomp filter (mode 2) that stops a thread running untraced from making system calls.
        Assert.Contains("Seccomp:\t2", File.ReadAllLines($"/proc/{space.StubPid}/status"));
        string[] fds = Directory.GetFileSystemEntries($"/proc/{space.StubPid}/fd");
        string target = Assert.Single(fds);
        Assert.StartsWith("/memfd:warden-memory", new FileInfo(target).LinkTarget, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void SeveralAddressSpaces_AliveAtOnce_AreSeparate()
    {
        using var bed = PtraceTestBed.Create();
        const int count = 4;
        var spaces = new PtraceAddressSpace[count];
        var arches = new ArchContext[count];
        PtraceContext context = bed.NewContext();
        var a = new Assembler(64);
        Label top = a.CreateLabel();
        // Report [Data] and increment it, for ever; touch 0x3000_0000 when rbx says so.
        a.Label(ref top);
        a.mov(rdi, __qword_ptr[Data]);
        a.inc(__qword_ptr[Data]);
        a.test(rbx, rbx);
        Label skip = a.CreateLabel();
        a.jz(skip);
        a.mov(rax, __qword_ptr[0x3000_0000]);
        a.Label(ref skip);
        a.mov(eax, 0x99);
        a.syscall();
        a.jmp(top);
        FileRange code = bed.Allocate();
        PtraceTestBed.Assemble(a, Code).Code.CopyTo(bed.Bytes(code));
        for (int i = 0; i < count; i++)
        {
            spaces[i] = bed.NewAddressSpace();
            Assert.Null(spaces[i].MapFile(new Addr(Code), bed.Memory, code, AccessType.ReadExecute, false));
            FileRange data = bed.MapData(spaces[i], Data, AccessType.ReadWrite);
            BinaryPrimitives.WriteUInt64LittleEndian(bed.Bytes(data), 1000UL * (ulong)i);
            arches[i] = new ArchContext();
            arches[i].Registers.Rip = Code;
        }
        Assert.Equal(count, spaces.Select(s => s.StubPid).Distinct().Count());
        bed.MapData(spaces[0], 0x3000_0000, AccessType.ReadOnly);

        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < count; i++)
            {
                Assert.Null(context.Switch(spaces[i], arches[i], -1, out _).Error);
                Assert.Equal((1000UL * (ulong)i) + (ulong)round, arches[i].Registers.Rdi);
            }
        }
        // Only the first maps 0x3000_0000.
        arches[0].Registers.Rbx = arches[1].Registers.Rbx = 1;
        Assert.Null(context.Switch(spaces[0], arches[0], -1, out _).Error);
        (AccessType at, Error? error) = context.Switch(spaces[1], arches[1], -1, out SignalInfo info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal((SignalInfo.SIGSEGV, 0x3000_0000UL, AccessType.ReadOnly), (info.Signo, info.Addr, at));
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheStubThread_RunsOnItsTracersCpu_AndTheTracerIsBoundOnlyIfAskedTo(bool pin)
    {
        using var bed = PtraceTestBed.Create(new PtracePlatformOptions { PinTracerThreads = pin });
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        a.mov(eax, 0x42);
        a.syscall();
        bed.MapCode(space, Code, a);
        string before = "", tracer = "", stub = "";
        Error? error = null;
        // On a thread of its own, whose affinity the test may change.
        var thread = new Thread(() =>
        {
            before = PtraceTestBed.AllowedCpus("/proc/thread-self");
            var arch = new ArchContext();
            arch.Registers.Rip = Code;
            error = bed.NewContext().Switch(space, arch, -1, out _).Error;
            tracer = PtraceTestBed.AllowedCpus("/proc/thread-self");
            stub = PtraceTestBed.AllowedCpus(Directory.GetDirectories($"/proc/{space.StubPid}/task")
                .Single(t => Path.GetFileName(t) != space.StubPid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        });
        thread.Start();
        thread.Join();
        Assert.Null(error);
        Assert.Matches("^[0-9]+$", stub);
        if (pin)
        {
            Assert.Equal(stub, tracer);
        }
        else
        {
            Assert.Equal(before, tracer);
        }
    }

    [SkippableFact]
    public void Release_KillsAndReapsTheStub_AndIsIdempotent()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        int pid = space.StubPid;
        Assert.True(PtraceTestBed.ProcessExists(pid));
        space.Release();
        Assert.False(PtraceTestBed.ProcessExists(pid));
        Assert.True(space.IsDead);
        space.Release();
        Assert.Throws<ObjectDisposedException>(() => space.Unmap(new Addr(Data), PtraceTestBed.Page));
        Assert.Throws<ObjectDisposedException>(() => bed.NewContext().Switch(space, new ArchContext(), -1, out _));
    }

    [SkippableFact]
    public void DisposingThePlatform_LeavesNoStubBehind()
    {
        int[] pids;
        var bed = PtraceTestBed.Create();
        try
        {
            PtraceAddressSpace[] spaces = [bed.NewAddressSpace(), bed.NewAddressSpace(), bed.NewAddressSpace()];
            spaces[1].Release();
            pids = spaces.Select(s => s.StubPid).ToArray();
            Assert.All(new[] { pids[0], pids[2] }, pid => Assert.True(PtraceTestBed.ProcessExists(pid)));
        }
        finally
        {
            bed.Dispose();
        }
        Assert.All(pids, pid => Assert.False(PtraceTestBed.ProcessExists(pid)));
        Assert.Throws<ObjectDisposedException>(() => bed.Platform.NewAddressSpace(null));
    }
}
