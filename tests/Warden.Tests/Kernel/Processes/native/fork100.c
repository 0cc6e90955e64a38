// Fork of private and shared memory, for ProcessTests: a MAP_PRIVATE and a MAP_SHARED anonymous
// page are written, then 100 children are forked, all alive at once. Each child checks that it
// sees what the parent wrote, writes its own index into its copy of the private page, adds one
// to a counter in the shared page (atomically) and marks its own slot there, and exits with a
// status that says what it found. The parent waits for each child by pid, checks every status and
// prints its private page (which no child's write may change) and the shared page (which every
// child's write must change). The output is the same on any correct Linux kernel.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { CHILDREN = 100, PATTERN = 0x5a };

struct shared {
    long counter;
    long marker;
    unsigned char slot[CHILDREN];
};

// What a child found, as its exit status: its index if everything was as it should be, else
// 200 + the number of the first check that failed.
static int child(int index, unsigned char *private_page, struct shared *shared, long page)
{
    for (long i = 0; i < page; i++) {
        if (private_page[i] != (unsigned char)(PATTERN + i % 7)) {
            return 201;
        }
    }
    if (shared->marker != 12345) {
        return 202;
    }
    memset(private_page, index, (size_t)page);
    for (long i = 0; i < page; i++) {
        if (private_page[i] != (unsigned char)index) {
            return 203;
        }
    }
    __atomic_fetch_add(&shared->counter, 1, __ATOMIC_SEQ_CST);
    shared->slot[index] = (unsigned char)(index + 1);
    return index;
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *private_page = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct shared *shared = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (private_page == MAP_FAILED || shared == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    for (long i = 0; i < page; i++) {
        private_page[i] = (unsigned char)(PATTERN + i % 7);
    }
    shared->counter = 0;
    shared->marker = 12345;

    pid_t pids[CHILDREN];
    fflush(stdout);
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            perror("fork");
            return 2;
        }
        if (pids[i] == 0) {
            _exit(child(i, private_page, shared, page));
        }
    }

    int ok = 0, distinct = 1;
    for (int i = 0; i < CHILDREN; i++) {
        for (int j = 0; j < i; j++) {
            distinct &= pids[j] != pids[i];
        }
        int status;
        pid_t got = waitpid(pids[i], &status, 0);
        if (got != pids[i]) {
            printf("waitpid for child %d returned %d\n", i, (int)got);
        } else if (!WIFEXITED(status)) {
            printf("child %d did not exit normally: status 0x%x\n", i, status);
        } else if (WEXITSTATUS(status) != i) {
            printf("child %d exited with %d\n", i, WEXITSTATUS(status));
        } else {
            ok++;
        }
    }
    printf("children with the expected status: %d of %d; pids distinct: %s\n", ok, CHILDREN, distinct ? "yes" : "no");
    int status;
    pid_t more = waitpid(-1, &status, WNOHANG);
    printf("one more waitpid: %d (%s)\n", (int)more, more < 0 ? strerrorname_np(errno) : "a child");

    long unchanged = 0;
    unsigned long sum = 0;
    for (long i = 0; i < page; i++) {
        unchanged += private_page[i] == (unsigned char)(PATTERN + i % 7);
        sum += private_page[i];
    }
    printf("private page: %ld of %ld bytes unchanged, sum %lu\n", unchanged, page, sum);
    int slots = 0;
    for (int i = 0; i < CHILDREN; i++) {
        slots += shared->slot[i] == i + 1;
    }
    printf("shared page: counter %ld, marker %ld, slots marked %d\n", shared->counter, shared->marker, slots);
    return ok == CHILDREN ? 0 : 3;
}
