using System.Globalization;
using Warden.Kernel.Signals;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Signals;

public class SignalTests
{
    [SkippableFact]
    public void NamesNumbersAndShellWordsMatchTheCLibrary()
    {
        // strsignal gives the words a shell prints for a job killed by the signal; SIGABBREV_NP the name.
        var lines = CHeaderProbe.Run(CHeaderProbe.Program(["stdio.h", "string.h", "signal.h"],
            """
            for (int s = 1; s < 32; s++) printf("%d\t%s\t%s\n", s, sigabbrev_np(s), strsignal(s));
            printf("SIGKILL\t%d\nSIGSEGV\t%d\nSIGPIPE\t%d\nSIGCHLD\t%d\nSIGSYS\t%d\n", SIGKILL, SIGSEGV, SIGPIPE, SIGCHLD, SIGSYS);
            """));
        foreach (string line in lines.Take(31))
        {
            string[] f = line.Split('\t');
            int signal = int.Parse(f[0], CultureInfo.InvariantCulture);
            // glibc abbreviates 29 as POLL; strace and the kernel's headers also call it SIGIO, as Warden does.
            Assert.Equal("SIG" + (f[1] == "POLL" ? "IO" : f[1]), Signal.Name(signal));
            Assert.Equal(f[2], Signal.Description(signal));
        }
        var numbers = lines.Skip(31).Select(l => l.Split('\t')).ToDictionary(f => f[0], f => int.Parse(f[1], CultureInfo.InvariantCulture));
        Assert.Equal(Signal.SIGKILL, numbers["SIGKILL"]);
        Assert.Equal(Signal.SIGSEGV, numbers["SIGSEGV"]);
        Assert.Equal(Signal.SIGPIPE, numbers["SIGPIPE"]);
        Assert.Equal(Signal.SIGCHLD, numbers["SIGCHLD"]);
        Assert.Equal(Signal.SIGSYS, numbers["SIGSYS"]);
    }

    [Fact]
    public void DefaultActionsAreLinuxs()
    {
        Assert.True(Signal.DefaultIgnores(Signal.SIGCHLD));
        Assert.True(Signal.DefaultIgnores(Signal.SIGWINCH));
        Assert.False(Signal.DefaultIgnores(Signal.SIGPIPE));
        Assert.True(Signal.DefaultStops(Signal.SIGTSTP));
        Assert.True(Signal.DefaultDumpsCore(Signal.SIGSEGV));
        Assert.False(Signal.DefaultDumpsCore(Signal.SIGTERM));
        Assert.Equal("SIGRT2", Signal.Name(34));
        Assert.False(Signal.IsValid(0));
        Assert.False(Signal.IsValid(65));
    }

    [SkippableFact]
    public void SigactionLayoutMatchesTheKernelStructure()
    {
        // The kernel's struct sigaction (asm/signal.h via the raw layout): handler, flags, restorer, mask.
        var values = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(["stdio.h", "signal.h"],
            """
            printf("SA_SIGINFO\t%d\nSA_RESTORER\t%d\nSA_ONSTACK\t%d\nSA_RESTART\t%d\nSA_NODEFER\t%d\nSA_RESETHAND\t%u\n",
                SA_SIGINFO, 0x04000000, SA_ONSTACK, SA_RESTART, SA_NODEFER, (unsigned)SA_RESETHAND);
            """));
        Assert.Equal(SignalAction.SA_SIGINFO.ToString(CultureInfo.InvariantCulture), values["SA_SIGINFO"]);
        Assert.Equal(SignalAction.SA_ONSTACK.ToString(CultureInfo.InvariantCulture), values["SA_ONSTACK"]);
        Assert.Equal(SignalAction.SA_RESTART.ToString(CultureInfo.InvariantCulture), values["SA_RESTART"]);
        Assert.Equal(SignalAction.SA_NODEFER.ToString(CultureInfo.InvariantCulture), values["SA_NODEFER"]);
        Assert.Equal(SignalAction.SA_RESETHAND.ToString(CultureInfo.InvariantCulture), values["SA_RESETHAND"]);
        Assert.Equal(32, System.Runtime.InteropServices.Marshal.SizeOf<SignalAction>());
    }
}
