/* Job control on the controlling terminal (stdin), as Linux: a background group that reads it
   gets SIGTTIN (and fails with EIO if it ignores SIGTTIN); one that changes its settings gets
   SIGTTOU (and goes ahead if it ignores SIGTTOU). Run with a terminal on stdin that is the
   controlling terminal of this process's session (natively: setsid -c). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void report(const char *who, pid_t pid)
{
    int status;
    waitpid(pid, &status, WUNTRACED);
    if (WIFSTOPPED(status)) {
        printf("%s: stopped by signal %d\n", who, WSTOPSIG(status));
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    } else if (WIFEXITED(status)) {
        printf("%s: exited with %d\n", who, WEXITSTATUS(status));
    } else {
        printf("%s: killed by signal %d\n", who, WTERMSIG(status));
    }
}

static pid_t background(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
    }
    return pid;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("foreground is my group: %s\n", tcgetpgrp(0) == getpgrp() ? "yes" : "no");
    char byte;
    pid_t pid = background();
    if (pid == 0) {
        signal(SIGTTIN, SIG_IGN);
        errno = 0;
        ssize_t n = read(0, &byte, 1);
        printf("background read, SIGTTIN ignored: %zd (%s)\n", n, errno == EIO ? "EIO" : strerror(errno));
        _exit(0);
    }
    report("background read, SIGTTIN ignored", pid);

    pid = background();
    if (pid == 0) {
        read(0, &byte, 1);
        _exit(1);
    }
    report("background read", pid);

    struct termios settings;
    tcgetattr(0, &settings);
    pid = background();
    if (pid == 0) {
        tcsetattr(0, TCSANOW, &settings);
        _exit(1);
    }
    report("background tcsetattr", pid);

    pid = background();
    if (pid == 0) {
        signal(SIGTTOU, SIG_IGN);
        printf("background tcsetattr, SIGTTOU ignored: %d\n", tcsetattr(0, TCSANOW, &settings));
        _exit(0);
    }
    report("background tcsetattr, SIGTTOU ignored", pid);
    printf("foreground tcsetattr: %d\n", tcsetattr(0, TCSANOW, &settings));
    printf("done\n");
    return 0;
}
