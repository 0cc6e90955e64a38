using System.Globalization;
using System.Runtime.InteropServices;
using Warden.Platform;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Platform;

/// <summary>The platform's copies of Linux layouts and constants, checked against the system headers and the CPU.</summary>
public class LinuxLayoutTests
{
    private static readonly (string C, string CSharp)[] s_registers =
    [
        ("r15", "R15"), ("r14", "R14"), ("r13", "R13"), ("r12", "R12"), ("rbp", "Rbp"), ("rbx", "Rbx"),
        ("r11", "R11"), ("r10", "R10"), ("r9", "R9"), ("r8", "R8"), ("rax", "Rax"), ("rcx", "Rcx"),
        ("rdx", "Rdx"), ("rsi", "Rsi"), ("rdi", "Rdi"), ("orig_rax", "OrigRax"), ("rip", "Rip"), ("cs", "Cs"),
        ("eflags", "Eflags"), ("rsp", "Rsp"), ("ss", "Ss"), ("fs_base", "FsBase"), ("gs_base", "GsBase"),
        ("ds", "Ds"), ("es", "Es"), ("fs", "Fs"), ("gs", "Gs"),
    ];

    // siginfo_t members glibc names, with the SignalInfo field that mirrors each.
    private static readonly (string C, string CSharp)[] s_siginfoFields =
    [
        ("si_signo", "Signo"), ("si_errno", "Errno"), ("si_code", "Code"),
        ("si_pid", "Pid"), ("si_uid", "Uid"), ("si_status", "Status"), ("si_utime", "UTime"), ("si_stime", "STime"),
        ("si_timerid", "TimerId"), ("si_overrun", "Overrun"), ("si_value", "Value"),
        ("si_addr", "Addr"), ("si_addr_lsb", "AddrLsb"), ("si_lower", "Lower"), ("si_upper", "Upper"), ("si_pkey", "Pkey"),
        ("si_band", "Band"), ("si_fd", "Fd"),
        ("si_call_addr", "CallAddr"), ("si_syscall", "Syscall"), ("si_arch", "Arch"),
    ];

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    [SkippableFact]
    public void PtraceRegs_MatchesUserRegsStruct()
    {
        string body = "printf(\"sizeof\\t%zu\\n\", sizeof(struct user_regs_struct));\n" + string.Concat(s_registers.Select(r =>
            $"printf(\"{r.C}\\t%zu\\t%zu\\n\", offsetof(struct user_regs_struct, {r.C}), sizeof(((struct user_regs_struct*)0)->{r.C}));\n"));
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(["stddef.h", "stdio.h", "sys/user.h"], body));

        Assert.Equal(header["sizeof"], Text(Marshal.SizeOf<PtraceRegs>()));
        Assert.Equal(header["sizeof"], Text(PtraceRegs.Size));
        foreach ((string c, string cSharp) in s_registers)
        {
            Assert.Equal(header[c], $"{Text(Marshal.OffsetOf<PtraceRegs>(cSharp))}\t{Text(FieldSize<PtraceRegs>(cSharp))}");
        }
    }

    [SkippableFact]
    public void SignalInfo_MatchesSiginfoT()
    {
        string body = "printf(\"sizeof\\t%zu\\n\", sizeof(siginfo_t));\n" + string.Concat(s_siginfoFields.Select(f =>
            $"printf(\"{f.C}\\t%zu\\t%zu\\n\", offsetof(siginfo_t, {f.C}), sizeof(((siginfo_t*)0)->{f.C}));\n"));
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(["stddef.h", "stdio.h", "signal.h"], body));

        Assert.Equal(header["sizeof"], Text(Marshal.SizeOf<SignalInfo>()));
        Assert.Equal(header["sizeof"], Text(SignalInfo.Size));
        foreach ((string c, string cSharp) in s_siginfoFields)
        {
            Assert.True(
                header[c] == $"{Text(Marshal.OffsetOf<SignalInfo>(cSharp))}\t{Text(FieldSize<SignalInfo>(cSharp))}",
                $"{c}: header says (offset, size) = ({header[c].Replace('\t', ',')}), {nameof(SignalInfo)}.{cSharp} is at {Marshal.OffsetOf<SignalInfo>(cSharp)} with {FieldSize<SignalInfo>(cSharp)} bytes");
        }
    }

    [SkippableFact]
    public void SignalConstants_MatchSignalH()
    {
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["signal.h", "stdio.h"],
            """
            printf("SIGILL\t%d\n", SIGILL);
            printf("SIGTRAP\t%d\n", SIGTRAP);
            printf("SIGBUS\t%d\n", SIGBUS);
            printf("SIGFPE\t%d\n", SIGFPE);
            printf("SIGSEGV\t%d\n", SIGSEGV);
            printf("SIGCHLD\t%d\n", SIGCHLD);
            printf("SIGSYS\t%d\n", SIGSYS);
            printf("SEGV_MAPERR\t%d\n", SEGV_MAPERR);
            printf("SEGV_ACCERR\t%d\n", SEGV_ACCERR);
            """));

        Assert.Equal(header["SIGILL"], Text(SignalInfo.SIGILL));
        Assert.Equal(header["SIGTRAP"], Text(SignalInfo.SIGTRAP));
        Assert.Equal(header["SIGBUS"], Text(SignalInfo.SIGBUS));
        Assert.Equal(header["SIGFPE"], Text(SignalInfo.SIGFPE));
        Assert.Equal(header["SIGSEGV"], Text(SignalInfo.SIGSEGV));
        Assert.Equal(header["SIGCHLD"], Text(SignalInfo.SIGCHLD));
        Assert.Equal(header["SIGCHLD"], Text(IPlatformContext.SignalInterrupt));
        Assert.Equal(header["SEGV_MAPERR"], Text(SignalInfo.SEGV_MAPERR));
        Assert.Equal(header["SEGV_ACCERR"], Text(SignalInfo.SEGV_ACCERR));
        Assert.Equal(header["SIGSYS"], Text(SignalInfo.SIGSYS));

        // glibc's <signal.h> does not name SIGSYS's codes here; the kernel's header does (and cannot
        // be included beside glibc's).
        IReadOnlyDictionary<string, string> kernel = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["stdio.h", "asm/siginfo.h"],
            """
            printf("SYS_SECCOMP\t%d\n", SYS_SECCOMP);
            """));
        Assert.Equal(kernel["SYS_SECCOMP"], Text(SignalInfo.SYS_SECCOMP));
    }

    [SkippableFact]
    public void FPStateHostSize_MatchesCpuidLeaf0xD()
    {
        Skip.IfNot(RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64, "CPUID is an x86 instruction.");
        IReadOnlyDictionary<string, string> cpu = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["cpuid.h", "stdio.h"],
            """
            unsigned int a = 0, b = 0, c = 0, d = 0;
            int xsave = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 26)) && (c & (1u << 27));
            printf("xsave\t%d\n", xsave);
            if (__get_cpuid_count(0xD, 0, &a, &b, &c, &d)) {
                printf("enabled\t%u\n", b);
                printf("supported\t%u\n", c);
            } else {
                printf("enabled\t0\n");
                printf("supported\t0\n");
            }
            """));

        if (cpu["xsave"] == "1")
        {
            Assert.Equal(cpu["enabled"], Text(FPState.HostSize));
            Assert.True(FPState.HostSize <= int.Parse(cpu["supported"], CultureInfo.InvariantCulture));
        }
        else
        {
            Assert.Equal(FPState.MinimumSize, FPState.HostSize);
        }
        Assert.Equal(FPState.HostSize, new FPState().Size);
    }

    [SkippableFact]
    public void FPStateOffsets_MatchUserFpregsStruct()
    {
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["stddef.h", "stdio.h", "sys/user.h"],
            """
            printf("sizeof\t%zu\n", sizeof(struct user_fpregs_struct));
            printf("cwd\t%zu\n", offsetof(struct user_fpregs_struct, cwd));
            printf("mxcsr\t%zu\n", offsetof(struct user_fpregs_struct, mxcsr));
            """));

        Assert.Equal(header["sizeof"], Text(FPState.LegacyRegionSize));
        Assert.Equal(header["cwd"], Text(FPState.FcwOffset));
        Assert.Equal(header["mxcsr"], Text(FPState.MxcsrOffset));
    }

    private static int FieldSize<T>(string name) =>
        Marshal.SizeOf(typeof(T).GetField(name)?.FieldType ?? throw new ArgumentException($"{typeof(T).Name} has no field {name}."));
}
