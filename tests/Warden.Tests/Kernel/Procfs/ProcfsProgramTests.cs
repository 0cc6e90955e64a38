using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Procfs;

/// <summary>
/// procfs as busybox's applets read it, against the native run: a file's contents are made when it
/// is read, not when it is opened (a shell redirects from /proc/self/cmdline before it execs, and
/// the program reads its own command line); /proc/mounts, a link to self/mounts, lists the host's
/// mounts, which df needs to find a file system; the machine-wide files (cpuinfo, meminfo, version,
/// uptime, loadavg, filesystems) are the host's; a dead process's files read as Linux's; a
/// trailing slash follows a link. Only what does not change between the two runs is
/// compared (not free memory, load or uptime).
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class ProcfsProgramTests
{
    private static readonly NativeTestProgram s_zombieProc = new("zombie_proc.c", "the procfs-of-a-dead-process program");

    public ProcfsProgramTests()
    {
        Busybox.Require();
        KernelRunner.RequirePtrace();
    }

    private static string Same(string script)
    {
        RunSpec spec = RunSpec.Busybox("sh", "-c", script);
        RunResult native = NativeRunner.Run(spec);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
        return native.StdoutText;
    }

    [SkippableFact]
    public void Cmdline_IsTheProgramsAtTheRead() =>
        Assert.Contains("t   r", Same("busybox tr -d x < /proc/self/cmdline | busybox od -c | busybox head -1"), StringComparison.Ordinal);

    [SkippableFact]
    public void Mounts_AreTheHostsAndDfFindsTheRoot() =>
        Assert.EndsWith("0\nself/mounts\n", Same(
            "busybox grep -v ' /proc' /proc/mounts; busybox df -P / | busybox awk '{print $1, $6}'; " +
            "busybox df / > /dev/null; echo $?; busybox readlink /proc/mounts"), StringComparison.Ordinal);

    /// <summary>native/zombie_proc.c: a file opened while its process lived, read once it is a zombie, then once it is reaped.</summary>
    [SkippableFact]
    public void FilesOfADeadProcess_ReadAsLinuxs()
    {
        string program = s_zombieProc.Path;
        var spec = new RunSpec(program, [program]);
        RunResult native = NativeRunner.Run(spec);
        Assert.Contains("zombie status: some (says zombie)", native.StdoutText, StringComparison.Ordinal);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }

    /// <summary>A trailing slash follows a final link (lstat of /proc/self/ is the directory) and asks for a directory.</summary>
    [SkippableFact]
    public void ATrailingSlash_FollowsTheLink() =>
        Assert.StartsWith("dr-xr-xr-x\n", Same(
            "busybox ls -ld /proc/self/ | busybox cut -c1-10; busybox ls -ld /proc/self | busybox cut -c1-10; " +
            "busybox cat /proc/self/status/ 2>&1; busybox cat /proc/self/exe/ 2>&1; echo $?"), StringComparison.Ordinal);

    [SkippableFact]
    public void MachineFiles_AreTheHosts() =>
        Assert.StartsWith("Linux", Same(
            "busybox head -c 5 /proc/version; echo; busybox grep -c ^processor /proc/cpuinfo; busybox grep ^MemTotal /proc/meminfo; " +
            "busybox cat /proc/filesystems; busybox free > /dev/null && busybox uptime > /dev/null && echo ran; " +
            "busybox wc -w < /proc/loadavg; busybox wc -w < /proc/uptime"), StringComparison.Ordinal);
}
