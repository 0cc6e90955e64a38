// Job-control stops and orphaned process groups, as Linux: SIGTSTP stops a process whose group has
// a parent in another group of its session (here: the test program's child in a group of its own),
// and does nothing in an orphaned group (a child that made a session of its own), where SIGTTIN and
// SIGTTOU do nothing either and only SIGSTOP stops; and a group that its last link's exit orphans
// while a member is stopped gets SIGHUP and SIGCONT (its member's new parent, init or the nearest
// subreaper, is taken to be in another session, as it is unless a subreaper of this session runs
// the test: then the member is killed after 5 s and the line says so).
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_hup(int sig)
{
    (void)sig;
    static const char line[] = "stopped member: SIGHUP once its group was orphaned\n";
    write(1, line, sizeof line - 1);
    _exit(5);
}

static void report(const char *who, pid_t pid)
{
    int status;
    pid_t got = waitpid(pid, &status, WUNTRACED);
    if (got != pid) {
        printf("%s: waitpid failed\n", who);
    } else if (WIFSTOPPED(status)) {
        printf("%s: stopped by signal %d\n", who, WSTOPSIG(status));
        fflush(stdout);
        kill(pid, SIGCONT);
        report(who, pid);
    } else if (WIFEXITED(status)) {
        printf("%s: exited with %d\n", who, WEXITSTATUS(status));
    } else {
        printf("%s: killed by signal %d\n", who, WTERMSIG(status));
    }
    fflush(stdout);
}

static void on_alarm(int sig)
{
    (void)sig;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = { 0 };
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    // A group of its own, linked to the parent's group in the same session: SIGTSTP stops it.
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        raise(SIGTSTP);
        printf("own group: continued after SIGTSTP\n");
        _exit(3);
    }
    report("own group", pid);

    // A session of its own: its group is orphaned.
    pid = fork();
    if (pid == 0) {
        if (setsid() < 0) {
            _exit(9);
        }
        raise(SIGTSTP);
        printf("new session: SIGTSTP did nothing\n");
        raise(SIGTTIN);
        printf("new session: SIGTTIN did nothing\n");
        raise(SIGTTOU);
        printf("new session: SIGTTOU did nothing\n");
        raise(SIGSTOP);
        printf("new session: continued after SIGSTOP\n");
        _exit(4);
    }
    report("new session", pid);

    // A group linked only by its leader M, whose child Q stops itself; M exits.
    int fds[2];
    pipe(fds);
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        pid_t q = fork();
        if (q == 0) {
            close(fds[0]);
            signal(SIGHUP, on_hup);
            pid_t self = getpid();
            write(fds[1], &self, sizeof self);
            raise(SIGSTOP);
            printf("stopped member: continued without SIGHUP\n");
            _exit(6);
        }
        int status;
        waitpid(q, &status, WUNTRACED);
        printf("group leader: its child stopped: %s\n", WIFSTOPPED(status) ? "yes" : "no");
        _exit(0);
    }
    close(fds[1]);
    pid_t q = 0;
    read(fds[0], &q, sizeof q);
    int status;
    waitpid(pid, &status, 0);
    alarm(5);
    char byte;
    if (read(fds[0], &byte, 1) < 0) {
        printf("stopped member: still stopped after 5 s (a subreaper of this session adopted it)\n");
        kill(q, SIGKILL);
    }
    printf("group leader: exited with %d; stopped member: gone\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    printf("done\n");
    return 0;
}
