/*
 * A procfs file opened while its process lived and read after the process died: a zombie's maps
 * and cmdline read as empty, its status, stat and comm still read (status says it is a zombie);
 * once reaped, every read is ESRCH. Prints only what any Linux prints the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    const char *names[] = {"maps", "cmdline", "status", "stat", "comm"};
    for (int reaped = 0; reaped < 2; reaped++) {
        for (int i = 0; i < 5; i++) {
            int ready[2];
            if (pipe(ready) != 0)
                return 1;
            pid_t child = fork();
            if (child == 0) {
                close(ready[0]);
                write(ready[1], "x", 1);
                pause();
                _exit(0);
            }
            char byte, path[64], buf[4096];
            close(ready[1]);
            read(ready[0], &byte, 1);
            close(ready[0]);
            snprintf(path, sizeof path, "/proc/%d/%s", (int)child, names[i]);
            int fd = open(path, O_RDONLY);
            kill(child, SIGKILL);
            siginfo_t si;
            waitid(P_PID, (id_t)child, &si, WEXITED | (reaped ? 0 : WNOWAIT));
            ssize_t n = read(fd, buf, sizeof buf - 1);
            const char *zombie = "";
            if (n > 0 && i == 2) {
                buf[n] = '\0';
                zombie = strstr(buf, "State:\tZ") != NULL ? " (says zombie)" : " (says not a zombie)";
            }
            printf("%s %s: %s%s\n", reaped ? "reaped" : "zombie", names[i],
                   n < 0 ? strerror(errno) : n == 0 ? "empty" : "some", zombie);
            close(fd);
            if (!reaped)
                waitpid(child, NULL, 0);
        }
    }
    return 0;
}
