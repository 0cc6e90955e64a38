// The fork workload of bench/e2e: a process with a touched heap forks, the child writes some pages
// of the heap (a copy-on-write break each) and exits, the parent waits; FORKS times in a row.
//
//   gcc -static -O2 -o fork_child_writes fork_child_writes.c && ./fork_child_writes [MiB=64] [forks=20] [pages=1000]
//
// The whole run is timed from outside (hyperfine), start-up and the first touch of the heap
// included; FORKS is there so that the forks, not the touch, make most of the time. The pages the
// child writes are spread evenly over the heap. It prints one line that says whether every child
// saw the parent's memory and exited with 0, the same line on any correct kernel.
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    int forks = argc > 2 ? atoi(argv[2]) : 20;
    size_t pages = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
    size_t len = mib << 20, heap_pages = len / 4096;
    if (pages == 0 || pages > heap_pages) {
        fprintf(stderr, "pages must be 1 to %zu\n", heap_pages);
        return 2;
    }
    size_t stride = heap_pages / pages;
    unsigned char *heap = malloc(len);
    if (heap == NULL) {
        perror("malloc");
        return 1;
    }
    for (size_t i = 0; i < len; i += 4096) {
        heap[i] = (unsigned char)(i >> 12);
    }
    int good = 0;
    for (int f = 0; f < forks; f++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            int wrong = 0;
            for (size_t p = 0; p < pages; p++) {
                size_t i = p * stride * 4096;
                wrong += heap[i] != (unsigned char)(i >> 12);
                heap[i] = 0xee;
            }
            _exit(wrong != 0);
        }
        int status;
        if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            good++;
        }
    }
    printf("%d of %d forks of a %zu MiB heap: the child wrote %zu pages and exited with 0\n", good, forks, mib, pages);
    return good == forks ? 0 : 1;
}
