using Warden.Cli;
using Warden.Errors;
using Warden.Kernel;
using Warden.Kernel.Tasks;
using Xunit;

namespace Warden.Tests.Cli;

/// <summary>Warden's exit statuses and the words it prints for a program's death, as bash's for a foreground job.</summary>
public sealed class ShellStatusTests
{
    [Theory]
    [InlineData(1, "Hangup")]
    [InlineData(3, "Quit")]
    [InlineData(4, "Illegal instruction")]
    [InlineData(5, "Trace/breakpoint trap")]
    [InlineData(6, "Aborted")]
    [InlineData(7, "Bus error")]
    [InlineData(8, "Floating point exception")]
    [InlineData(9, "Killed")]
    [InlineData(10, "User defined signal 1")]
    [InlineData(11, "Segmentation fault")]
    [InlineData(12, "User defined signal 2")]
    [InlineData(14, "Alarm clock")]
    [InlineData(15, "Terminated")]
    [InlineData(24, "CPU time limit exceeded")]
    [InlineData(25, "File size limit exceeded")]
    [InlineData(26, "Virtual timer expired")]
    [InlineData(27, "Profiling timer expired")]
    [InlineData(31, "Bad system call")]
    [InlineData(32, "Unknown signal 32")]
    [InlineData(33, "Unknown signal 33")]
    [InlineData(34, "Real-time signal 0")]
    [InlineData(36, "Real-time signal 2")]
    [InlineData(64, "Real-time signal 30")]
    public void ADeathBySignal_PrintsStrsignalsWords_WithoutCoreDumped(int signal, string words) =>
        Assert.Equal(words, ShellStatus.Message(ExitStatus.Killed(signal)));

    [Theory]
    [InlineData(2)]
    [InlineData(13)]
    public void SigintAndSigpipe_PrintNothing_AsBashDoes(int signal) =>
        Assert.Null(ShellStatus.Message(ExitStatus.Killed(signal)));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(139)]
    public void AnExit_PrintsNothing(int code) => Assert.Null(ShellStatus.Message(ExitStatus.Exited(code)));

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(3, 0, 3)]
    [InlineData(0, 9, 137)]
    [InlineData(0, 11, 139)]
    [InlineData(0, 15, 143)]
    [InlineData(0, 2, 130)]
    public void TheExitStatus_IsTheCode_Or128PlusTheSignal(int code, int signal, int expected) =>
        Assert.Equal(expected, (signal == 0 ? ExitStatus.Exited(code) : ExitStatus.Killed(signal)).ShellStatus);

    [Fact]
    public void AProgramThatDoesNotExist_Is127_OneThatCannotBeExecuted_Is126()
    {
        Assert.Equal(127, ShellStatus.ForStartError(Errno.ENOENT));
        Assert.Equal(127, ShellStatus.ForStartError(new KernelError(Errno.ENOENT, "interpreter not found")));
        Assert.Equal(126, ShellStatus.ForStartError(Errno.EACCES));
        Assert.Equal(126, ShellStatus.ForStartError(new KernelError(Errno.ENOEXEC, "not an executable (e_type 1)")));
        Assert.Equal(126, ShellStatus.ForStartError(Errno.ENOTDIR));
        Assert.Equal(126, ShellStatus.ForStartError(Errno.E2BIG));
    }

    [Fact]
    public void AnErrorThatIsNoErrno_IsWardensOwnFailure() =>
        Assert.Equal(125, ShellStatus.ForStartError(new Infrastructure.WrappingError("the stub died", null)));

    [Fact]
    public void Describe_GivesTheErrnosWords_AndTheDetails()
    {
        Assert.Equal("No such file or directory", ShellStatus.Describe(Errno.ENOENT));
        Assert.Equal("Exec format error (not an executable (e_type 1))",
            ShellStatus.Describe(new KernelError(Errno.ENOEXEC, "not an executable (e_type 1)")));
    }

    [Theory]
    [InlineData("/", "/home/u", "/home/u")]
    [InlineData("/srv/jail", "/srv/jail/work", "/work")]
    [InlineData("/srv/jail", "/srv/jail", "/")]
    [InlineData("/srv/jail", "/srv/jailbreak", "/")]
    [InlineData("/srv/jail", "/home/u", "/")]
    public void TheSandboxWorkingDirectory_IsWardensSeenFromInside_OrTheRoot(string root, string cwd, string expected) =>
        Assert.Equal(expected, ProgramRunner.SandboxWorkingDirectory(root, cwd));
}
