/*
 * RLIMIT_FSIZE as Linux enforces it: a write that crosses the limit is cut short at it, one that
 * starts at or past it fails with EFBIG and raises SIGXFSZ (here caught), as does an ftruncate
 * past it; O_APPEND counts from the end of the file. Prints the counts and errnos.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile int caught;
static volatile int code = -1;

static void on_xfsz(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)context;
    caught++;
    code = info->si_code;
}

static void show(const char *what, long r)
{
    printf("%s: %ld %s (SIGXFSZ %d, si_code %d)\n", what, r, r < 0 ? strerror(errno) : "", caught, code);
}

int main(void)
{
    static char buf[8192];
    struct sigaction sa = {0};
    sa.sa_sigaction = on_xfsz;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGXFSZ, &sa, NULL);
    struct rlimit limit = {10000, 10000};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
        return 1;
    int fd = open("limited", O_RDWR | O_CREAT | O_TRUNC, 0644);
    show("write 8192", write(fd, buf, sizeof buf));
    show("write 8192 across the limit", write(fd, buf, sizeof buf));
    show("write 1 at the limit", write(fd, buf, 1));
    show("pwrite at 20000", pwrite(fd, buf, 10, 20000));
    show("pwrite across", pwrite(fd, buf, 100, 9990));
    show("ftruncate 20000", ftruncate(fd, 20000));
    show("ftruncate 5000", ftruncate(fd, 5000));
    int append = open("limited", O_WRONLY | O_APPEND);
    show("append 8192", write(append, buf, sizeof buf));
    show("truncate 30000", truncate("limited", 30000));
    show("write 0 past the limit", pwrite(fd, buf, 0, 50000));
    return 0;
}
