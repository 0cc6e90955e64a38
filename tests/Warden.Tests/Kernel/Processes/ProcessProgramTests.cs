using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Processes;

/// <summary>
/// Static C programs (in <c>native/</c>, built with <c>gcc -static</c>) that fork and catch
/// signals print, under Warden, exactly what they print natively, and end with the same status.
/// Each program prints only what any correct Linux kernel makes the same (no addresses, no
/// times), and the test asserts a few lines of the native run too, so that a program that went
/// wrong natively is not taken as the oracle.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class ProcessProgramTests : IDisposable
{
    private static readonly NativeTestProgram s_signals = new("sigsegv_recover.c", "the signal test program");
    private static readonly NativeTestProgram s_fork100 = new("fork100.c", "the fork test program");
    private static readonly NativeTestProgram s_terminal = new("terminal_pgrp.c", "the terminal test program");
    private static readonly NativeTestProgram s_orphaned = new("orphaned_pgrp.c", "the orphaned process group program");
    private static readonly NativeTestProgram s_backgroundTty = new("background_tty.c", "the background terminal program");

    private readonly string _dir = Directory.CreateTempSubdirectory("warden-process-programs-").FullName;

    public ProcessProgramTests() => KernelRunner.RequirePtrace();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private RunResult Same(string program)
    {
        var spec = new RunSpec(program, [program]) { WorkingDirectory = _dir };
        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        RunResult.AssertSame(native, warden);
        return native;
    }

    // As Same, with a new pty on stdin that is the controlling terminal of the program's session
    // (natively made so by setsid -c; under Warden it is the first process's).
    private RunResult SameOnTerminal(string program)
    {
        Prerequisite.Require(File.Exists("/usr/bin/setsid"), "setsid (util-linux)");
        using var pty = HostPty.Open();
        var spec = new RunSpec(program, [program]) { WorkingDirectory = _dir, StdinFile = pty.SlavePath };
        RunResult native = NativeRunner.Run(spec with { Program = "/usr/bin/setsid", Argv = ["setsid", "-c", program] });
        RunResult warden = KernelRunner.Run(spec);
        RunResult.AssertSame(native, warden);
        return native;
    }

    /// <summary>
    /// SIGSEGV (SEGV_ACCERR, SEGV_MAPERR) and SIGBUS (BUS_ADRERR) recovered with siglongjmp, with
    /// si_addr the faulting address; a pipe read interrupted with and without SA_RESTART;
    /// SA_ONSTACK, SA_RESETHAND, SA_NODEFER; sigpending of a blocked signal; a child killed by
    /// SIGUSR1 as waitpid reports it; SSE, AVX and x87 state kept across a handler.
    /// </summary>
    [SkippableFact]
    public void SignalsAndFaultRecovery()
    {
        RunResult native = Same(s_signals.Path);
        Assert.Equal(0, native.ShellStatus);
        string output = native.StdoutText;
        Assert.Contains("write of a PROT_NONE page: signo=11 (Segmentation fault) code=2 (SEGV_ACCERR) si_addr is the address: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("read of an unmapped page: signo=11 (Segmentation fault) code=1 (SEGV_MAPERR) si_addr is the address: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("read past the end of a mapped file: signo=7 (Bus error) code=2 (BUS_ADRERR) si_addr is the address: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("read without SA_RESTART: -1 (EINTR), handler ran: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("read with SA_RESTART: 1 'x', handler ran: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("SA_ONSTACK: handler's local on the alternate stack: yes, SS_ONSTACK: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("child that raised SIGUSR1: WIFSIGNALED, WTERMSIG 10 (User defined signal 1), WCOREDUMP 0\n", output, StringComparison.Ordinal);
        Assert.Contains("xmm0-xmm15 preserved: yes, x87 st(0) preserved: yes\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain(": no fault", output, StringComparison.Ordinal);
        Assert.EndsWith("done\n", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// SIGTSTP stops a child in a group of its own (its parent's group, in the same session, links
    /// it) and does nothing in an orphaned group (a child's own session), where SIGTTIN and SIGTTOU
    /// do nothing either and SIGSTOP still stops; a group its leader's exit orphans while a member
    /// is stopped gets SIGHUP (and SIGCONT).
    /// </summary>
    [SkippableFact]
    public void JobControlStopsDoNothingInAnOrphanedGroup()
    {
        RunResult native = Same(s_orphaned.Path);
        Assert.Equal(0, native.ShellStatus);
        string output = native.StdoutText;
        Assert.Contains("own group: stopped by signal 20\n", output, StringComparison.Ordinal);
        Assert.Contains("new session: SIGTSTP did nothing\n", output, StringComparison.Ordinal);
        Assert.Contains("new session: stopped by signal 19\n", output, StringComparison.Ordinal);
        Assert.Contains("stopped member: SIGHUP once its group was orphaned\n", output, StringComparison.Ordinal);
        Assert.EndsWith("done\n", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A background group that reads the controlling terminal stops with SIGTTIN (EIO if it ignores
    /// it); one that changes its settings stops with SIGTTOU (goes ahead if it ignores it). Natively
    /// the terminal is made the controlling terminal by <c>setsid -c</c>.
    /// </summary>
    [SkippableFact]
    public void BackgroundGroupsStopOnTheTerminalAsOnLinux()
    {
        RunResult native = SameOnTerminal(s_backgroundTty.Path);
        Assert.Equal(0, native.ShellStatus);
        Assert.Contains("background read, SIGTTIN ignored: -1 (EIO)\n", native.StdoutText, StringComparison.Ordinal);
        Assert.Contains("background read: stopped by signal 21\n", native.StdoutText, StringComparison.Ordinal);
        Assert.Contains("background tcsetattr: stopped by signal 22\n", native.StdoutText, StringComparison.Ordinal);
        Assert.Contains("background tcsetattr, SIGTTOU ignored: 0\n", native.StdoutText, StringComparison.Ordinal);
        Assert.EndsWith("done\n", native.StdoutText, StringComparison.Ordinal);
    }

    /// <summary>
    /// tcgetpgrp and tcsetpgrp on a terminal that is the session's controlling terminal: the
    /// foreground group moved to a child's group and back; EINVAL, ESRCH and EPERM (a group of
    /// another session); ENOTTY in a new session. Natively the terminal is made the controlling
    /// terminal by <c>setsid -c</c>; under Warden it is the first process's.
    /// </summary>
    [SkippableFact]
    public void TerminalForegroundGroupAsOnLinux()
    {
        RunResult native = SameOnTerminal(s_terminal.Path);
        Assert.Equal(0, native.ShellStatus);
        Assert.Contains("tcsetpgrp(the child's group): 0 (0)\nforeground is the child's group: yes\nchild: foreground is my group: yes\n", native.StdoutText, StringComparison.Ordinal);
        Assert.Contains("new session: tcgetpgrp: -1 (ENOTTY)\n", native.StdoutText, StringComparison.Ordinal);
        Assert.Contains("tcsetpgrp(a group of another session): -1 (EPERM)\n", native.StdoutText, StringComparison.Ordinal);
        Assert.EndsWith("done\n", native.StdoutText, StringComparison.Ordinal);
    }

    /// <summary>100 children, alive at once, each with its copy of a private page and the one shared page.</summary>
    [SkippableFact]
    public void HundredForkedChildrenSeePrivateAndSharedMemoryAsOnLinux()
    {
        RunResult native = Same(s_fork100.Path);
        Assert.Equal(0, native.ShellStatus);
        Assert.Equal(
            "children with the expected status: 100 of 100; pids distinct: yes\n" +
            "one more waitpid: -1 (ECHILD)\n" +
            $"private page: {Environment.SystemPageSize} of {Environment.SystemPageSize} bytes unchanged, sum {PrivatePageSum(Environment.SystemPageSize)}\n" +
            "shared page: counter 100, marker 12345, slots marked 100\n",
            native.StdoutText);
    }

    // The sum of fork100.c's private page as the parent wrote it: 0x5a + i % 7 at offset i.
    private static long PrivatePageSum(int page)
    {
        long sum = 0;
        for (int i = 0; i < page; i++)
        {
            sum += 0x5a + i % 7;
        }
        return sum;
    }
}
