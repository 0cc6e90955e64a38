// Linux baseline for MemoryManagerForkBenchmarks: fork of a process with a populated private anonymous
// region, and the first write to each page after the fork (copy-on-write breaks).
//
//   gcc -O2 -o fork_bench fork_bench.c && ./fork_bench [MiB=64] [iterations=30]
//
// Prints one line per measurement, "name median_ns mean_ns", times per operation:
//   fork_exit_wait        fork(); the child _exit(0)s at once; the parent waitpid()s (what a Warden Fork
//                         plus the child's Dispose compares with)
//   first_write_per_page  one byte written to every page of the region while a forked child (blocked on a
//                         pipe) still shares it: a copy-on-write fault each; per page
//   write_per_page        the same writes with no child (pages already private): the loop's own cost
// The region uses 4 KiB pages (transparent huge pages are "madvise" here and it is not madvised).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, long long *samples, int n, double per) {
    double mean = 0;
    for (int i = 0; i < n; i++) mean += (double)samples[i];
    mean /= n;
    qsort(samples, n, sizeof *samples, cmp_ll);
    double median = n % 2 ? (double)samples[n / 2] : ((double)samples[n / 2 - 1] + (double)samples[n / 2]) / 2;
    printf("%s %.1f %.1f\n", name, median / per, mean / per);
}

static void touch(volatile char *p, size_t len, char v) {
    for (size_t off = 0; off < len; off += 4096) p[off] = v;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    int iters = argc > 2 ? atoi(argv[2]) : 30;
    size_t len = mib << 20, pages = len / 4096;
    char *region = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) { perror("mmap"); return 1; }
    touch(region, len, 1);
    long long *samples = calloc((size_t)iters, sizeof *samples);
    if (!samples) return 1;

    for (int i = -3; i < iters; i++) {
        long long t0 = now_ns();
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) _exit(0);
        if (waitpid(pid, NULL, 0) != pid) { perror("waitpid"); return 1; }
        if (i >= 0) samples[i] = now_ns() - t0;
    }
    report("fork_exit_wait", samples, iters, 1);

    for (int i = -3; i < iters; i++) {
        int fds[2];
        if (pipe(fds) != 0) { perror("pipe"); return 1; }
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            char c;
            close(fds[1]);
            (void)!read(fds[0], &c, 1); // returns at EOF, once the parent has written every page
            _exit(0);
        }
        close(fds[0]);
        long long t0 = now_ns();
        touch(region, len, (char)(i + 2));
        long long t = now_ns() - t0;
        close(fds[1]);
        if (waitpid(pid, NULL, 0) != pid) { perror("waitpid"); return 1; }
        if (i >= 0) samples[i] = t;
    }
    report("first_write_per_page", samples, iters, (double)pages);

    for (int i = -3; i < iters; i++) {
        long long t0 = now_ns();
        touch(region, len, (char)i);
        if (i >= 0) samples[i] = now_ns() - t0;
    }
    report("write_per_page", samples, iters, (double)pages);

    free(samples);
    munmap(region, len);
    return 0;
}
