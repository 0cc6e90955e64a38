using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Files;

/// <summary>
/// The host's /dev/stdin, /dev/fd and /dev/stderr are symbolic links into /proc/self/fd: a lookup
/// through them reaches the program's own descriptors, as on Linux (a pipe is the same pipe, a
/// file is opened anew at offset 0), and readlink and lstat still see the links themselves (a
/// descriptor's link with Linux's size and its permissions from the open's mode). A
/// gcc-built static program, and busybox cat, with standard input a pipe and a file; the native
/// run is the oracle.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class DevStdinTests : IDisposable
{
    private const string Source = """
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/stat.h>
        #include <unistd.h>
        static void show_open(const char *path, int flags) {
            int fd = open(path, flags);
            if (fd < 0) { printf("open %s: %s\n", path, strerror(errno)); return; }
            struct stat st;
            fstat(fd, &st);
            char buf[64];
            ssize_t n = (flags & O_ACCMODE) == O_RDONLY ? read(fd, buf, 5) : write(fd, "hello\n", 6);
            printf("open %s: fifo %d reg %d, %zd bytes", path, S_ISFIFO(st.st_mode), S_ISREG(st.st_mode), n);
            if ((flags & O_ACCMODE) == O_RDONLY && n > 0) printf(" \"%.*s\"", (int)n, buf);
            printf(", offset of 0 now %ld\n", (long)lseek(0, 0, SEEK_CUR));
            close(fd);
        }
        int main(void) {
            char link[256];
            ssize_t n = readlink("/dev/stdin", link, sizeof link);
            printf("readlink: %.*s\n", (int)(n < 0 ? 0 : n), link);
            struct stat st;
            printf("lstat link %d, stat fifo %d\n", lstat("/dev/stdin", &st) == 0 && S_ISLNK(st.st_mode),
                   stat("/dev/stdin", &st) == 0 && S_ISFIFO(st.st_mode));
            const char *links[] = {"/proc/self/fd/0", "/proc/self/fd/2", "/proc/self/exe", "/proc/self"};
            for (int i = 0; i < 4; i++) {
                lstat(links[i], &st);
                printf("lstat %s: mode %o size %ld\n", links[i], (unsigned)st.st_mode, (long)st.st_size);
            }
            show_open("/dev/stdin", O_RDONLY);
            show_open("/dev/fd/0", O_RDONLY);
            show_open("/proc/self/fd/0", O_RDONLY);
            show_open("/dev/stdin", O_RDONLY | O_NOFOLLOW);
            show_open("/dev/fd/../fd/0", O_RDONLY);
            show_open("/dev/stderr", O_WRONLY);
            return 0;
        }
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("warden-devstdin-").FullName;

    public DevStdinTests() => KernelRunner.RequirePtrace();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void ThroughAPipe_TheLinksReachThePipe()
    {
        var spec = new RunSpec(Program(), [Program()]) { Stdin = "abcdefghijklmnopqrstuvwxyz0123456789"u8.ToArray() };
        RunResult native = NativeRunner.Run(spec);
        Assert.Contains("open /dev/stdin: fifo 1", native.StdoutText, StringComparison.Ordinal);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }

    [SkippableFact]
    public void ThroughAFile_TheLinksOpenTheFileAnew()
    {
        string input = Path.Combine(_dir, "input");
        File.WriteAllText(input, "abcdefghijklmnopqrstuvwxyz");
        var spec = new RunSpec(Program(), [Program()]) { StdinFile = input };
        RunResult native = NativeRunner.Run(spec);
        Assert.Contains("open /dev/stdin: fifo 0 reg 1, 5 bytes \"abcde\"", native.StdoutText, StringComparison.Ordinal);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }

    [SkippableFact]
    public void BusyboxCat_OfDevStdin_CopiesItsInput()
    {
        Busybox.Require();
        var spec = RunSpec.Busybox("cat", "/dev/stdin") with { Stdin = "from a pipe\n"u8.ToArray() };
        RunResult native = NativeRunner.Run(spec);
        Assert.Equal("from a pipe\n", native.StdoutText);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }

    /// <summary>Inside the sandbox a pipeline's pipe is Warden's own: stat through the link sees a FIFO, a read reads it.</summary>
    [SkippableFact]
    public void ThroughAKernelPipe_StatAndReadReachThePipe()
    {
        Busybox.Require();
        RunSpec spec = RunSpec.Busybox("sh", "-c",
            "echo x | busybox sh -c '[ -p /dev/stdin ] && echo piped; busybox stat -L -c %F /dev/stdin; busybox cat /dev/stdin; [ -d /dev/stdin/ ] || echo not a directory; busybox cat /dev/stdin/ 2>&1'");
        RunResult native = NativeRunner.Run(spec);
        Assert.Equal("piped\nfifo\nx\nnot a directory\ncat: can't open '/dev/stdin/': Not a directory\n", native.StdoutText);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }

    private static string Program() => CompiledProgram.Build("dev_stdin", Source, ["-static"]);
}
