/*
 * The oracle's child process: applies memory system calls to its own address space on request, so
 * that brk (which the test process's allocator owns) can be compared with Warden's.
 *
 * It also serves the wider oracle's calls that would harm the test process (mlockall, fork) or
 * cost it too much there (smaps of a whole .NET process).
 *
 * OP_FORK forks: the forked child makes a system call's write (a[0], the payload) in its own
 * address space, reports its result, and waits; later requests are served by the parent as before.
 * OP_FORK_END lets the forked child go on: it sends a digest of each page of the regions OP_FORK
 * named (a[1], a[2]) and (a[3], a[4]), read through its /proc/self/mem (0 for an unmapped page),
 * and exits; they are OP_FORK_END's payload.
 *
 * Protocol (native byte order, over stdin/stdout):
 *   on start:  u64 initial program break (brk(0) after the C library's start-up)
 *   request:   u32 op, u32 payload length, u64 a[5], then the payload (the bytes of OP_VMWRITE)
 *   response:  i64 result, i64 errno (0 on success), u64 payload length, then the payload
 *
 * Nothing here allocates after start-up: buffers are static, system calls are raw.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    OP_MMAP = 1,
    OP_MUNMAP = 2,
    OP_MPROTECT = 3,
    OP_MREMAP = 4,
    OP_MADVISE = 5,
    OP_BRK = 6,
    OP_VMWRITE = 7,
    OP_VMREAD = 8,
    OP_MEMREAD = 9,
    OP_MAPS = 10,
    OP_EXIT = 11,
    OP_MINCORE = 12,
    OP_MLOCK = 13,
    OP_MUNLOCK = 14,
    OP_MLOCKALL = 15,
    OP_MUNLOCKALL = 16,
    OP_SMAPS = 17,
    OP_FORK = 18,
    OP_FORK_END = 19,
};

#define BUFFER_SIZE (4u << 20)

struct request {
    uint32_t op;
    uint32_t payload;
    uint64_t a[5];
};

struct response {
    int64_t result;
    int64_t error;
    uint64_t payload;
};

static unsigned char buffer[BUFFER_SIZE];
static pid_t self;
static int mem_fd = -1;

/* The forked child of OP_FORK, while it waits for OP_FORK_END, and the pipes to it. */
static pid_t forked = -1;
static int forked_go = -1;
static int forked_back = -1;
static uint64_t forked_regions[4];

static int read_full(int fd, void *p, size_t n)
{
    unsigned char *c = p;
    while (n > 0) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *p, size_t n)
{
    const unsigned char *c = p;
    while (n > 0) {
        ssize_t r = write(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

/* The result of a raw system call made through syscall(): -1 with errno on failure. */
static void from_syscall(struct response *rsp, long r)
{
    rsp->result = r;
    rsp->error = r == -1 ? errno : 0;
}

/* Reads the whole of a /proc file into buffer; returns its length or -1. */
static long read_proc(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t used = 0;
    for (;;) {
        ssize_t r = read(fd, buffer + used, BUFFER_SIZE - used);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        used += (size_t)r;
        if (used == BUFFER_SIZE)
            break;
    }
    close(fd);
    return (long)used;
}

/* FNV-1a over a page, with the low bit set so that no page's digest is 0 (an unmapped page's). */
static uint64_t page_digest(const unsigned char *page)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < 4096; i++) {
        h ^= page[i];
        h *= 1099511628211ULL;
    }
    return h | 1;
}

/* The vmas of the forked child (start, end pairs), read from its maps. */
#define MAX_VMAS 70000
static uint64_t vmas[2 * MAX_VMAS];

/* The forked child's life: the write, its result to the parent, then the digests on request. */
static void forked_child(uint64_t addr, uint32_t length)
{
    static unsigned char page[4096];
    static uint64_t digests[512];
    pid_t me = getpid();
    struct iovec local = {buffer, length};
    struct iovec remote = {(void *)addr, length};
    long r = length == 0 ? 0 : syscall(SYS_process_vm_writev, me, &local, 1UL, &remote, 1UL, 0UL);
    int64_t result[2] = {r, r == -1 ? errno : 0};
    char go;
    if (write_full(forked_back, result, sizeof result) != 0 || read_full(forked_go, &go, 1) != 0)
        _exit(1);
    /* /proc/self/mem as opened before the fork reads the parent: open the child's own. */
    int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (mem < 0)
        _exit(2);
    /* Only mapped pages are read: a read below a grows-down vma would grow it. */
    long maps_length = read_proc("/proc/self/maps");
    if (maps_length < 0 || maps_length == BUFFER_SIZE)
        _exit(3);
    buffer[maps_length] = 0;
    size_t vma_count = 0;
    for (char *line = (char *)buffer; *line != 0 && vma_count < MAX_VMAS;) {
        char *end;
        vmas[2 * vma_count] = strtoull(line, &end, 16);
        vmas[2 * vma_count + 1] = strtoull(end + 1, NULL, 16);
        vma_count++;
        char *next = strchr(line, '\n');
        if (next == NULL)
            break;
        line = next + 1;
    }
    size_t used = 0;
    for (int region = 0; region < 2; region++) {
        size_t vma = 0;
        for (uint64_t at = forked_regions[2 * region]; at < forked_regions[2 * region + 1]; at += 4096) {
            while (vma < vma_count && vmas[2 * vma + 1] <= at)
                vma++;
            int mapped = vma < vma_count && vmas[2 * vma] <= at;
            digests[used++] = mapped && pread(mem, page, sizeof page, (off_t)at) == (ssize_t)sizeof page ? page_digest(page) : 0;
            if (used == 512) {
                if (write_full(forked_back, digests, sizeof digests) != 0)
                    _exit(1);
                used = 0;
            }
        }
    }
    if (write_full(forked_back, digests, used * sizeof digests[0]) != 0)
        _exit(1);
    _exit(0);
}

/* Ends the forked child: its digests into buffer; returns their byte count, or -1. */
static long end_forked(void)
{
    if (forked < 0)
        return 0;
    long used = 0;
    char go = 'g';
    if (write_full(forked_go, &go, 1) == 0) {
        for (;;) {
            ssize_t r = read(forked_back, buffer + used, BUFFER_SIZE - (size_t)used);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            used += r;
        }
    }
    close(forked_go);
    close(forked_back);
    int status;
    while (waitpid(forked, &status, 0) < 0 && errno == EINTR) {
    }
    forked = -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? used : -1;
}

static int serve(void)
{
    struct request req;
    if (read_full(0, &req, sizeof req) != 0)
        return 1;
    if (req.payload > BUFFER_SIZE || read_full(0, buffer, req.payload) != 0)
        return 1;

    struct response rsp = {0, 0, 0};
    uint64_t *a = req.a;
    errno = 0;
    switch (req.op) {
    case OP_MMAP:
        from_syscall(&rsp, syscall(SYS_mmap, a[0], a[1], (int)a[2], (int)a[3], -1, 0));
        break;
    case OP_MUNMAP:
        from_syscall(&rsp, syscall(SYS_munmap, a[0], a[1]));
        break;
    case OP_MPROTECT:
        from_syscall(&rsp, syscall(SYS_mprotect, a[0], a[1], (int)a[2]));
        break;
    case OP_MREMAP:
        from_syscall(&rsp, syscall(SYS_mremap, a[0], a[1], a[2], (int)a[3], a[4]));
        break;
    case OP_MADVISE:
        from_syscall(&rsp, syscall(SYS_madvise, a[0], a[1], (int)a[2]));
        break;
    case OP_BRK:
        /* The raw system call never fails: it returns the new or the unchanged break. */
        rsp.result = syscall(SYS_brk, a[0]);
        break;
    case OP_VMWRITE: {
        struct iovec local = {buffer, req.payload};
        struct iovec remote = {(void *)a[0], req.payload};
        from_syscall(&rsp, syscall(SYS_process_vm_writev, self, &local, 1UL, &remote, 1UL, 0UL));
        break;
    }
    case OP_VMREAD: {
        if (a[1] > BUFFER_SIZE)
            return 1;
        struct iovec local = {buffer, a[1]};
        struct iovec remote = {(void *)a[0], a[1]};
        from_syscall(&rsp, syscall(SYS_process_vm_readv, self, &local, 1UL, &remote, 1UL, 0UL));
        rsp.payload = rsp.result > 0 ? (uint64_t)rsp.result : 0;
        break;
    }
    case OP_MEMREAD: {
        if (a[1] > BUFFER_SIZE)
            return 1;
        from_syscall(&rsp, pread(mem_fd, buffer, a[1], (off_t)a[0]));
        rsp.payload = rsp.result > 0 ? (uint64_t)rsp.result : 0;
        break;
    }
    case OP_MAPS: {
        long n = read_proc("/proc/self/maps");
        rsp.result = n;
        rsp.error = n < 0 ? errno : 0;
        rsp.payload = n > 0 ? (uint64_t)n : 0;
        break;
    }
    case OP_MINCORE: {
        /* The vector is the response's payload: one byte per page of the range. */
        uint64_t pages = a[2];
        if (pages > BUFFER_SIZE)
            return 1;
        memset(buffer, 0xee, pages);
        from_syscall(&rsp, syscall(SYS_mincore, a[0], a[1], buffer));
        rsp.payload = pages;
        break;
    }
    case OP_MLOCK:
        /* Flags 0 is mlock(2) itself; anything else goes to mlock2(2). */
        if (a[2] == 0)
            from_syscall(&rsp, syscall(SYS_mlock, a[0], a[1]));
        else
            from_syscall(&rsp, syscall(SYS_mlock2, a[0], a[1], (int)a[2]));
        break;
    case OP_MUNLOCK:
        from_syscall(&rsp, syscall(SYS_munlock, a[0], a[1]));
        break;
    case OP_MLOCKALL:
        from_syscall(&rsp, syscall(SYS_mlockall, (int)a[0]));
        break;
    case OP_MUNLOCKALL:
        from_syscall(&rsp, syscall(SYS_munlockall));
        break;
    case OP_SMAPS: {
        long n = read_proc("/proc/self/smaps");
        rsp.result = n;
        rsp.error = n < 0 ? errno : 0;
        rsp.payload = n > 0 ? (uint64_t)n : 0;
        break;
    }
    case OP_FORK: {
        /* One forked child at a time (the payload is in buffer, which OP_FORK_END fills). */
        if (forked >= 0)
            return 1;
        int go[2], back[2];
        if (pipe2(go, O_CLOEXEC) != 0 || pipe2(back, O_CLOEXEC) != 0)
            return 1;
        memcpy(forked_regions, &a[1], sizeof forked_regions);
        pid_t pid = fork();
        if (pid < 0) {
            rsp.result = -1;
            rsp.error = errno;
            close(go[0]); close(go[1]); close(back[0]); close(back[1]);
            break;
        }
        if (pid == 0) {
            close(go[1]);
            close(back[0]);
            forked_go = go[0];
            forked_back = back[1];
            forked_child(a[0], req.payload);
        }
        close(go[0]);
        close(back[1]);
        forked = pid;
        forked_go = go[1];
        forked_back = back[0];
        int64_t result[2];
        if (read_full(forked_back, result, sizeof result) != 0)
            return 1;
        rsp.result = result[0];
        rsp.error = result[1];
        break;
    }
    case OP_FORK_END: {
        long n = end_forked();
        if (n < 0)
            return 1;
        rsp.result = n;
        rsp.payload = (uint64_t)n;
        break;
    }
    case OP_EXIT:
        write_full(1, &rsp, sizeof rsp);
        return 1;
    default:
        rsp.result = -1;
        rsp.error = EINVAL;
        break;
    }
    if (write_full(1, &rsp, sizeof rsp) != 0 || write_full(1, buffer, rsp.payload) != 0)
        return 1;
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    /* Run without address randomisation (re-executing once), so a seed's brk addresses repeat. */
    int persona = personality(0xffffffff);
    if (persona != -1 && !(persona & ADDR_NO_RANDOMIZE) && personality((unsigned long)persona | ADDR_NO_RANDOMIZE) != -1)
        execv("/proc/self/exe", argv);

    self = getpid();
    mem_fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (mem_fd < 0)
        return 2;
    uint64_t initial = (uint64_t)syscall(SYS_brk, 0UL);
    if (write_full(1, &initial, sizeof initial) != 0)
        return 2;
    while (serve() == 0) {
    }
    return 0;
}
