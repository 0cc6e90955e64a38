// read(2), write(2) and ftruncate(2) against mappings of the same file, through one open and
// through a second one: Linux's page cache makes them one. Prints what each side sees; the test
// compares the output with the native run's.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, const char *p, int n)
{
    printf("%s: ", what);
    for (int i = 0; i < n; i++) {
        putchar(p[i] ? p[i] : '.');
    }
    putchar('\n');
}

int main(void)
{
    const char *path = "coherence.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char page[8192];
    memset(page, 'a', sizeof page);
    if (fd < 0 || write(fd, page, sizeof page) != (ssize_t)sizeof page) {
        perror("setup");
        return 1;
    }
    char *shared = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int ro = open(path, O_RDONLY);
    char *other = mmap(NULL, 8192, PROT_READ, MAP_SHARED, ro, 0);
    char *private = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    if (shared == MAP_FAILED || other == MAP_FAILED || private == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    show("mapped", shared, 4);

    // write(2) and pwrite(2) show in every mapping, the private one too (its page is not copied yet).
    pwrite(fd, "bb", 2, 0);
    lseek(fd, 4096, SEEK_SET);
    write(fd, "cc", 2);
    show("after pwrite, shared", shared, 4);
    show("after pwrite, other open", other, 4);
    show("after pwrite, private", private, 4);
    show("after write, second page", other + 4096, 4);

    // What a shared mapping writes, read(2) and pread(2) of either open see.
    shared[2] = 'd';
    shared[4097] = 'e';
    char buf[8] = {0};
    pread(ro, buf, 4, 0);
    show("after a mapping's write, pread", buf, 4);
    lseek(ro, 4096, SEEK_SET);
    read(ro, buf, 4);
    show("after a mapping's write, read", buf, 4);

    // A private copy keeps its bytes; an append grows the file past a page of the mapping.
    private[0] = 'p';
    pwrite(fd, "ff", 2, 0);
    show("private after its own write", private, 4);
    show("shared after a pwrite", shared, 4);
    int app = open(path, O_WRONLY | O_APPEND);
    write(app, "gg", 2);
    printf("size after append: %ld\n", (long)lseek(fd, 0, SEEK_END));

    // ftruncate through a descriptor: the tail of the last page reads as zeros in the mappings.
    ftruncate(fd, 4100);
    show("after truncate, shared tail", shared + 4096, 8);
    show("after truncate, other tail", other + 4096, 8);

    // A forked child writes through its inherited shared mapping; the parent reads the file.
    pid_t pid = fork();
    if (pid == 0) {
        shared[1] = 'k';
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    pread(ro, buf, 4, 0);
    show("after the child's write, pread", buf, 4);
    unlink(path);

    // A file only a read-only open has mapped, truncated through another, writable, open.
    const char *second = "coherence2.dat";
    int w = open(second, O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(w, page, sizeof page);
    int r = open(second, O_RDONLY);
    char *seen = mmap(NULL, 8192, PROT_READ, MAP_SHARED, r, 0);
    show("second file, mapped", seen, 4);
    printf("ftruncate through the writable open: %d\n", ftruncate(w, 2));
    show("second file, after truncate", seen, 4);
    pwrite(w, "zz", 2, 1);
    show("second file, after pwrite", seen, 4);
    unlink(second);
    return 0;
}
