/*
 * The gVisor comparison for the ptrace platform's system call round trip: calls getpid N times
 * (default 1000000) and prints the time per call in nanoseconds, measured inside the program with
 * CLOCK_MONOTONIC around the loop (after a warm-up of N/10 calls), so that neither process start-up
 * nor a sandbox's start-up is counted. With a second argument, the figure is written to that file.
 *
 * Build: gcc -O2 -static -o getpid_loop getpid_loop.c
 * Run:   ./getpid_loop 1000000
 *        runsc --network=none --platform=ptrace do ./getpid_loop 100000
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (n <= 0) {
        fprintf(stderr, "usage: %s [N > 0] [output file]\n", argv[0]);
        return 2;
    }
    /* syscall() rather than getpid(): no C library may answer it from a cache. */
    for (long i = 0; i < n / 10 + 1; i++) {
        syscall(SYS_getpid);
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < n; i++) {
        syscall(SYS_getpid);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ns = ((double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec)) / (double)n;

    FILE *out = argc > 2 ? fopen(argv[2], "w") : stdout;
    if (out == NULL) {
        perror("fopen");
        return 1;
    }
    fprintf(out, "%.1f\n", ns);
    return out == stdout || fclose(out) == 0 ? 0 : 1;
}
