// ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time: a program that computes (with no
// system call in its loop) gets SIGVTALRM, then SIGPROF, every period; a sleeping one gets
// neither; getitimer reports an armed timer's time left within its period, and 0 once disarmed.
// The CPU-time clocks (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, clock_getcpuclockid's)
// advance while it computes, not while it sleeps.
//
// Prints only what any correct kernel makes the same: counts and yes/no, no times.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t vtalrm, prof;

static void on_signal(int sig)
{
    if (sig == SIGVTALRM) {
        vtalrm++;
    } else {
        prof++;
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Computes until `*count` reaches 3 or 5 s have passed (looking at the clock only now and then).
static int spin_until(volatile sig_atomic_t *count)
{
    double start = now();
    volatile unsigned long x = 0;
    while (*count < 3) {
        for (int i = 0; i < 1000000; i++) {
            x += i;
        }
        if (now() - start > 5) {
            return 0;
        }
    }
    return 1;
}

static void run(int which, const char *name, volatile sig_atomic_t *count)
{
    struct itimerval tv = { { 0, 20000 }, { 0, 20000 } };
    setitimer(which, &tv, NULL);
    struct itimerval left;
    getitimer(which, &left);
    // Linux adds a scheduler tick (1 to 10 ms) to a new setting.
    printf("%s: armed, time left within its period and a tick: %s, interval kept: %s\n", name,
           left.it_value.tv_sec == 0 && left.it_value.tv_usec > 0 && left.it_value.tv_usec <= 30000 ? "yes" : "no",
           left.it_interval.tv_sec == 0 && left.it_interval.tv_usec == 20000 ? "yes" : "no");
    printf("%s: three signals while computing: %s\n", name, spin_until(count) ? "yes" : "no");
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(which, &off, NULL);
    getitimer(which, &left);
    printf("%s: disarmed, reads 0: %s\n", name, left.it_value.tv_sec == 0 && left.it_value.tv_usec == 0 ? "yes" : "no");
}

static double cpu(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) {
        return -1;
    }
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

static void clocks(void)
{
    clockid_t own;
    int error = clock_getcpuclockid(getpid(), &own);
    printf("clock_getcpuclockid of itself: %s\n", error == 0 ? "0" : strerror(error));
    double p0 = cpu(CLOCK_PROCESS_CPUTIME_ID), t0 = cpu(CLOCK_THREAD_CPUTIME_ID), o0 = cpu(own);
    compute(0.2);
    double p1 = cpu(CLOCK_PROCESS_CPUTIME_ID), t1 = cpu(CLOCK_THREAD_CPUTIME_ID), o1 = cpu(own);
    printf("computing 0.2 s: the process, thread and pid clocks advance 0.1 to 0.5 s: %s %s %s\n",
           p1 - p0 > 0.1 && p1 - p0 < 0.5 ? "yes" : "no", t1 - t0 > 0.1 && t1 - t0 < 0.5 ? "yes" : "no",
           o1 - o0 > 0.1 && o1 - o0 < 0.5 ? "yes" : "no");
    struct timespec nap = { 0, 200000000 };
    while (nanosleep(&nap, &nap) != 0) {
    }
    double p2 = cpu(CLOCK_PROCESS_CPUTIME_ID);
    printf("sleeping 0.2 s: the process clock advances less than 0.05 s: %s\n", p2 - p1 < 0.05 ? "yes" : "no");
    struct timespec res;
    clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res);
    printf("its resolution: %ld s %ld ns\n", (long)res.tv_sec, res.tv_nsec);
    clockid_t none;
    error = clock_getcpuclockid(999999, &none);
    printf("clock_getcpuclockid of no process: %s\n", error == 0 ? "0" : error == ESRCH ? "ESRCH" : "other");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGVTALRM, &sa, NULL);
    sigaction(SIGPROF, &sa, NULL);

    run(ITIMER_VIRTUAL, "ITIMER_VIRTUAL", &vtalrm);
    run(ITIMER_PROF, "ITIMER_PROF", &prof);

    // Asleep, a process uses no CPU time: a 20 ms virtual timer does not expire in 300 ms.
    vtalrm = 0;
    struct itimerval tv = { { 0, 0 }, { 0, 20000 } };
    setitimer(ITIMER_VIRTUAL, &tv, NULL);
    struct timespec nap = { 0, 300000000 };
    while (nanosleep(&nap, &nap) != 0) {
    }
    printf("ITIMER_VIRTUAL while asleep: expired: %s\n", vtalrm ? "yes" : "no");
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_VIRTUAL, &off, NULL);
    clocks();
    printf("done\n");
    return 0;
}
