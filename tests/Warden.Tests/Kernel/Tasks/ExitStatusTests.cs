using Warden.Kernel.Tasks;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Tasks;

public class ExitStatusTests
{
    [SkippableFact]
    public void WaitStatusWordsDecodeWithTheCMacros()
    {
        ExitStatus exited = ExitStatus.Exited(3);
        ExitStatus killed = ExitStatus.Killed(11);
        var values = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(["stdio.h", "sys/wait.h"],
            $"""
            int e = {exited.WaitStatus}, k = {killed.WaitStatus};
            printf("exited\t%d %d\nkilled\t%d %d\n", WIFEXITED(e), WEXITSTATUS(e), WIFSIGNALED(k), WTERMSIG(k));
            """));
        Assert.Equal("1 3", values["exited"]);
        Assert.Equal("1 11", values["killed"]);
    }

    [Fact]
    public void ShellStatusIsTheCodeOr128PlusTheSignal()
    {
        Assert.Equal(0, ExitStatus.Exited(256).ShellStatus);
        Assert.Equal(255, ExitStatus.Exited(-1).ShellStatus);
        Assert.Equal(139, ExitStatus.Killed(11).ShellStatus);
        Assert.True(ExitStatus.Killed(9).Signaled);
        Assert.False(ExitStatus.Exited(1).Signaled);
    }
}
