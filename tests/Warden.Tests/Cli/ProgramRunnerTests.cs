using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;
using Warden.Cli;
using Warden.Errors;
using Warden.Platforms.Ptrace;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Cli;

/// <summary>
/// <see cref="ProgramRunner.RunProgram"/> end to end, in this process: the demonstration, busybox's
/// applets (from Debian's busybox-static), and the statuses and words of every kind of end.
/// </summary>
public sealed partial class ProgramRunnerTests
{
    private const string Busybox = "/bin/busybox";

    private sealed record Outcome(int Status, string Stdout, string ProgramStderr, string WardenStderr);

    private static void RequirePtrace()
    {
        Error? unsupported = PtracePlatform.CheckSupported();
        Prerequisite.Require(unsupported is null, $"permission to ptrace child processes ({unsupported?.Message})");
    }

    private static void RequireBusybox()
    {
        RequirePtrace();
        Prerequisite.Require(File.Exists(Busybox), "busybox-static at /bin/busybox");
    }

    // Runs with the program's standard output and error on pipes, and Warden's words in a string.
    private static Outcome Run(RunOptions options)
    {
        using var stdout = HostPipe.Create();
        using var stderr = HostPipe.Create();
        using SafeFileHandle stdin = File.OpenHandle("/dev/null");
        var warden = new StringWriter();
        Task<string> readOut = ReadAll(stdout.Read);
        Task<string> readErr = ReadAll(stderr.Read);
        int status = ProgramRunner.RunProgram(options with { Stdin = stdin, Stdout = stdout.Write, Stderr = stderr.Write }, warden);
        // The kernel closed its copies when the program ended; with ours closed, the readers see the end.
        stdout.Write.Dispose();
        stderr.Write.Dispose();
        Assert.True(Task.WaitAll([readOut, readErr], TimeSpan.FromSeconds(30)), "the program's output pipes were left open");
        return new Outcome(status, readOut.Result, readErr.Result, warden.ToString());
    }

    private static Task<string> ReadAll(SafeFileHandle read) => Task.Run(() =>
    {
        using var stream = new FileStream(read, FileAccess.Read, bufferSize: 1);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    [GeneratedRegex(@"^mmap: 0x[0-9a-f]+ rw$")]
    private static partial Regex MmapLine();

    [GeneratedRegex(@"^fault at 0x[0-9a-f]+: served$")]
    private static partial Regex FaultLine();

    [GeneratedRegex(@"the demo made (\d+) system calls")]
    private static partial Regex DemoSummary();

    [SkippableFact]
    public void TheDemonstration_SaysWhatItSawAtEachStep_ThenWardenSaysWhatItServed()
    {
        RequirePtrace();
        Outcome o = Run(new RunOptions());

        Assert.Equal(0, o.Status);
        string[] lines = o.Stdout.Split('\n');
        Assert.Equal(8, lines.Length);
        Assert.Matches(MmapLine(), lines[0]);
        Assert.Equal("wrote and read back: hello from an anonymous page", lines[1]);
        Assert.Equal("mprotect: read-only", lines[2]);
        Assert.Matches(FaultLine(), lines[3]);
        // Each side of the fork sees only its own write to the page they shared before it.
        Assert.Equal("child: its copy of the page holds 0x63", lines[4]);
        Assert.Equal("parent: its copy of the page holds 0x70; the child exited with 7", lines[5]);
        Assert.Equal("munmap: ok", lines[6]);
        Assert.Equal("", lines[7]);
        Assert.Equal("", o.ProgramStderr);

        // mmap, 5 writes, mprotect, mmap, fork, the child's write and exit_group, wait4, the
        // parent's write, 2 munmaps, exit_group.
        Assert.Equal("16", DemoSummary().Match(o.WardenStderr).Groups[1].Value);
        Assert.Contains("page faults", o.WardenStderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void TheDemonstration_WithStraceMapsAndStats_PrintsEachAfterTheRun()
    {
        RequirePtrace();
        Outcome o = Run(new RunOptions { Strace = true, Maps = true, Stats = true });

        Assert.Equal(0, o.Status);
        Assert.Contains("mprotect(0x", o.WardenStderr, StringComparison.Ordinal);
        Assert.Contains("PROT_READ) = 0\n", o.WardenStderr, StringComparison.Ordinal);
        Assert.Contains("exit_group(0)", o.WardenStderr, StringComparison.Ordinal);
        Assert.Contains("warden: the memory map of warden-demo when it ended", o.WardenStderr, StringComparison.Ordinal);
        Assert.Contains("r-xp 00000000", o.WardenStderr, StringComparison.Ordinal);
        Assert.Contains("/warden-demo", o.WardenStderr, StringComparison.Ordinal);
        Assert.Contains("System calls", o.WardenStderr, StringComparison.Ordinal);
        Assert.Contains("munmap", o.WardenStderr, StringComparison.Ordinal);
        Assert.Contains("page faults served", o.WardenStderr, StringComparison.Ordinal);
        Assert.Contains("peak resident set", o.WardenStderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void StraceFile_GetsTheCalls_AndStandardErrorDoesNot()
    {
        RequirePtrace();
        string file = Path.Combine(Path.GetTempPath(), $"warden-strace-{Guid.NewGuid():N}.txt");
        try
        {
            Outcome o = Run(new RunOptions { Strace = true, StraceFile = file });
            Assert.Equal(0, o.Status);
            Assert.Contains("exit_group(0)", File.ReadAllText(file), StringComparison.Ordinal);
            Assert.DoesNotContain("exit_group", o.WardenStderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [SkippableFact]
    public void AProgramOnThePath_RunsWithArgv0AsTyped()
    {
        RequireBusybox();
        Outcome o = Run(new RunOptions { Program = "busybox", Arguments = ["cat", "/proc/self/cmdline"], SearchPath = "/nonexistent:/bin" });
        Assert.Equal(0, o.Status);
        Assert.Equal("busybox\0cat\0/proc/self/cmdline\0", o.Stdout);
        Assert.Equal("", o.WardenStderr);
    }

    [SkippableFact]
    public void TheProgram_GetsTheBaseEnvironment_WithEnvSettingsOverriding()
    {
        RequireBusybox();
        Outcome o = Run(new RunOptions
        {
            Program = Busybox,
            Arguments = ["env"],
            BaseEnvironment = ["A=base", "B=base"],
            Environment = ["B=set", "C=new", "B=last"],
        });
        Assert.Equal(0, o.Status);
        Assert.Equal("A=base\nB=last\nC=new\n", o.Stdout);
    }

    [SkippableFact]
    public void ClearEnv_LeavesOnlyTheSettings()
    {
        RequireBusybox();
        Outcome o = Run(new RunOptions { Program = Busybox, Arguments = ["env"], ClearEnvironment = true, Environment = ["ONLY=1"] });
        Assert.Equal(0, o.Status);
        Assert.Equal("ONLY=1\n", o.Stdout);
    }

    [SkippableFact]
    public void TheExitStatus_IsTheProgramsOwn()
    {
        RequireBusybox();
        Outcome o = Run(new RunOptions { Program = Busybox, Arguments = ["sh", "-c", "echo out; echo err >&2; exit 7"] });
        Assert.Equal(7, o.Status);
        Assert.Equal("out\n", o.Stdout);
        Assert.Equal("err\n", o.ProgramStderr);
        Assert.Equal("", o.WardenStderr);
    }

    [SkippableTheory]
    [InlineData("SEGV", 139, "Segmentation fault\n")]
    [InlineData("TERM", 143, "Terminated\n")]
    [InlineData("KILL", 137, "Killed\n")]
    [InlineData("INT", 130, "")]
    public void AProgramKilledByASignal_ExitsWith128PlusIt_AfterTheShellsWords(string signal, int status, string words)
    {
        RequireBusybox();
        Outcome o = Run(new RunOptions { Program = Busybox, Arguments = ["sh", "-c", $"kill -{signal} $$"] });
        Assert.Equal(status, o.Status);
        Assert.Equal(words, o.WardenStderr);
    }

    [SkippableFact]
    public void AFileThatIsNoProgram_Is126_ExecFormatError()
    {
        RequirePtrace();
        string file = Path.Combine(Path.GetTempPath(), $"warden-garbage-{Guid.NewGuid():N}");
        File.WriteAllText(file, "this is not a program\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            Outcome o = Run(new RunOptions { Program = file });
            Assert.Equal(126, o.Status);
            Assert.StartsWith($"warden: {file}: Exec format error", o.WardenStderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [SkippableFact]
    public void APathToNothing_Is127()
    {
        RequirePtrace();
        Outcome o = Run(new RunOptions { Program = "/nonexistent/prog" });
        Assert.Equal(127, o.Status);
        Assert.Equal("warden: /nonexistent/prog: No such file or directory\n", o.WardenStderr);
    }

    [Fact]
    public void ANameNotOnThePath_Is127_CommandNotFound()
    {
        Outcome o = Run(new RunOptions { Program = "no-such-program-for-warden", SearchPath = "/nonexistent:/also/not" });
        Assert.Equal(127, o.Status);
        Assert.Equal("warden: no-such-program-for-warden: command not found\n", o.WardenStderr);
    }

    [Fact]
    public void BadOptions_Are125_WithAMessage()
    {
        Outcome platform = Run(new RunOptions { Program = "true", Platform = "kvm" });
        Assert.Equal(125, platform.Status);
        Assert.Equal("warden: --platform: unknown platform 'kvm' (choices: ptrace)\n", platform.WardenStderr);

        Outcome root = Run(new RunOptions { Program = "true", Root = "/nonexistent/warden-root" });
        Assert.Equal(125, root.Status);
        Assert.Equal("warden: --root: cannot open '/nonexistent/warden-root': No such file or directory\n", root.WardenStderr);

        Outcome env = Run(new RunOptions { Program = "true", Environment = ["NOEQUALS"] });
        Assert.Equal(125, env.Status);
        Assert.Equal("warden: --env: 'NOEQUALS' is not NAME=VALUE\n", env.WardenStderr);
    }

    [SkippableFact]
    public void AStraceFileThatCannotBeWritten_Is125()
    {
        RequirePtrace();
        Outcome o = Run(new RunOptions { StraceFile = "/nonexistent/dir/calls.txt" });
        Assert.Equal(125, o.Status);
        Assert.StartsWith("warden: --strace-file: cannot open '/nonexistent/dir/calls.txt'", o.WardenStderr, StringComparison.Ordinal);
    }
}
