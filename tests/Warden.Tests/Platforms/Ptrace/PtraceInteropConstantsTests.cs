using System.Globalization;
using Warden.Interop;
using Warden.Platform;
using Warden.Platforms.Ptrace;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Platforms.Ptrace;

/// <summary>The constants of ptrace, wait, signals and futexes the ptrace platform uses, checked against the system headers.</summary>
public class PtraceInteropConstantsTests
{
    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    [SkippableFact]
    public void Constants_MatchTheHeaders()
    {
        (string Name, long Value)[] constants =
        [
            ("PTRACE_TRACEME", Libc.PTRACE_TRACEME), ("PTRACE_PEEKTEXT", Libc.PTRACE_PEEKTEXT), ("PTRACE_CONT", Libc.PTRACE_CONT),
            ("PTRACE_KILL", Libc.PTRACE_KILL), ("PTRACE_GETREGS", Libc.PTRACE_GETREGS), ("PTRACE_SETREGS", Libc.PTRACE_SETREGS),
            ("PTRACE_SYSCALL", Libc.PTRACE_SYSCALL), ("PTRACE_SYSEMU", Libc.PTRACE_SYSEMU), ("PTRACE_SETOPTIONS", Libc.PTRACE_SETOPTIONS),
            ("PTRACE_GETSIGINFO", Libc.PTRACE_GETSIGINFO), ("PTRACE_GETREGSET", Libc.PTRACE_GETREGSET),
            ("PTRACE_SETREGSET", Libc.PTRACE_SETREGSET), ("PTRACE_O_TRACESYSGOOD", Libc.PTRACE_O_TRACESYSGOOD),
            ("PTRACE_O_EXITKILL", Libc.PTRACE_O_EXITKILL), ("NT_PRSTATUS", Libc.NT_PRSTATUS), ("NT_X86_XSTATE", Libc.NT_X86_XSTATE),
            ("WNOHANG", Libc.WNOHANG), ("__WNOTHREAD", Libc.__WNOTHREAD), ("__WALL", Libc.__WALL),
            ("SIGKILL", Libc.SIGKILL), ("SIGSTOP", Libc.SIGSTOP), ("SIGCHLD", Libc.SIGCHLD),
            ("SYS_futex", Libc.SYS_futex), ("FUTEX_WAIT", Libc.FUTEX_WAIT), ("FUTEX_WAKE", Libc.FUTEX_WAKE),
            ("FUTEX_PRIVATE_FLAG", Libc.FUTEX_PRIVATE_FLAG),
            ("SYS_mmap", (long)SyscallEntry.SysMmap), ("SYS_munmap", (long)SyscallEntry.SysMunmap), ("SYS_openat", (long)SyscallEntry.SysOpenat),
            ("SIGCHLD_interrupt", IPlatformContext.SignalInterrupt),
            ("PTRACE_POKEUSER", Libc.PTRACE_POKEUSER), ("PTRACE_SEIZE", Libc.PTRACE_SEIZE), ("PTRACE_INTERRUPT", Libc.PTRACE_INTERRUPT),
            ("PTRACE_EVENT_STOP", Libc.PTRACE_EVENT_STOP), ("SI_USER", Libc.SI_USER), ("SI_TKILL", Libc.SI_TKILL),
            ("sizeof(cpu_set_t)", Libc.CpuSetSize), ("offsetof(struct user, regs.rip)", 16 * 8),
        ];
        string body = string.Concat(constants.Select(c =>
            $"printf(\"{c.Name}\\t%ld\\n\", (long)({(c.Name == "SIGCHLD_interrupt" ? "SIGCHLD" : c.Name)}));\n"));
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["stdio.h", "stddef.h", "signal.h", "sched.h", "elf.h", "sys/ptrace.h", "sys/user.h", "sys/wait.h", "sys/syscall.h", "linux/futex.h"], body));
        foreach ((string name, long value) in constants)
        {
            Assert.True(header[name] == Text(value), $"{name}: the header says {header[name]}, Warden {value}");
        }
    }

    [SkippableFact]
    public void WaitStatusDecoding_MatchesTheMacros()
    {
        // Exited with 3, killed by SIGKILL, stopped by SIGSTOP, a syscall stop, a ptrace event stop.
        int[] statuses = [0x0300, 0x0009, 0x137f, 0x857f, 0x3057f];
        string body = string.Concat(statuses.Select(s =>
            $"printf(\"{s}\\t%d %d %d %d %d %d\\n\", WIFEXITED({s}), WEXITSTATUS({s}), WIFSIGNALED({s}), WTERMSIG({s}), WIFSTOPPED({s}), WSTOPSIG({s}));\n"));
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(["stdio.h", "sys/wait.h"], body));
        foreach (int s in statuses)
        {
            string warden = string.Join(' ',
                Libc.WIFEXITED(s) ? 1 : 0, Libc.WEXITSTATUS(s), Libc.WIFSIGNALED(s) ? 1 : 0, Libc.WTERMSIG(s), Libc.WIFSTOPPED(s) ? 1 : 0, Libc.WSTOPSIG(s));
            Assert.Equal(header[Text(s)], warden);
        }
        Assert.Equal(3, Libc.PtraceEventOf(0x3057f));
    }
}
