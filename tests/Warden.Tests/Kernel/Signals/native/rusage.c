// getrusage, times and wait4's rusage count CPU time as Linux: the process's own after it computes,
// a child's in wait4's struct rusage, and the reaped child's in RUSAGE_CHILDREN and times'
// children fields; the peak resident set is reported; an unknown `who` is EINVAL.
//
// Prints only yes/no and errno names: each computation is 0.2 s of a loop.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void compute(double seconds)
{
    double start = now();
    volatile unsigned long x = 0;
    while (now() - start < seconds) {
        for (int i = 0; i < 100000; i++) {
            x += i;
        }
    }
}

static double cpu_of(const struct rusage *ru)
{
    return ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 + ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

static const char *between(double x, double low, double high)
{
    return x >= low && x < high ? "yes" : "no";
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    compute(0.2);
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    printf("RUSAGE_SELF after computing 0.2 s: 0.1 to 0.5 s of CPU: %s, a peak resident set: %s\n",
           between(cpu_of(&self), 0.1, 0.5), self.ru_maxrss > 0 ? "yes" : "no");
    struct rusage thread;
    getrusage(RUSAGE_THREAD, &thread);
    printf("RUSAGE_THREAD: 0.1 to 0.5 s: %s\n", between(cpu_of(&thread), 0.1, 0.5));
    struct rusage children;
    getrusage(RUSAGE_CHILDREN, &children);
    printf("RUSAGE_CHILDREN before any child: under 0.05 s: %s\n", between(cpu_of(&children), 0, 0.05));

    pid_t pid = fork();
    if (pid == 0) {
        compute(0.2);
        _exit(0);
    }
    struct rusage child;
    int status;
    wait4(pid, &status, 0, &child);
    printf("wait4's rusage of a child that computed 0.2 s: 0.1 to 0.5 s: %s\n", between(cpu_of(&child), 0.1, 0.5));
    getrusage(RUSAGE_CHILDREN, &children);
    printf("RUSAGE_CHILDREN after reaping it: 0.1 to 0.5 s: %s\n", between(cpu_of(&children), 0.1, 0.5));

    struct tms tms;
    clock_t start = times(&tms);
    long hz = sysconf(_SC_CLK_TCK);
    printf("times: own 10 to 50 hundredths: %s, children's: %s\n",
           between((double)(tms.tms_utime + tms.tms_stime) / hz, 0.1, 0.5),
           between((double)(tms.tms_cutime + tms.tms_cstime) / hz, 0.1, 0.5));
    struct timespec nap = { 0, 200000000 };
    nanosleep(&nap, NULL);
    clock_t end = times(NULL);
    printf("times' return advances 0.15 to 0.5 s over a 0.2 s sleep: %s\n", between((double)(end - start) / hz, 0.15, 0.5));

    errno = 0;
    int r = getrusage(5, &self);
    printf("getrusage(5): %d (%s)\n", r, errno == EINVAL ? "EINVAL" : "other");
    printf("done\n");
    return 0;
}
