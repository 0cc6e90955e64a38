using System.Buffers.Binary;
using Iced.Intel;
using Warden.Errors;
using Warden.HostArch;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// The stub program, generated here rather than shipped: a static x86-64 ELF executable that turns
/// the process running it into an empty address space holding only the stub page, and stops for
/// its tracer.
/// </summary>
/// <remarks>
/// <para>What the program does, in order (any failure ends it with a <see cref="StubExitCode"/>):</para>
/// <list type="number">
/// <item>Unblocks every signal (the spawning thread's mask is inherited, and the interrupt signal
/// must get through); asks for <c>SIGKILL</c> when its parent thread (the tracer) dies; closes every
/// inherited file descriptor.</item>
/// <item>Maps the stub page (<see cref="StubLayout"/>) at the top of the user range, copies the stub
/// routines into it with the seccomp filter's <c>sock_fprog</c>, makes it read-and-execute, and
/// jumps there.</item>
/// <item>From there, unmaps everything below the stub (the loaded executable, its stack, the vDSO);
/// installs a seccomp filter that kills any thread making a system call from outside the stub page
/// and the vsyscall page, and traps those from the vsyscall page (see below); calls
/// <c>ptrace(PTRACE_TRACEME)</c> and stops itself with <c>SIGSTOP</c>. From then on it runs only
/// what its tracer points it at.</item>
/// </list>
/// <para>
/// The seccomp filter is a safety net, not the mechanism: application system calls stop in
/// <c>PTRACE_SYSEMU</c> before seccomp is consulted, and the stub's own calls come from the stub
/// page. It matters only if an application thread ever runs untraced (its tracer thread exited):
/// its first system call then kills that thread instead of reaching the host kernel.
/// </para>
/// <para>
/// One case is part of the mechanism instead: a call into the host's legacy vsyscall page
/// (<see cref="VsyscallPage"/>; <c>call 0xffffffffff600000</c> and friends, which old static
/// binaries still make). The host never really runs that page's code (with <c>vsyscall=xonly</c>,
/// the default, or <c>emulate</c>; with <c>vsyscall=none</c> there is no page and the call is a
/// plain <c>SIGSEGV</c>): the instruction fetch faults and the host kernel emulates the call
/// itself, consulting seccomp with the instruction pointer in that page and without any
/// <c>PTRACE_SYSEMU</c> stop. Such a call gets <c>SECCOMP_RET_TRAP</c>: the kernel skips it,
/// emulates the <c>ret</c> (the thread is at the caller's return address, its stack pointer 8
/// higher), and sends the thread <c>SIGSYS</c> (<c>SYS_SECCOMP</c>, <c>si_call_addr</c> the entry
/// called, <c>si_syscall</c> its number), which the tracer sees as a signal-delivery stop and never
/// delivers (see <see cref="PtraceContext.Switch"/>). Killing instead would end the traced thread,
/// and with it the stub, which the tracer then kills. Untraced, the <c>SIGSYS</c>'s default action
/// kills the whole stub, so the net still holds.
/// </para>
/// <para>The routines the tracer uses, all in the stub page:</para>
/// <list type="bullet">
/// <item><see cref="SyscallTrap"/>: with the number and arguments in the registers, one system
/// call.</item>
/// <item><see cref="Batch"/>: calls <c>munmap</c> for each of the <c>r15</c> (address, length)
/// entries of the table at <c>r14</c>, in order, up to the first that fails (returns -4095..-1);
/// <c>r15</c> is then the number of entries not completed (0 on success). The system call is fixed
/// in the code, so the table can say only what to unmap.</item>
/// <item><see cref="Spawn"/>: <c>clone</c> with the flags in <c>rdi</c> (the other arguments 0); the
/// result is the new thread's id, and the new thread goes to <see cref="Park"/>.</item>
/// <item>Each ends with its (last) result in <c>rbx</c> and a <c>tgkill(r12, r13, SIGCHLD)</c> (the
/// tracer puts the stub's pid and the thread's id there), which stops the thread for its tracer at
/// <see cref="RoutineEnd"/>. A signal whose default is to be ignored, rather than an <c>int3</c>'s
/// <c>SIGTRAP</c>: if the tracer thread exits while the thread is stopped there, the thread is
/// detached, and should the kernel deliver the stop's signal then (6.18 discards it), that must not
/// kill the stub; it then runs on into
/// <see cref="Park"/>.</item>
/// <item><see cref="Park"/>: waits on a futex that nobody wakes, for ever. A thread not running
/// application code is left pointing here, so that if it ever runs untraced it does nothing.</item>
/// </list>
/// </remarks>
internal sealed class StubImage
{
    /// <summary>Where the executable's one segment is loaded: a conventional low address, clear of the stub page.</summary>
    public const ulong LoadAddress = 0x40_0000;

    /// <summary>
    /// The legacy vsyscall page's fixed address (Linux's <c>VSYSCALL_ADDR</c>): its entries are
    /// <c>gettimeofday</c> at +0x000, <c>time</c> at +0x400 and <c>getcpu</c> at +0x800.
    /// </summary>
    public const ulong VsyscallPage = 0xffff_ffff_ff60_0000;

    private const int ElfHeaderSize = 64;
    private const int ProgramHeaderSize = 56;
    private const int ProgramHeaderCount = 2;
    private const int CodeOffset = ElfHeaderSize + ProgramHeaderSize * ProgramHeaderCount;

    // Linux x86-64 system call numbers used by the stub.
    private const int SysClose = 3;
    private const int SysMmap = 9;
    private const int SysMprotect = 10;
    private const int SysMunmap = 11;
    private const int SysRtSigprocmask = 14;
    private const int SysGetpid = 39;
    private const int SysKill = 62;
    private const int SysPtrace = 101;
    private const int SysClone = 56;
    private const int SysPrctl = 157;
    private const int SysFutex = 202;
    private const int SysTgkill = 234;
    private const int SigChld = 17;
    private const int SysExitGroup = 231;
    private const int SysSeccomp = 317;
    private const int SysCloseRange = 436;

    private const int SigSetmask = 2;
    private const int PrSetPdeathsig = 1;
    private const int PrSetNoNewPrivs = 38;
    private const int SeccompSetModeFilter = 1;
    private const int FutexWaitPrivate = 128;
    private const int SigKill = 9;
    private const int SigStop = 19;
    private const int ProtReadWrite = LinuxMman.PROT_READ | LinuxMman.PROT_WRITE;
    private const int ProtReadExec = LinuxMman.PROT_READ | LinuxMman.PROT_EXEC;
    private const int MapPrivateAnonymousFixed = LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS | LinuxMman.MAP_FIXED;

    // With no close_range (Linux before 5.9), descriptors below this are closed one by one.
    private const int FallbackCloseLimit = 1024;

    // Classic BPF, for the seccomp filter.
    private const ushort BpfLdWAbs = 0x20;
    private const ushort BpfJeqK = 0x15;
    private const ushort BpfJgeK = 0x35;
    private const ushort BpfRetK = 0x06;
    private const uint SeccompRetKillThread = 0;
    private const uint SeccompRetTrap = 0x0003_0000;
    private const uint SeccompRetAllow = 0x7fff_0000;

    // The offsets of instruction_pointer's two halves in struct seccomp_data (int nr; u32 arch; u64 instruction_pointer; ...).
    private const uint IpLowOffset = 8;
    private const uint IpHighOffset = 12;

    private StubImage(byte[] elf, ulong syscallTrap, ulong batch, ulong spawn, ulong routineEnd, ulong park)
    {
        Elf = elf;
        SyscallTrap = syscallTrap;
        Batch = batch;
        Spawn = spawn;
        RoutineEnd = routineEnd;
        Park = park;
    }

    /// <summary>The stub program, built once per process.</summary>
    public static StubImage Instance { get; } = Build();

    /// <summary>The bytes of the ELF executable.</summary>
    public byte[] Elf { get; }

    /// <summary>The address of the single-call routine.</summary>
    public ulong SyscallTrap { get; }

    /// <summary>The address of the batch routine.</summary>
    public ulong Batch { get; }

    /// <summary>The address of the thread-creating routine.</summary>
    public ulong Spawn { get; }

    /// <summary>
    /// Where a thread's instruction pointer is when any routine stops (after its <c>tgkill</c>); the
    /// code there jumps to <see cref="Park"/>.
    /// </summary>
    public ulong RoutineEnd { get; }

    /// <summary>The address of the parking loop.</summary>
    public ulong Park { get; }

    private static StubImage Build()
    {
        Body body = AssembleBody();
        byte[] elf = WriteElf(AssembleLoader(body));
        return new StubImage(elf, body.SyscallTrap, body.Batch, body.Spawn, body.RoutineEnd, body.Park);
    }

    private readonly record struct Body(
        byte[] Code, ulong SyscallTrap, ulong Batch, ulong Spawn, ulong RoutineEnd, ulong Park, ulong Filter, int FilterLength);

    // The part that runs from the stub page: start-up's second half, the routines, and the
    // seccomp filter's instructions.
    private static Body AssembleBody()
    {
        var a = new Assembler(64);
        Label fail = a.CreateLabel();
        Label park = a.CreateLabel();
        Label syscallTrap = a.CreateLabel();
        Label batch = a.CreateLabel();
        Label spawn = a.CreateLabel();
        Label routineDone = a.CreateLabel();
        Label routineEnd = a.CreateLabel();
        Label parkLoop = a.CreateLabel();
        Label filter = a.CreateLabel();
        byte[] filterCode = SeccompFilter();

        // munmap(0, StubPage): everything the kernel and the loader left below the stub.
        a.mov(ebx, (int)StubExitCode.ClearAddressSpace);
        a.mov(eax, SysMunmap);
        a.xor(edi, edi);
        a.mov(rsi, StubLayout.StubPage);
        SyscallOrFail(a, fail);

        // prctl(PR_SET_NO_NEW_PRIVS, 1): needed to install a filter without CAP_SYS_ADMIN.
        a.mov(ebx, (int)StubExitCode.NoNewPrivs);
        a.mov(eax, SysPrctl);
        a.mov(edi, PrSetNoNewPrivs);
        a.mov(esi, 1);
        a.xor(edx, edx);
        a.xor(r10d, r10d);
        a.xor(r8d, r8d);
        SyscallOrFail(a, fail);

        // seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog): the loader wrote the struct sock_fprog.
        a.mov(ebx, (int)StubExitCode.Seccomp);
        a.mov(rdx, StubLayout.FilterProgramAddress);
        a.mov(eax, SysSeccomp);
        a.mov(edi, SeccompSetModeFilter);
        a.xor(esi, esi);
        SyscallOrFail(a, fail);

        // ptrace(PTRACE_TRACEME, 0, 0, 0): the parent thread becomes the tracer.
        a.mov(ebx, (int)StubExitCode.TraceMe);
        a.mov(eax, SysPtrace);
        a.xor(edi, edi);
        a.xor(esi, esi);
        a.xor(edx, edx);
        a.xor(r10d, r10d);
        SyscallOrFail(a, fail);

        // kill(getpid(), SIGSTOP): the tracer sees the stop and takes over.
        a.mov(ebx, (int)StubExitCode.StopSelf);
        a.mov(eax, SysGetpid);
        a.syscall();
        a.mov(edi, eax);
        a.mov(esi, SigStop);
        a.mov(eax, SysKill);
        SyscallOrFail(a, fail);

        // Nothing should resume the stub here; if something does, it traps rather than runs on.
        a.Label(ref park);
        a.int3();
        a.jmp(park);

        a.Label(ref fail);
        a.mov(edi, ebx);
        a.mov(eax, SysExitGroup);
        a.syscall();
        a.int3();

        // Each routine ends by keeping its result in rbx, sending its own thread SIGCHLD (which
        // stops it for the tracer) and, should it ever be resumed untraced, parking.
        a.Label(ref syscallTrap);
        a.syscall();
        a.jmp(routineDone);

        a.Label(ref batch);
        a.mov(eax, SysMunmap);
        a.mov(rdi, __qword_ptr[r14]);
        a.mov(rsi, __qword_ptr[r14 + 8]);
        a.syscall();
        // Results from -4095 to -1 are errors: stop at the first.
        a.cmp(rax, -4095);
        a.jae(routineDone);
        a.add(r14, StubLayout.EntrySize);
        a.dec(r15);
        a.jnz(batch);
        a.jmp(routineDone);

        // clone(rdi, 0, 0, 0, 0): the tracer sets rdi and clears the rest; the child parks.
        a.Label(ref spawn);
        a.mov(eax, SysClone);
        a.syscall();
        a.test(rax, rax);
        a.jz(parkLoop);

        // tgkill(r12, r13, SIGCHLD): the tracer sets r12 and r13 to the stub's pid and this thread's id.
        a.Label(ref routineDone);
        a.mov(rbx, rax);
        a.mov(eax, SysTgkill);
        a.mov(rdi, r12);
        a.mov(rsi, r13);
        a.mov(edx, SigChld);
        a.syscall();
        a.Label(ref routineEnd);
        a.jmp(parkLoop);

        // futex(ParkWord, FUTEX_WAIT_PRIVATE, 0, NULL): sleeps until a signal or a tracer stops it.
        a.Label(ref parkLoop);
        a.mov(eax, SysFutex);
        a.mov(rdi, StubLayout.ParkWordAddress);
        a.mov(esi, FutexWaitPrivate);
        a.xor(edx, edx);
        a.xor(r10d, r10d);
        a.syscall();
        a.jmp(parkLoop);

        a.Label(ref filter);
        a.db(filterCode);

        var stream = new MemoryStream();
        AssemblerResult result = a.Assemble(new StreamCodeWriter(stream), StubLayout.StubPage, BlockEncoderOptions.ReturnNewInstructionOffsets);
        byte[] code = stream.ToArray();
        if (code.Length > StubLayout.CodeCapacity)
        {
            ThrowHelper.ThrowInvalidOperation("The stub's code does not fit in its half page.");
        }
        return new Body(code, result.GetLabelRIP(syscallTrap), result.GetLabelRIP(batch), result.GetLabelRIP(spawn),
            result.GetLabelRIP(routineEnd), result.GetLabelRIP(parkLoop), result.GetLabelRIP(filter), filterCode.Length / 8);
    }

    // The seccomp filter: allow a system call made from the stub page; trap (SIGSYS) one whose
    // instruction pointer is in the vsyscall page, which is the host kernel emulating a call there;
    // kill the thread otherwise. Each page is tested as "high half equal, low half in [start,
    // start + page)", which is exact because neither page's low half wraps. Internal for the
    // tests, which evaluate it.
    // A system call whose non-zero result sends the code to `fail` (with the exit code already in ebx).
    private static void SyscallOrFail(Assembler a, Label fail)
    {
        a.syscall();
        a.test(rax, rax);
        a.jnz(fail);
    }

    internal static byte[] SeccompFilter()
    {
        const uint stubHigh = (uint)(StubLayout.StubPage >> 32);
        const uint stubLow = unchecked((uint)StubLayout.StubPage);
        const uint vsyscallHigh = (uint)(VsyscallPage >> 32);
        const uint vsyscallLow = unchecked((uint)VsyscallPage);
        (ushort Code, byte Jt, byte Jf, uint K)[] program =
        [
            (BpfLdWAbs, 0, 0, IpHighOffset), //                0: A = ip >> 32
            (BpfJeqK, 0, 4, stubHigh), //                      1: A == stub's high ? 2 : 6
            (BpfLdWAbs, 0, 0, IpLowOffset), //                 2: A = (u32)ip
            (BpfJgeK, 0, 7, stubLow), //                       3: A >= stub ? 4 : 11
            (BpfJgeK, 6, 0, stubLow + Arch.PageSize), //       4: A >= stub + page ? 11 : 5
            (BpfRetK, 0, 0, SeccompRetAllow), //               5
            (BpfJeqK, 0, 4, vsyscallHigh), //                  6: A == vsyscall's high ? 7 : 11
            (BpfLdWAbs, 0, 0, IpLowOffset), //                 7: A = (u32)ip
            (BpfJgeK, 0, 2, vsyscallLow), //                   8: A >= vsyscall ? 9 : 11
            (BpfJgeK, 1, 0, vsyscallLow + Arch.PageSize), //   9: A >= vsyscall + page ? 11 : 10
            (BpfRetK, 0, 0, SeccompRetTrap), //               10
            (BpfRetK, 0, 0, SeccompRetKillThread), //         11
        ];
        byte[] bytes = new byte[program.Length * 8];
        for (int i = 0; i < program.Length; i++)
        {
            Span<byte> insn = bytes.AsSpan(i * 8, 8);
            BinaryPrimitives.WriteUInt16LittleEndian(insn, program[i].Code);
            insn[2] = program[i].Jt;
            insn[3] = program[i].Jf;
            BinaryPrimitives.WriteUInt32LittleEndian(insn[4..], program[i].K);
        }
        return bytes;
    }

    // The part that runs where the kernel loaded the executable: start-up's first half.
    private static byte[] AssembleLoader(Body body)
    {
        var a = new Assembler(64);
        Label fail = a.CreateLabel();
        Label bodyBytes = a.CreateLabel();
        Label closeLoop = a.CreateLabel();
        Label closed = a.CreateLabel();

        // rt_sigprocmask(SIG_SETMASK, &empty, NULL, 8), with the empty set on the initial stack.
        a.mov(ebx, (int)StubExitCode.UnblockSignals);
        a.push(0);
        a.mov(eax, SysRtSigprocmask);
        a.mov(edi, SigSetmask);
        a.mov(rsi, rsp);
        a.xor(edx, edx);
        a.mov(r10d, 8);
        SyscallOrFail(a, fail);

        // prctl(PR_SET_PDEATHSIG, SIGKILL): die with the thread that spawned it (the operations thread).
        a.mov(ebx, (int)StubExitCode.ParentDeathSignal);
        a.mov(eax, SysPrctl);
        a.mov(edi, PrSetPdeathsig);
        a.mov(esi, SigKill);
        SyscallOrFail(a, fail);

        // close_range(0, ~0U, 0); without it, close each of the first descriptors.
        a.mov(eax, SysCloseRange);
        a.xor(edi, edi);
        a.mov(esi, -1);
        a.xor(edx, edx);
        a.syscall();
        a.test(rax, rax);
        a.jz(closed);
        a.xor(r12d, r12d);
        a.Label(ref closeLoop);
        a.mov(eax, SysClose);
        a.mov(edi, r12d);
        a.syscall();
        a.inc(r12d);
        a.cmp(r12d, FallbackCloseLimit);
        a.jb(closeLoop);
        a.Label(ref closed);

        // mmap(StubPage, 1 page, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0).
        a.mov(ebx, (int)StubExitCode.MapStub);
        a.mov(eax, SysMmap);
        a.mov(rdi, StubLayout.StubPage);
        a.mov(esi, Arch.PageSize);
        a.mov(edx, ProtReadWrite);
        a.mov(r10d, MapPrivateAnonymousFixed);
        a.mov(r8, -1);
        a.xor(r9d, r9d);
        a.syscall();
        a.cmp(rax, rdi);
        a.jne(fail);

        // Copy the body into the stub page (rdi still holds its address), and write the filter's
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }.
        a.lea(rsi, __[bodyBytes]);
        a.mov(ecx, body.Code.Length);
        a.rep.movsb();
        a.mov(rdi, StubLayout.FilterProgramAddress);
        a.mov(__word_ptr[rdi], body.FilterLength);
        a.mov(rax, body.Filter);
        a.mov(__qword_ptr[rdi + 8], rax);

        // mprotect(StubPage, 1 page, PROT_READ|PROT_EXEC).
        a.mov(ebx, (int)StubExitCode.ProtectStub);
        a.mov(eax, SysMprotect);
        a.mov(rdi, StubLayout.StubPage);
        a.mov(esi, Arch.PageSize);
        a.mov(edx, ProtReadExec);
        SyscallOrFail(a, fail);

        a.mov(rax, StubLayout.StubPage);
        a.jmp(rax);

        a.Label(ref fail);
        a.mov(edi, ebx);
        a.mov(eax, SysExitGroup);
        a.syscall();
        a.int3();

        a.Label(ref bodyBytes);
        a.db(body.Code);

        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), LoadAddress + CodeOffset);
        return stream.ToArray();
    }

    // A minimal ELF64 executable: the header, a PT_LOAD for the whole file and a PT_GNU_STACK
    // asking for a non-executable stack, then the code.
    private static byte[] WriteElf(byte[] code)
    {
        const uint ptLoad = 1;
        const uint ptGnuStack = 0x6474_e551;
        const uint pfExecute = 1;
        const uint pfWrite = 2;
        const uint pfRead = 4;

        byte[] elf = new byte[CodeOffset + code.Length];
        Span<byte> h = elf;
        // e_ident: magic, 64-bit, little-endian, version 1, System V ABI.
        h[0] = 0x7f;
        h[1] = (byte)'E';
        h[2] = (byte)'L';
        h[3] = (byte)'F';
        h[4] = 2;
        h[5] = 1;
        h[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], 2); // e_type: ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], 0x3e); // e_machine: EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1); // e_version
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], LoadAddress + CodeOffset); // e_entry
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], ElfHeaderSize); // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], ElfHeaderSize); // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], ProgramHeaderSize); // e_phentsize
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], ProgramHeaderCount); // e_phnum

        Span<byte> load = h.Slice(ElfHeaderSize, ProgramHeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(load, ptLoad);
        BinaryPrimitives.WriteUInt32LittleEndian(load[4..], pfRead | pfExecute);
        BinaryPrimitives.WriteUInt64LittleEndian(load[16..], LoadAddress); // p_vaddr (p_offset is 0)
        BinaryPrimitives.WriteUInt64LittleEndian(load[24..], LoadAddress); // p_paddr
        BinaryPrimitives.WriteUInt64LittleEndian(load[32..], (ulong)elf.Length); // p_filesz
        BinaryPrimitives.WriteUInt64LittleEndian(load[40..], (ulong)elf.Length); // p_memsz
        BinaryPrimitives.WriteUInt64LittleEndian(load[48..], Arch.PageSize); // p_align

        Span<byte> stack = h.Slice(ElfHeaderSize + ProgramHeaderSize, ProgramHeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(stack, ptGnuStack);
        BinaryPrimitives.WriteUInt32LittleEndian(stack[4..], pfRead | pfWrite);

        code.CopyTo(h[CodeOffset..]);
        return elf;
    }
}
