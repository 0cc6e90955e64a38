using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Files;

/// <summary>
/// mknod and mknodat (busybox mkfifo, Python's os.mkfifo): FIFOs, regular files and sockets are
/// made in the host directory with the umask applied; a directory type is EPERM, an unknown type
/// EINVAL, an existing name EEXIST; a FIFO made so carries data between its ends. A gcc-built static
/// program, each run in a fresh directory of its own; the native run is the oracle. Device nodes
/// are left out: natively root may make them, under Warden nothing in the sandbox may (EPERM).
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class MknodTests : IDisposable
{
    private const string Source = """
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/stat.h>
        #include <sys/sysmacros.h>
        #include <unistd.h>
        static void show(const char *what, int r) {
            printf("%s: %d %s\n", what, r, r == 0 ? "" : strerror(errno));
        }
        static void kind(const char *path) {
            struct stat st;
            if (lstat(path, &st) != 0) { printf("%s: %s\n", path, strerror(errno)); return; }
            printf("%s: fifo %d reg %d sock %d perms %o\n", path, S_ISFIFO(st.st_mode), S_ISREG(st.st_mode),
                   S_ISSOCK(st.st_mode), (unsigned)(st.st_mode & 07777));
        }
        int main(int argc, char **argv) {
            if (argc > 1) {
                show("mknod device", mknod("null", S_IFCHR | 0666, makedev(1, 3)));
                show("mknod device again", mknod("null", S_IFCHR | 0666, makedev(1, 3)));
                return 0;
            }
            umask(022);
            show("mkfifo", mkfifo("fifo", 0666));
            kind("fifo");
            show("mkfifo again", mkfifo("fifo", 0666));
            show("mknod regular", mknod("plain", S_IFREG | 0640, 0));
            kind("plain");
            show("mknod type 0", mknod("zero", 0600, 0));
            kind("zero");
            show("mknod socket", mknod("sock", S_IFSOCK | 0777, 0));
            kind("sock");
            show("mknod directory", mknod("dir", S_IFDIR | 0755, 0));
            show("mknod bad type", mknod("bad", 0170000 | 0644, 0));
            show("mknod in a missing directory", mknod("no/such", S_IFIFO | 0644, 0));
            int dir = open(".", O_RDONLY | O_DIRECTORY);
            show("mknodat", mknodat(dir, "fifo2", S_IFIFO | 0600, 0));
            kind("fifo2");
            int fd = open("fifo", O_RDWR);
            char buf[16] = {0};
            ssize_t wrote = write(fd, "across", 6);
            ssize_t got = read(fd, buf, sizeof buf - 1);
            printf("through the fifo: wrote %zd, read %zd \"%s\"\n", wrote, got, buf);
            return 0;
        }
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("warden-mknod-").FullName;

    public MknodTests() => KernelRunner.RequirePtrace();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void Nodes_AreMadeAsOnLinux()
    {
        string exe = CompiledProgram.Build("mknod_nodes", Source, ["-static"]);
        string native = Directory.CreateDirectory(Path.Combine(_dir, "native")).FullName;
        string warden = Directory.CreateDirectory(Path.Combine(_dir, "warden")).FullName;
        RunResult expected = NativeRunner.Run(new RunSpec(exe, [exe]) { WorkingDirectory = native });
        Assert.Contains("through the fifo: wrote 6, read 6 \"across\"", expected.StdoutText, StringComparison.Ordinal);
        RunResult.AssertSame(expected, KernelRunner.Run(new RunSpec(exe, [exe]) { WorkingDirectory = warden }));
    }

    /// <summary>A sandbox policy, not the native run's (root could make the node natively): EPERM, or EEXIST for a name that exists.</summary>
    [SkippableFact]
    public void DeviceNodes_AreRefused()
    {
        string exe = CompiledProgram.Build("mknod_nodes", Source, ["-static"]);
        File.WriteAllText(Path.Combine(_dir, "null"), "");
        RunResult warden = KernelRunner.Run(new RunSpec(exe, [exe, "device"]) { WorkingDirectory = _dir });
        Assert.Equal("mknod device: -1 File exists\nmknod device again: -1 File exists\n", warden.StdoutText);
        File.Delete(Path.Combine(_dir, "null"));
        warden = KernelRunner.Run(new RunSpec(exe, [exe, "device"]) { WorkingDirectory = _dir });
        Assert.Equal("mknod device: -1 Operation not permitted\nmknod device again: -1 Operation not permitted\n", warden.StdoutText);
        Assert.False(File.Exists(Path.Combine(_dir, "null")));
    }

    [SkippableFact]
    public void BusyboxMkfifo_MakesAFifoThatAPipelineUses()
    {
        Busybox.Require();
        var spec = RunSpec.Busybox("sh", "-c", "busybox mkfifo f && (echo via fifo > f &) && busybox cat f && busybox rm f") with { WorkingDirectory = _dir };
        RunResult native = NativeRunner.Run(spec);
        Assert.Equal("via fifo\n", native.StdoutText);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }
}
