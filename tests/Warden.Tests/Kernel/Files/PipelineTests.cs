using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Files;

/// <summary>
/// Pipes between processes: busybox shell pipelines, whose ends block on each other (a writer on a
/// full pipe, a reader on an empty one, end of file when the writer exits). The native run is the oracle.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class PipelineTests
{
    // Each part prints only what does not depend on how the processes are scheduled.
    private const string Source = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <poll.h>
        #include <signal.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/epoll.h>
        #include <sys/select.h>
        #include <sys/wait.h>
        #include <unistd.h>

        static char buf[300000];
        static volatile int usr1;
        static void on_usr1(int sig) { (void)sig; usr1++; }

        static void reap(void) { int st; while (wait(&st) > 0) {} }

        // Two writers of 4096-byte records, each record one byte repeated: a read never sees one torn.
        static void atomic_records(void) {
            int p[2];
            pipe(p);
            for (int id = 1; id <= 2; id++) {
                if (fork() == 0) {
                    close(p[0]);
                    char rec[4096];
                    memset(rec, 'a' + id, sizeof rec);
                    for (int i = 0; i < 200; i++) if (write(p[1], rec, sizeof rec) != sizeof rec) _exit(1);
                    _exit(0);
                }
            }
            close(p[1]);
            static char all[2 * 200 * 4096];
            long got = 0;
            for (;;) { ssize_t n = read(p[0], all + got, sizeof all - got); if (n <= 0) break; got += n; }
            int torn = 0, counts[2] = {0, 0};
            for (long r = 0; r + 4096 <= got; r += 4096) {
                for (int i = 1; i < 4096; i++) if (all[r + i] != all[r]) { torn++; break; }
                if (all[r] == 'b') counts[0]++; else if (all[r] == 'c') counts[1]++;
            }
            printf("records: %ld bytes, torn %d, from each %d %d\n", got, torn, counts[0], counts[1]);
            close(p[0]);
            reap();
        }

        // A blocked writer whose reader leaves: the write returns what it wrote, the next fails with EPIPE.
        static void reader_leaves(void) {
            int p[2];
            pipe(p);
            signal(SIGPIPE, SIG_IGN);
            if (fork() == 0) {
                close(p[1]);
                long got = 0;
                while (got < 1000) { ssize_t n = read(p[0], buf, 1000 - got); if (n <= 0) _exit(1); got += n; }
                _exit(0);
            }
            close(p[0]);
            errno = 0;
            ssize_t n = write(p[1], buf, sizeof buf);
            printf("blocked write when the reader left: partial %d (at least a pipe's worth %d)\n", n > 0 && n < (ssize_t)sizeof buf, n >= 65536);
            errno = 0;
            n = write(p[1], buf, 10);
            printf("next write: %ld %s\n", (long)n, strerrorname_np(errno));
            close(p[1]);
            reap();
        }

        // Readers and waiters woken by another process's write, then end of file when it exits.
        static void woken_by_writer(void) {
            int p[2];
            pipe(p);
            if (fork() == 0) {
                close(p[0]);
                for (int i = 0; i < 4; i++) { usleep(20000); write(p[1], "ping", 4); }
                for (int i = 0; i < 50; i++) write(p[1], buf, 4096);
                _exit(0);
            }
            close(p[1]);
            struct pollfd pf = {p[0], POLLIN, 0};
            int ready = poll(&pf, 1, -1);
            printf("poll: %d revents %#x\n", ready, pf.revents);
            char small[8] = {0};
            read(p[0], small, 4);
            fd_set r;
            FD_ZERO(&r);
            FD_SET(p[0], &r);
            ready = select(p[0] + 1, &r, NULL, NULL, NULL);
            printf("select: %d isset %d\n", ready, FD_ISSET(p[0], &r));
            read(p[0], small, 4);
            int ep = epoll_create1(0);
            struct epoll_event e = {EPOLLIN, {.u64 = 42}}, out[2];
            epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
            int n = epoll_wait(ep, out, 2, -1);
            printf("epoll_wait: %d events %#x data %lu\n", n, out[0].events, (unsigned long)out[0].data.u64);
            read(p[0], small, 4);
            ssize_t m = read(p[0], small, 4);
            printf("blocking read: %ld '%s'\n", (long)m, small);
            long got = 0;
            for (;;) { ssize_t k = read(p[0], buf, sizeof buf); if (k <= 0) { printf("end: %ld\n", (long)k); break; } got += k; }
            printf("bulk: %ld\n", got);
            pf.events = POLLIN;
            ready = poll(&pf, 1, -1);
            printf("poll at end: %d revents %#x\n", ready, pf.revents);
            close(ep);
            close(p[0]);
            reap();
        }

        // A signal with SA_RESTART while blocked in read: the handler runs and the read goes on.
        static void restarted_read(void) {
            int p[2];
            pipe(p);
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_usr1;
            sa.sa_flags = SA_RESTART;
            sigaction(SIGUSR1, &sa, NULL);
            pid_t parent = getpid();
            if (fork() == 0) {
                close(p[0]);
                usleep(50000);
                kill(parent, SIGUSR1);
                usleep(50000);
                write(p[1], "after", 5);
                _exit(0);
            }
            close(p[1]);
            char small[8] = {0};
            ssize_t n = read(p[0], small, 5);
            printf("restarted read: %ld '%s' handler ran %d\n", (long)n, small, usr1);
            close(p[0]);
            reap();
        }

        int main(void) {
            setvbuf(stdout, NULL, _IONBF, 0);
            memset(buf, 'x', sizeof buf);
            atomic_records();
            reader_leaves();
            woken_by_writer();
            restarted_read();
            return 0;
        }
        """;

    public PipelineTests() => KernelRunner.RequirePtrace();

    /// <summary>
    /// A C program with forked writers and readers: 4096-byte writes of two writers never torn; a
    /// blocked writer whose reader leaves gets its partial count, then EPIPE; poll, select,
    /// epoll_wait and read woken by another process's write; end of file and POLLHUP when it exits;
    /// a read restarted after a SA_RESTART handler.
    /// </summary>
    [SkippableFact]
    public void ProcessesBlockingOnAPipe_AreTheNativeRun()
    {
        string exe = CompiledProgram.Build("pipe_processes", Source, ["-static"]);
        var spec = new RunSpec(exe, [exe]) { StdinFile = "/dev/null" };
        RunResult native = NativeRunner.Run(spec);
        Assert.Equal(0, native.ShellStatus);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }

    [SkippableTheory]
    [InlineData("seq 1 50000 | wc -l")]
    [InlineData("seq 1 30000 | sort -r | tail -n 3")]
    [InlineData("echo one; echo two | cat; seq 1 100000 | cat | cat | wc -c")]
    [InlineData("echo through proc | cat /proc/self/fd/0; echo both ways | busybox sh -c 'cat /proc/self/fd/0 </proc/self/fd/0'")]
    public void AShellPipeline_IsTheNativeRun(string script)
    {
        Busybox.Require();
        RunSpec spec = RunSpec.Busybox("sh", "-c", script);
        RunResult native = NativeRunner.Run(spec);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }
}
