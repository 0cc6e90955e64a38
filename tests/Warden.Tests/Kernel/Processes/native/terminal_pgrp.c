/* The controlling terminal's foreground process group, as tcgetpgrp and tcsetpgrp see it. Run
   with a terminal on stdin that is the controlling terminal of this process's session (natively:
   setsid -c). Prints only relations between ids and errno names, never the ids themselves. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *name(int e)
{
    switch (e) {
    case 0: return "0";
    case ENOTTY: return "ENOTTY";
    case EINVAL: return "EINVAL";
    case ESRCH: return "ESRCH";
    case EPERM: return "EPERM";
    default: return strerror(e);
    }
}

static void set(const char *what, pid_t group)
{
    errno = 0;
    int r = tcsetpgrp(0, group);
    printf("tcsetpgrp(%s): %d (%s)\n", what, r, name(r == 0 ? 0 : errno));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    /* A background group may set the foreground only with SIGTTOU ignored. */
    signal(SIGTTOU, SIG_IGN);
    pid_t me = getpgrp();
    printf("isatty: %d\n", isatty(0));
    printf("foreground is my group: %s\n", tcgetpgrp(0) == me ? "yes" : "no");
    set("-1", -1);
    set("an unused group", 999999);

    int go[2], ready[2];
    if (pipe(go) || pipe(ready))
        return 1;
    pid_t child = fork();
    if (child == 0) {
        char c;
        setpgid(0, 0);
        if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(1);
        /* Now in its own group, which the parent put in the foreground. */
        printf("child: foreground is my group: %s\n", tcgetpgrp(0) == getpgrp() ? "yes" : "no");
        if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(1);
        _exit(0);
    }
    char c;
    setpgid(child, child);
    if (read(ready[0], &c, 1) != 1)
        return 1;
    set("the child's group", child);
    printf("foreground is the child's group: %s\n", tcgetpgrp(0) == child ? "yes" : "no");
    if (write(go[1], "g", 1) != 1 || read(ready[0], &c, 1) != 1)
        return 1;
    set("my group again", me);
    printf("foreground is my group: %s\n", tcgetpgrp(0) == me ? "yes" : "no");
    if (write(go[1], "g", 1) != 1)
        return 1;
    waitpid(child, NULL, 0);

    /* A process in a new session has no controlling terminal, and its group is of another session. */
    pid_t leader = fork();
    if (leader == 0) {
        setsid();
        errno = 0;
        pid_t g = tcgetpgrp(0);
        printf("new session: tcgetpgrp: %s (%s)\n", g == -1 ? "-1" : "a group", name(g == -1 ? errno : 0));
        set("from the new session", getpgrp());
        if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(1);
        _exit(0);
    }
    if (read(ready[0], &c, 1) != 1)
        return 1;
    set("a group of another session", leader);
    if (write(go[1], "g", 1) != 1)
        return 1;
    waitpid(leader, NULL, 0);
    printf("foreground is my group: %s\n", tcgetpgrp(0) == me ? "yes" : "no");
    printf("done\n");
    return 0;
}
