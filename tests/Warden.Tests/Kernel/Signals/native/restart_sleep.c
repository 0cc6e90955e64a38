// Sleeps that a signal interrupts, as Linux finishes them: a nanosleep and a poll that a SIGSTOP
// and SIGCONT interrupt (no handler runs) go on to their first deadline (restart_syscall), not for
// their whole length again; a nanosleep a handler interrupts fails with EINTR and writes what was
// left; restart_syscall called with nothing to restart fails with EINTR.
//
// Prints only what any correct kernel makes the same: each sleep is 1 s, stopped after 0.2 s for
// 0.4 s, so it ends after about 1 s (not 1.6 s); the line says whether it ended within 1.35 s.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pause_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void on_usr1(int sig)
{
    (void)sig;
}

// Runs `what` (0: nanosleep, 1: poll) for 1 s in a child that the parent stops and continues.
static void stopped_and_continued(int what, const char *name)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        double start = now();
        int result;
        if (what == 0) {
            struct timespec ts = { 1, 0 };
            result = nanosleep(&ts, NULL);
        } else {
            result = poll(NULL, 0, 1000);
        }
        double took = now() - start;
        printf("%s stopped and continued: returns %d, ends by its deadline: %s\n", name, result,
               took >= 0.95 && took < 1.35 ? "yes" : "no");
        fflush(stdout);
        _exit(0);
    }
    pause_ms(200);
    kill(pid, SIGSTOP);
    int status;
    waitpid(pid, &status, WUNTRACED);
    printf("%s: child stopped: %s\n", name, WIFSTOPPED(status) ? "yes" : "no");
    fflush(stdout);
    pause_ms(400);
    kill(pid, SIGCONT);
    waitpid(pid, &status, 0);
    printf("%s: child exited with %d\n", name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void)
{
    stopped_and_continued(0, "nanosleep");
    stopped_and_continued(1, "poll");

    // A handler interrupts: EINTR, and the time left written back.
    struct sigaction sa = { 0 };
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pid_t parent = getpid();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pause_ms(200);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct timespec ts = { 1, 0 }, rem = { -1, -1 };
    int result = nanosleep(&ts, &rem);
    int saved = errno;
    double left = rem.tv_sec + rem.tv_nsec / 1e9;
    printf("nanosleep with a handler: returns %d (%s), time left between 0.5 s and 1 s: %s\n", result,
           saved == EINTR ? "EINTR" : "other", left > 0.5 && left < 1.0 ? "yes" : "no");
    waitpid(pid, NULL, 0);

    errno = 0;
    long direct = syscall(SYS_restart_syscall);
    printf("restart_syscall with nothing to restart: %ld (%s)\n", direct, errno == EINTR ? "EINTR" : "other");
    printf("done\n");
    return 0;
}
