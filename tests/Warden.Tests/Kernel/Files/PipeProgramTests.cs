using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Files;

/// <summary>
/// The kernel's pipes and descriptor polling, in one process: pipe2's flags, reads and writes,
/// FIONREAD, O_NONBLOCK's EAGAIN on an empty and a full pipe (how much fits, with Linux's page
/// slots), F_GETPIPE_SZ/F_SETPIPE_SZ, fstat and /proc/self/fd, end of file, EPIPE with SIGPIPE
/// ignored and handled; poll, ppoll, select, pselect6 and epoll (level, edge, one-shot, nested)
/// over pipe ends and the host's standard input and output, with zero and short timeouts and their
/// errors; and waits that a pending signal, unblocked by the call's mask, interrupts. A gcc-built
/// static program prints what it sees; the native run is the oracle.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class PipeProgramTests
{
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
        #include <sys/ioctl.h>
        #include <sys/select.h>
        #include <sys/stat.h>
        #include <sys/syscall.h>
        #include <sys/time.h>
        #include <unistd.h>

        static char buf[200000];
        static volatile int sigpipes;

        static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

        #define CHECK(label, expr) do { errno = 0; long r_ = (long)(expr); \
            printf("%s: %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : ""); } while (0)

        static long fill(int fd, size_t chunk) {
            long total = 0;
            for (;;) {
                ssize_t n = write(fd, buf, chunk);
                if (n < 0) { printf("  fill %zu stops: %s\n", chunk, strerrorname_np(errno)); return total; }
                total += n;
            }
        }

        static long drain(int fd) {
            long total = 0;
            for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n <= 0) { printf("  drain stops: %ld %s\n", (long)n, n < 0 ? strerrorname_np(errno) : "EOF"); return total; }
                total += n;
            }
        }

        static int nread(int fd) { int n = -1; if (ioctl(fd, FIONREAD, &n) < 0) return -errno; return n; }

        static void pipes(void) {
            int p[2];
            printf("== pipe2 flags\n");
            CHECK("pipe2 bad flag", pipe2(p, O_APPEND));
            CHECK("pipe2 O_CLOEXEC", pipe2(p, O_CLOEXEC));
            printf("fds %d %d getfd %d %d getfl %#x %#x\n", p[0], p[1], fcntl(p[0], F_GETFD), fcntl(p[1], F_GETFD),
                fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
            close(p[0]); close(p[1]);
            CHECK("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK));
            printf("getfl %#x %#x\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
            close(p[0]); close(p[1]);
            printf("== packet mode\n");
            CHECK("pipe2 O_DIRECT", pipe2(p, O_DIRECT));
            printf("getfl %#x %#x\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
            {
                char b[10000];
                static char big[9000];
                write(p[1], "abc", 3);
                write(p[1], "defg", 4);
                write(p[1], "0123456789", 10);
                printf("FIONREAD %d\n", nread(p[0]));
                memset(b, 0, sizeof b);
                CHECK("read 100", read(p[0], b, 100));
                printf("got '%s'\n", b);
                CHECK("read 100", read(p[0], b, 100));
                memset(b, 0, sizeof b);
                CHECK("read 4 of a 10-byte packet", read(p[0], b, 4));
                printf("got '%s' FIONREAD %d\n", b, nread(p[0]));
                memset(big, 'z', sizeof big);
                CHECK("write 9000", write(p[1], big, sizeof big));
                CHECK("read", read(p[0], b, sizeof b));
                CHECK("read", read(p[0], b, sizeof b));
                CHECK("read", read(p[0], b, sizeof b));
                CHECK("F_SETFL O_NONBLOCK|O_DIRECT", fcntl(p[1], F_SETFL, O_NONBLOCK | O_DIRECT));
                printf("getfl %#x\n", fcntl(p[1], F_GETFL));
                printf("fill 1: %ld\n", fill(p[1], 1));
                fcntl(p[0], F_SETFL, O_NONBLOCK);
                printf("drain: %ld\n", drain(p[0]));
            }
            close(p[0]); close(p[1]);
            CHECK("pipe", pipe(p));
            printf("getfd %d getfl %#x %#x\n", fcntl(p[0], F_GETFD), fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));

            printf("== write, read\n");
            CHECK("write hello", write(p[1], "hello", 5));
            printf("FIONREAD %d (write end %d)\n", nread(p[0]), nread(p[1]));
            char small[100] = {0};
            CHECK("read 100", read(p[0], small, sizeof small));
            printf("got '%s'\n", small);
            CHECK("write 0", write(p[1], buf, 0));
            CHECK("read wrong end", read(p[1], small, 1));
            CHECK("write wrong end", write(p[0], "x", 1));
            CHECK("lseek", lseek(p[0], 0, SEEK_SET));
            CHECK("pread", pread(p[0], small, 1, 0));
            CHECK("pwrite", pwrite(p[1], small, 1, 0));
            CHECK("write 3", write(p[1], "abc", 3));
            CHECK("write 4", write(p[1], "defg", 4));
            memset(small, 0, sizeof small);
            CHECK("read 2", read(p[0], small, 2));
            CHECK("read 10", read(p[0], small + 2, 10));
            printf("got '%s'\n", small);

            printf("== nonblocking\n");
            CHECK("F_SETFL O_NONBLOCK", fcntl(p[0], F_SETFL, O_NONBLOCK));
            CHECK("F_SETFL O_NONBLOCK", fcntl(p[1], F_SETFL, O_NONBLOCK));
            printf("getfl %#x %#x\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
            CHECK("read empty", read(p[0], small, 10));
            for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)(i * 7 + i / 251);
            printf("fill 4096: %ld\n", fill(p[1], 4096));
            printf("FIONREAD %d\n", nread(p[0]));
            CHECK("write 1 when full", write(p[1], "x", 1));
            struct pollfd pf[2] = {{p[0], POLLIN | POLLOUT, 0}, {p[1], POLLIN | POLLOUT, 0}};
            CHECK("poll full", poll(pf, 2, 0));
            printf("revents %#x %#x\n", pf[0].revents, pf[1].revents);
            printf("drain: %ld\n", drain(p[0]));
            CHECK("poll empty", poll(pf, 2, 0));
            printf("revents %#x %#x\n", pf[0].revents, pf[1].revents);
            printf("fill 1000: %ld\n", fill(p[1], 1000));
            printf("fill 1: %ld\n", fill(p[1], 1));
            printf("FIONREAD %d\n", nread(p[0]));
            printf("drain: %ld\n", drain(p[0]));
            printf("fill 5000: %ld\n", fill(p[1], 5000));
            printf("drain: %ld\n", drain(p[0]));
            CHECK("write 100000", write(p[1], buf, 100000));
            {
                static char in[100000];
                long got = 0;
                for (;;) { ssize_t n = read(p[0], in + got, sizeof in - got); if (n <= 0) break; got += n; }
                printf("read back %ld, same %d\n", got, memcmp(in, buf, got) == 0);
            }
            CHECK("write 4000", write(p[1], buf, 4000));
            CHECK("write 200 (merges)", write(p[1], buf, 200));
            printf("FIONREAD %d\n", nread(p[0]));

            printf("== pipe size\n");
            CHECK("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
            CHECK("F_SETPIPE_SZ 100000", fcntl(p[1], F_SETPIPE_SZ, 100000));
            CHECK("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
            CHECK("F_SETPIPE_SZ 1 with 2 pages in", fcntl(p[1], F_SETPIPE_SZ, 1));
            CHECK("F_SETPIPE_SZ 8192", fcntl(p[1], F_SETPIPE_SZ, 8192));
            printf("drain: %ld\n", drain(p[0]));
            CHECK("F_SETPIPE_SZ 0", fcntl(p[1], F_SETPIPE_SZ, 0));
            printf("fill 4096: %ld\n", fill(p[1], 4096));
            printf("drain: %ld\n", drain(p[0]));
            CHECK("F_SETPIPE_SZ 65536", fcntl(p[1], F_SETPIPE_SZ, 65536));
            CHECK("F_GETPIPE_SZ stdout", fcntl(1, F_GETPIPE_SZ) > 0);
            CHECK("F_GETPIPE_SZ /dev/null", fcntl(0, F_GETPIPE_SZ));

            printf("== fstat\n");
            struct stat s0, s1, s2;
            int q[2];
            pipe(q);
            fstat(p[0], &s0); fstat(p[1], &s1); fstat(q[0], &s2);
            printf("fifo %d mode %o nlink %ld blksize %ld size %ld same ino %d other ino differs %d same dev %d\n",
                S_ISFIFO(s0.st_mode), s0.st_mode & 07777, (long)s0.st_nlink, (long)s0.st_blksize, (long)s0.st_size,
                s0.st_ino == s1.st_ino, s0.st_ino != s2.st_ino, s0.st_dev == s2.st_dev);
            printf("uid %d gid %d\n", s0.st_uid == geteuid(), s0.st_gid == getegid());
            char path[64], link[64], want[64];
            snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
            ssize_t ln = readlink(path, link, sizeof link - 1);
            link[ln < 0 ? 0 : ln] = 0;
            snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)s0.st_ino);
            printf("link is pipe:[ino] %d\n", strcmp(link, want) == 0);
            close(q[0]); close(q[1]);

            printf("== end of file\n");
            CHECK("close write end", close(p[1]));
            pf[0].fd = p[0]; pf[0].events = POLLIN; pf[0].revents = 0;
            CHECK("poll read end", poll(pf, 1, 0));
            printf("revents %#x\n", pf[0].revents);
            printf("FIONREAD %d\n", nread(p[0]));
            printf("drain: %ld\n", drain(p[0]));
            CHECK("poll read end", poll(pf, 1, 0));
            printf("revents %#x\n", pf[0].revents);
            CHECK("F_SETFL 0", fcntl(p[0], F_SETFL, 0));
            CHECK("blocking read at EOF", read(p[0], small, 10));
            close(p[0]);

            printf("== broken pipe\n");
            pipe(p);
            signal(SIGPIPE, SIG_IGN);
            close(p[0]);
            CHECK("write, no reader", write(p[1], "x", 1));
            pf[0].fd = p[1]; pf[0].events = POLLOUT; pf[0].revents = 0;
            CHECK("poll write end", poll(pf, 1, 0));
            printf("revents %#x\n", pf[0].revents);
            signal(SIGPIPE, on_sigpipe);
            CHECK("write, no reader, handler", write(p[1], "xy", 2));
            printf("sigpipes %d\n", sigpipes);
            signal(SIGPIPE, SIG_IGN);
            close(p[1]);

            printf("== blocking transfer that fits\n");
            pipe(p);
            CHECK("write 65536 blocking", write(p[1], buf, 65536));
            CHECK("read 70000 blocking", read(p[0], buf + 100000, 70000));
            CHECK("same", memcmp(buf, buf + 100000, 65536) == 0);
            close(p[0]); close(p[1]);
        }

        static void polling(void) {
            int p[2];
            pipe(p);
            printf("== poll\n");
            struct pollfd pf[6] = {
                {p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {0, POLLIN | POLLOUT, 0}, {1, POLLOUT, 0}, {-1, POLLIN, 0}, {77, POLLIN, 0},
            };
            CHECK("poll 0", poll(pf, 6, 0));
            for (int i = 0; i < 6; i++) printf(" %#x", pf[i].revents);
            printf("\n");
            CHECK("poll read end 30ms", poll(pf, 1, 30));
            printf("revents %#x\n", pf[0].revents);
            write(p[1], "z", 1);
            CHECK("poll read end after write", poll(pf, 1, 1000));
            printf("revents %#x\n", pf[0].revents);
            CHECK("poll read end infinite", poll(pf, 1, -1));
            read(p[0], buf, 1);
            CHECK("poll nothing 20ms", poll(NULL, 0, 20));
            CHECK("poll huge nfds", syscall(SYS_poll, pf, 1 << 30, 0));
            CHECK("poll bad pointer", syscall(SYS_poll, 8, 1, 0));
            struct timespec ts = {0, 20000000};
            CHECK("ppoll 20ms", syscall(SYS_ppoll, pf, 1, &ts, NULL, 8));
            printf("ppoll time left %ld %ld\n", (long)ts.tv_sec, (long)ts.tv_nsec);
            sigset_t mask;
            sigemptyset(&mask);
            ts.tv_sec = 0; ts.tv_nsec = 1000000;
            CHECK("ppoll mask", ppoll(pf + 1, 1, &ts, &mask));
            CHECK("ppoll bad mask size", syscall(SYS_ppoll, pf, 1, &ts, &mask, 4));
            ts.tv_nsec = 1000000000;
            CHECK("ppoll bad timespec", syscall(SYS_ppoll, pf, 1, &ts, NULL, 8));
            ts.tv_sec = 5; ts.tv_nsec = 0;
            CHECK("ppoll ready, 5s", syscall(SYS_ppoll, pf + 1, 1, &ts, NULL, 8));
            printf("ppoll time left > 4s: %d\n", ts.tv_sec >= 4);

            printf("== select\n");
            fd_set r, w;
            FD_ZERO(&r); FD_ZERO(&w);
            FD_SET(p[0], &r); FD_SET(p[1], &w); FD_SET(1, &w); FD_SET(0, &r);
            struct timeval tv = {0, 0};
            CHECK("select 0", select(p[1] + 1, &r, &w, NULL, &tv));
            printf("r %d %d w %d %d\n", FD_ISSET(0, &r), FD_ISSET(p[0], &r), FD_ISSET(1, &w), FD_ISSET(p[1], &w));
            FD_ZERO(&r); FD_SET(p[0], &r);
            tv.tv_sec = 0; tv.tv_usec = 30000;
            CHECK("select empty 30ms", syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv));
            printf("r %d tv %ld %ld\n", FD_ISSET(p[0], &r), (long)tv.tv_sec, (long)tv.tv_usec);
            write(p[1], "z", 1);
            FD_ZERO(&r); FD_SET(p[0], &r);
            tv.tv_sec = 5; tv.tv_usec = 0;
            CHECK("select ready 5s", syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv));
            printf("r %d tv left > 4s %d\n", FD_ISSET(p[0], &r), tv.tv_sec >= 4);
            CHECK("select null", select(p[0] + 1, &r, NULL, NULL, NULL));
            read(p[0], buf, 1);
            FD_ZERO(&r); FD_SET(50, &r);
            tv.tv_sec = 0; tv.tv_usec = 0;
            CHECK("select bad fd", select(51, &r, NULL, NULL, &tv));
            CHECK("select negative", select(-1, NULL, NULL, NULL, &tv));
            tv.tv_usec = -1;
            CHECK("select bad timeval", select(1, NULL, NULL, NULL, &tv));
            tv.tv_sec = 0; tv.tv_usec = 1500000;
            FD_ZERO(&w); FD_SET(1, &w);
            CHECK("select usec over a second", syscall(SYS_select, 2, NULL, &w, NULL, &tv));
            CHECK("select nothing 10ms", select(0, NULL, NULL, NULL, &(struct timeval){0, 10000}));
            sigset_t mask2;
            sigemptyset(&mask2);
            FD_ZERO(&w); FD_SET(p[1], &w);
            struct timespec ts2 = {1, 0};
            CHECK("pselect", pselect(p[1] + 1, NULL, &w, NULL, &ts2, &mask2));
            struct { const sigset_t *ss; size_t len; } pack = {&mask2, 4};
            CHECK("pselect6 bad size", syscall(SYS_pselect6, p[1] + 1, NULL, &w, NULL, &ts2, &pack));
            FD_ZERO(&r); FD_SET(p[0], &r);
            ts2.tv_sec = 0; ts2.tv_nsec = 20000000;
            pack.len = 8;
            CHECK("pselect6 empty 20ms", syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts2, &pack));
            printf("ts %ld %ld\n", (long)ts2.tv_sec, (long)ts2.tv_nsec);
            close(p[0]); close(p[1]);
        }

        static void show(const char *label, int ep, int max, int timeout) {
            struct epoll_event ev[8];
            errno = 0;
            int n = epoll_wait(ep, ev, max, timeout);
            printf("%s: %d %s", label, n, n < 0 ? strerrorname_np(errno) : "");
            for (int i = 0; i < n; i++) printf(" [%#x %lu]", ev[i].events, (unsigned long)ev[i].data.u64);
            printf("\n");
        }

        static void epolling(const char *self) {
            printf("== epoll\n");
            printf("sizeof epoll_event %zu\n", sizeof(struct epoll_event));
            CHECK("epoll_create 0", epoll_create(0));
            CHECK("epoll_create1 bad", epoll_create1(1));
            int ep = epoll_create1(EPOLL_CLOEXEC);
            printf("cloexec %d\n", fcntl(ep, F_GETFD));
            int p[2];
            pipe(p);
            struct epoll_event e = {EPOLLIN, {.u64 = 11}};
            CHECK("add read end", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
            CHECK("add again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
            show("wait empty", ep, 8, 0);
            show("wait empty 30ms", ep, 8, 30);
            write(p[1], "abc", 3);
            show("wait data", ep, 8, 0);
            show("wait data again (level)", ep, 8, -1);
            e.events = EPOLLOUT; e.data.u64 = 22;
            CHECK("add write end", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &e));
            show("wait both", ep, 8, 0);
            show("wait max 1", ep, 1, 0);
            e.events = EPOLLIN | EPOLLOUT; e.data.u64 = 33;
            CHECK("mod read end", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
            show("wait after mod", ep, 8, 0);
            CHECK("del write end", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
            CHECK("del again", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
            CHECK("mod missing", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &e));
            CHECK("add self", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e));
            int file = open(self, O_RDONLY);
            CHECK("add regular file", epoll_ctl(ep, EPOLL_CTL_ADD, file, &e));
            CHECK("add /dev/null", epoll_ctl(ep, EPOLL_CTL_ADD, 0, &e));
            CHECK("ctl on a non-epoll", epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &e));
            CHECK("bad op", epoll_ctl(ep, 99, p[1], &e));
            CHECK("bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 77, &e));
            CHECK("bad epfd", epoll_ctl(77, EPOLL_CTL_ADD, p[1], &e));
            CHECK("bad event pointer", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], (struct epoll_event *)8));
            e.events = EPOLLIN | EPOLLEXCLUSIVE;
            CHECK("exclusive add", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &e));
            CHECK("exclusive mod", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &e));
            struct epoll_event evs[4];
            CHECK("wait maxevents 0", epoll_wait(ep, evs, 0, 0));
            CHECK("wait non-epoll", epoll_wait(p[0], evs, 4, 0));
            CHECK("wait bad epfd", epoll_wait(77, evs, 4, 0));
            CHECK("wait bad buffer", epoll_wait(ep, (struct epoll_event *)8, 4, 0));
            sigset_t mask;
            sigemptyset(&mask);
            CHECK("pwait", epoll_pwait(ep, evs, 4, 0, &mask));
            CHECK("pwait bad size", syscall(SYS_epoll_pwait, ep, evs, 4, 0, &mask, 4));
            struct timespec ts = {0, 10000000};
            CHECK("pwait2", syscall(SYS_epoll_pwait2, ep, evs, 4, &ts, NULL, 8));
            ts.tv_nsec = -1;
            CHECK("pwait2 bad timespec", syscall(SYS_epoll_pwait2, ep, evs, 4, &ts, NULL, 8));

            printf("== epoll host descriptors\n");
            int hp = epoll_create1(0);
            e.events = EPOLLOUT; e.data.u64 = 1;
            CHECK("add stdout", epoll_ctl(hp, EPOLL_CTL_ADD, 1, &e));
            show("wait stdout", hp, 8, 0);
            e.events = EPOLLIN; e.data.u64 = 2;
            CHECK("mod stdout for input", epoll_ctl(hp, EPOLL_CTL_MOD, 1, &e));
            show("wait stdout for input 20ms", hp, 8, 20);
            close(hp);

            printf("== edge and one-shot\n");
            read(p[0], buf, sizeof buf);
            int et = epoll_create1(0);
            e.events = EPOLLIN | EPOLLET; e.data.u64 = 5;
            epoll_ctl(et, EPOLL_CTL_ADD, p[0], &e);
            show("et empty", et, 8, 0);
            write(p[1], "1", 1);
            show("et first", et, 8, 0);
            show("et again", et, 8, 0);
            write(p[1], "2", 1);
            show("et after write", et, 8, 0);
            read(p[0], buf, 1);
            show("et after partial read", et, 8, 0);
            read(p[0], buf, 10);
            write(p[1], "3", 1);
            show("et after drain and write", et, 8, 0);
            read(p[0], buf, 10);
            int os = epoll_create1(0);
            e.events = EPOLLIN | EPOLLONESHOT; e.data.u64 = 6;
            epoll_ctl(os, EPOLL_CTL_ADD, p[0], &e);
            write(p[1], "4", 1);
            show("oneshot first", os, 8, 0);
            show("oneshot again", os, 8, 0);
            CHECK("oneshot re-arm", epoll_ctl(os, EPOLL_CTL_MOD, p[0], &e));
            show("oneshot re-armed", os, 8, 0);

            printf("== nested\n");
            int outer = epoll_create1(0);
            e.events = EPOLLIN; e.data.u64 = 7;
            CHECK("add inner", epoll_ctl(outer, EPOLL_CTL_ADD, ep, &e));
            CHECK("add outer to inner", epoll_ctl(ep, EPOLL_CTL_ADD, outer, &e));
            show("outer (inner ready)", outer, 8, 0);
            struct pollfd pf = {ep, POLLIN | POLLOUT, 0};
            CHECK("poll epoll fd", poll(&pf, 1, 0));
            printf("revents %#x\n", pf.revents);
            read(p[0], buf, 10);
            show("inner drained", ep, 8, 0);
            show("outer (inner empty)", outer, 8, 0);
            CHECK("poll epoll fd", poll(&pf, 1, 0));
            printf("revents %#x\n", pf.revents);

            printf("== closed files leave\n");
            int c[2];
            pipe(c);
            write(c[1], "q", 1);
            int ce = epoll_create1(0);
            e.events = EPOLLIN; e.data.u64 = 8;
            epoll_ctl(ce, EPOLL_CTL_ADD, c[0], &e);
            show("before close", ce, 8, 0);
            int d = dup(c[0]);
            close(c[0]);
            show("closed, dup open", ce, 8, 0);
            close(d);
            show("closed, no dup", ce, 8, 0);
            close(c[1]);
            e.events = EPOLLOUT; e.data.u64 = 9;
            int q[2];
            pipe(q);
            epoll_ctl(ce, EPOLL_CTL_ADD, q[1], &e);
            close(q[0]);
            show("write end, reader gone", ce, 8, 0);
            close(q[1]);
            close(ce); close(et); close(os); close(outer); close(ep); close(file);
            close(p[0]); close(p[1]);
        }

        static volatile int usr1;
        static void on_usr1(int sig) { (void)sig; usr1++; }

        static void interrupts(void) {
            printf("== interrupted waits\n");
            int p[2];
            pipe(p);
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_usr1;
            sa.sa_flags = SA_RESTART;
            sigaction(SIGUSR1, &sa, NULL);
            sigset_t block, old, none, now;
            sigemptyset(&block);
            sigaddset(&block, SIGUSR1);
            sigemptyset(&none);
            sigprocmask(SIG_BLOCK, &block, &old);
            struct pollfd pf = {p[0], POLLIN, 0};
            raise(SIGUSR1);
            CHECK("ppoll, a pending signal unblocked", ppoll(&pf, 1, NULL, &none));
            sigprocmask(SIG_BLOCK, NULL, &now);
            printf("handler ran %d, mask back %d\n", usr1, sigismember(&now, SIGUSR1));
            raise(SIGUSR1);
            fd_set r;
            FD_ZERO(&r);
            FD_SET(p[0], &r);
            CHECK("pselect, a pending signal unblocked", pselect(p[0] + 1, &r, NULL, NULL, NULL, &none));
            sigprocmask(SIG_BLOCK, NULL, &now);
            printf("handler ran %d, mask back %d, set kept %d\n", usr1, sigismember(&now, SIGUSR1), FD_ISSET(p[0], &r));
            raise(SIGUSR1);
            int ep = epoll_create1(0);
            struct epoll_event e = {EPOLLIN, {.u64 = 1}}, evs[2];
            epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
            CHECK("epoll_pwait, a pending signal unblocked", epoll_pwait(ep, evs, 2, -1, &none));
            sigprocmask(SIG_BLOCK, NULL, &now);
            printf("handler ran %d, mask back %d\n", usr1, sigismember(&now, SIGUSR1));
            write(p[1], "x", 1);
            raise(SIGUSR1);
            CHECK("ppoll ready, a pending signal unblocked", ppoll(&pf, 1, NULL, &none));
            sigset_t pending;
            sigpending(&pending);
            printf("handler ran %d, still pending %d\n", usr1, sigismember(&pending, SIGUSR1));
            sigprocmask(SIG_SETMASK, &old, NULL);
            printf("after unblocking: handler ran %d\n", usr1);
            close(ep);
            close(p[0]);
            close(p[1]);
        }

        int main(int argc, char **argv) {
            (void)argc;
            pipes();
            polling();
            epolling(argv[0]);
            interrupts();
            return 0;
        }
        """;

    public PipeProgramTests() => KernelRunner.RequirePtrace();

    [SkippableFact]
    public void PipesAndPolling_AreTheNativeRuns()
    {
        string exe = CompiledProgram.Build("pipes_and_polling", Source, ["-static"]);
        // Standard input is /dev/null (always ready), so that nothing depends on when a host pipe closes.
        var spec = new RunSpec(exe, [exe]) { StdinFile = "/dev/null" };
        RunResult native = NativeRunner.Run(spec);
        Assert.Equal(0, native.ShellStatus);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }
}
