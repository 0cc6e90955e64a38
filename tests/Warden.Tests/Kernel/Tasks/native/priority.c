/*
 * getpriority, setpriority, ioprio_get and ioprio_set as Linux 6.18 answers them: the raw
 * getpriority result (20 - nice), clamping to 19, EINVAL and ESRCH, inheritance by a child, a
 * root caller lowering its nice value, a process group of one; ioprio classes and levels (the
 * bits above the level are hints), a class of none with a level refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static void show(const char *what, long r) { printf("%s: %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : ""); }
int main(void) {
    show("ioprio_get self", syscall(SYS_ioprio_get, 1, 0));
    show("ioprio_set idle", syscall(SYS_ioprio_set, 1, 0, 3 << 13));
    show("ioprio_get self", syscall(SYS_ioprio_get, 1, 0));
    show("ioprio_set bad class", syscall(SYS_ioprio_set, 1, 0, 5 << 13));
    show("ioprio_set be 9", syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 9));
    show("ioprio_set none 1", syscall(SYS_ioprio_set, 1, 0, 1));
    show("ioprio_get bad which", syscall(SYS_ioprio_get, 9, 0));
    show("ioprio_get no such pid", syscall(SYS_ioprio_get, 1, 999999));
    show("getpriority raw", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    show("setpriority 7", setpriority(PRIO_PROCESS, 0, 7));
    show("getpriority raw", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    show("setpriority 50", setpriority(PRIO_PROCESS, 0, 50));
    show("getpriority", getpriority(PRIO_PROCESS, getpid()));
    show("setpriority bad which", setpriority(7, 0, 1));
    show("setpriority no such pid", setpriority(PRIO_PROCESS, 999999, 1));
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        printf("child inherits nice %d ioprio %ld\n", getpriority(PRIO_PROCESS, 0), syscall(SYS_ioprio_get, 1, 0));
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    show("setpriority -5 (root may)", setpriority(PRIO_PROCESS, 0, -5));
    show("getpriority", getpriority(PRIO_PROCESS, 0));
    setsid();
    show("getpriority pgrp", syscall(SYS_getpriority, PRIO_PGRP, 0));
    show("ioprio_get pgrp", syscall(SYS_ioprio_get, 2, 0));
    return 0;
}
