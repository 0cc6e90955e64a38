// Copy-on-write after fork, for ProcessTests: touches a 64 MiB heap, forks, and the child writes
// PAGES pages of it spread over the whole heap (every 16th page), so that a fork that copied
// eagerly, or a copy-on-write break that copied more than the page written, shows in the memory
// the sandbox uses while the child is still alive.
//
// It stops twice, each time after a line on standard output, until it reads a line from
// standard input: once with the heap touched and not yet forked ("touched"), once with the child's
// pages written and the child still alive ("child wrote"). A test measures the memory between the
// two. Run natively with both lines of input given at once, it prints the same.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { HEAP = 64 << 20, PAGE = 4096, PAGES = 1000, STRIDE = 16 };

static void wait_for_line(void)
{
    char line[16];
    if (fgets(line, sizeof line, stdin) == NULL) {
        printf("no input\n");
        exit(4);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    unsigned char *heap = malloc(HEAP);
    if (heap == NULL) {
        printf("malloc failed\n");
        return 1;
    }
    for (size_t i = 0; i < HEAP; i += PAGE) {
        heap[i] = (unsigned char)(i / PAGE);
    }
    printf("touched %d MiB\n", HEAP >> 20);
    wait_for_line();

    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        int wrong = 0;
        for (size_t p = 0; p < PAGES; p++) {
            size_t i = p * STRIDE * PAGE;
            wrong += heap[i] != (unsigned char)(i / PAGE);
            heap[i] = 0xee;
        }
        printf("child wrote %d pages (%d read wrong)\n", PAGES, wrong);
        wait_for_line();
        _exit(wrong == 0 ? 0 : 3);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        perror("waitpid");
        return 5;
    }
    int changed = 0;
    for (size_t i = 0; i < HEAP; i += PAGE) {
        changed += heap[i] != (unsigned char)(i / PAGE);
    }
    printf("child exited with %d; parent's pages changed by the child: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1, changed);
    return 0;
}
