using System.Diagnostics;
using Warden.Cli;
using Warden.Errors;
using Warden.Interop;
using Warden.Platforms.Ptrace;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Cli;

/// <summary>
/// Signals sent to <c>warden</c> reach the program, and no stub outlives Warden. These start
/// <c>warden</c> as a process of its own (the signal must go to it, not to the test runner).
/// </summary>
public sealed class SignalForwardingTests
{
    private const int SIGTERM = 15;
    private const int SIGHUP = 1;

    private static void Require()
    {
        Error? unsupported = PtracePlatform.CheckSupported();
        Prerequisite.Require(unsupported is null, $"permission to ptrace child processes ({unsupported?.Message})");
        Prerequisite.Require(File.Exists("/bin/busybox"), "busybox-static at /bin/busybox");
    }

    // warden.dll beside the tests (the test project references it), run by the same dotnet.
    private static Process StartWarden(params string[] args)
    {
        string warden = typeof(RunCommand).Assembly.Location;
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (!Path.GetFileNameWithoutExtension(start.FileName).Equals("dotnet", StringComparison.Ordinal))
        {
            start.FileName = "dotnet";
        }
        start.ArgumentList.Add(warden);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return Process.Start(start)!;
    }

    // The processes whose parent is pid (Warden's stubs).
    private static List<int> Children(int pid)
    {
        var children = new List<int>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int candidate))
            {
                continue;
            }
            try
            {
                foreach (string line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    if (line.StartsWith("PPid:", StringComparison.Ordinal))
                    {
                        if (int.Parse(line[5..].Trim(), System.Globalization.CultureInfo.InvariantCulture) == pid)
                        {
                            children.Add(candidate);
                        }
                        break;
                    }
                }
            }
            catch (IOException)
            {
                // Gone while being read.
            }
        }
        return children;
    }

    // Waits for a line of the program's standard output: the program is running, so Warden forwards signals.
    private static void WaitForLine(Process warden, string expected)
    {
        Task<string?> line = warden.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeSpan.FromSeconds(60)), "the program did not start");
        Assert.Equal(expected, line.Result);
    }

    [SkippableFact]
    public void Sigterm_ReachesTheProgram_WhichDiesOfIt_AndWardenSaysTerminated()
    {
        Require();
        using Process warden = StartWarden("run", "/bin/busybox", "sh", "-c", "echo ready; while :; do :; done");
        WaitForLine(warden, "ready");
        List<int> stubs = Children(warden.Id);
        Assert.NotEmpty(stubs);

        Assert.Null(Libc.Kill(warden.Id, SIGTERM));
        Assert.True(warden.WaitForExit(TimeSpan.FromSeconds(30)), "warden did not exit");
        Assert.Equal(143, warden.ExitCode);
        Assert.Equal("Terminated\n", warden.StandardError.ReadToEnd());
        AssertGone(stubs);
    }

    [SkippableFact]
    public void AProgramThatIgnoresTheSignal_IsStopped2sLater_WithNoStubLeft()
    {
        Require();
        using Process warden = StartWarden("run", "/bin/busybox", "sh", "-c", "trap '' HUP; echo ready; while :; do :; done");
        WaitForLine(warden, "ready");
        List<int> stubs = Children(warden.Id);
        Assert.NotEmpty(stubs);

        Assert.Null(Libc.Kill(warden.Id, SIGHUP));
        // Warden must give the program its grace period: still running just before it ends (a
        // slow machine can only make warden exit later, never sooner).
        Assert.False(warden.WaitForExit(ProgramRunner.SignalGracePeriod - TimeSpan.FromMilliseconds(100)), "warden gave up before the grace period");
        Assert.True(warden.WaitForExit(TimeSpan.FromSeconds(30)), "warden did not exit");
        Assert.Equal(128 + SIGHUP, warden.ExitCode);
        Assert.Equal("warden: the program has not ended 2 s after SIGHUP; stopping it\n", warden.StandardError.ReadToEnd());
        AssertGone(stubs);
    }

    private static void AssertGone(List<int> pids)
    {
        foreach (int pid in pids)
        {
            // A stub is the child of Warden; with Warden gone, a stub left would be a live orphan.
            string status = Path.Combine("/proc", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "status");
            Assert.False(File.Exists(status) && !File.ReadAllText(status).Contains("State:\tZ", StringComparison.Ordinal), $"stub {pid} outlived warden");
        }
    }
}
