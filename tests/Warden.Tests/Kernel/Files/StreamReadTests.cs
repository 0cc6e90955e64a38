using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Files;

/// <summary>
/// A pipe read with <c>readv</c> into memory split across the stack and two fresh (unfaulted)
/// mappings, one iovec straddling a page boundary: one host read serves it, the bytes arrive in
/// order, and a read never returns more than it asked for. A gcc-built static program echoes its
/// standard input so; the native run is the oracle.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class StreamReadTests
{
    private const string Source = """
        #include <stdio.h>
        #include <string.h>
        #include <sys/mman.h>
        #include <sys/uio.h>
        #include <unistd.h>
        int main(void) {
            char on_stack[5];
            char *heap = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            char *other = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            struct iovec iov[3] = {{on_stack, 5}, {heap + 4090, 4096}, {other, 4096}};
            size_t asked = 5 + 4096 + 4096;
            long total = 0;
            for (;;) {
                ssize_t n = readv(0, iov, 3);
                if (n < 0) { perror("readv"); return 1; }
                if (n == 0) break;
                if ((size_t)n > asked) { fprintf(stderr, "readv gave %zd of %zu\n", n, asked); return 2; }
                total += n;
                for (int i = 0; i < 3 && n > 0; i++) {
                    size_t part = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;
                    fwrite(iov[i].iov_base, 1, part, stdout);
                    n -= part;
                }
            }
            fprintf(stderr, "%ld bytes\n", total);
            return 0;
        }
        """;

    public StreamReadTests() => KernelRunner.RequirePtrace();

    [SkippableFact]
    public void ReadvOfAPipe_IntoSplitMemory_IsTheNativeRuns()
    {
        string exe = CompiledProgram.Build("readv_echo", Source, ["-static"]);
        var input = new byte[300_000];
        new Random(5).NextBytes(input);
        var spec = new RunSpec(exe, [exe]) { Stdin = input };
        RunResult native = NativeRunner.Run(spec);
        Assert.Equal(input, native.Stdout);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }
}
