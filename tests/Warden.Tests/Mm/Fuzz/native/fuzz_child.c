/*
 * The kernel fuzzer's child process: makes whatever memory system call it is sent, with the raw
 * arguments it is sent, against its own address space, and answers with the kernel's raw return.
 *
 * Protocol (native byte order, over stdin/stdout):
 *   setup (first):  u32 file count, u32 drop privileges (1: become 65534:65534), u64 RLIMIT_MEMLOCK
 *                   (soft = hard; ~0 leaves it alone), then per file: u32 fd, u32 open flags,
 *                   u32 path length, the path. Every inherited descriptor above 2 is closed first;
 *                   each file is opened and moved to its fd number.
 *   hello (reply):  u64 initial program break, u64 address of the vector buffer, u64 its size.
 *   request:        u32 op, u32 bytes of the vector buffer to send back, u64 system call number,
 *                   u64 args[6].
 *   response:       i64 result (the kernel's: a negative errno on failure), u64 payload length,
 *                   then the payload (OP_SYSCALL: the start of the vector buffer; OP_MAPS: maps).
 *
 * Nothing here allocates after start-up: buffers are static, system calls are raw. The process
 * never maps, unmaps or protects anything itself, so the test can mirror its address space.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
    OP_SYSCALL = 1,
    OP_MAPS = 2,
    OP_EXIT = 3,
};

#define MAPS_SIZE (1u << 20)
#define VECTOR_SIZE (64u << 10)
#define PATH_SIZE 4096u

struct request {
    uint32_t op;
    uint32_t copy_back;
    uint64_t nr;
    uint64_t a[6];
};

struct response {
    int64_t result;
    uint64_t payload;
};

static unsigned char maps[MAPS_SIZE];
/* mincore's vector, page-aligned so that the test can reason about the pages it spans. */
static unsigned char vector[VECTOR_SIZE] __attribute__((aligned(4096)));
static char path[PATH_SIZE];

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

static long read_maps(void)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t used = 0;
    for (;;) {
        ssize_t r = read(fd, maps + used, MAPS_SIZE - used);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        used += (size_t)r;
        if (used == MAPS_SIZE)
            break;
    }
    close(fd);
    return (long)used;
}

static int setup(void)
{
    uint32_t head[2];
    uint64_t memlock;
    if (read_full(0, head, sizeof head) != 0 || read_full(0, &memlock, sizeof memlock) != 0)
        return -1;
    /* Only the test's files may be open: a descriptor inherited from the test host would differ from Warden's table. */
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
        return -1;
    for (uint32_t i = 0; i < head[0]; i++) {
        uint32_t file[3];
        if (read_full(0, file, sizeof file) != 0 || file[2] >= PATH_SIZE || read_full(0, path, file[2]) != 0)
            return -1;
        path[file[2]] = '\0';
        int fd = open(path, (int)file[1]);
        if (fd < 0)
            return -1;
        if ((uint32_t)fd != file[0]) {
            if (dup2(fd, (int)file[0]) < 0)
                return -1;
            close(fd);
        }
    }
    if (memlock != UINT64_MAX) {
        struct rlimit limit = {memlock, memlock};
        if (setrlimit(RLIMIT_MEMLOCK, &limit) != 0)
            return -1;
    }
    /*
     * Stay on one CPU: some answers depend on per-CPU page batches, which a call drains only on
     * its own CPU (MADV_PAGEOUT after MADV_FREE keeps the page resident when the child moved
     * between the two: kernel fuzz seed 22273).
     */
    unsigned cpu = 0;
    unsigned long mask[16] = {0};
    if (syscall(SYS_getcpu, &cpu, NULL, NULL) != 0 || cpu >= sizeof mask * 8)
        return -1;
    mask[cpu / (sizeof mask[0] * 8)] = 1UL << (cpu % (sizeof mask[0] * 8));
    if (syscall(SYS_sched_setaffinity, 0, sizeof mask, mask) != 0)
        return -1;
    if (head[1] != 0 && (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0))
        return -1;
    return 0;
}

static int serve(void)
{
    struct request req;
    if (read_full(0, &req, sizeof req) != 0)
        return 1;
    struct response rsp = {0, 0};
    const unsigned char *payload = vector;
    switch (req.op) {
    case OP_SYSCALL: {
        if (req.copy_back > VECTOR_SIZE)
            return 1;
        uint64_t *a = req.a;
        long r = syscall((long)req.nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        rsp.result = r == -1 ? -(int64_t)errno : (int64_t)r;
        rsp.payload = req.copy_back;
        break;
    }
    case OP_MAPS: {
        long n = read_maps();
        rsp.result = n;
        rsp.payload = n > 0 ? (uint64_t)n : 0;
        payload = maps;
        break;
    }
    case OP_EXIT:
        write_full(1, &rsp, sizeof rsp);
        return 1;
    default:
        return 1;
    }
    if (write_full(1, &rsp, sizeof rsp) != 0 || write_full(1, payload, rsp.payload) != 0)
        return 1;
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    /* Run without address randomisation (re-executing once), so that every run has one layout. */
    int persona = personality(0xffffffff);
    if (persona != -1 && !(persona & ADDR_NO_RANDOMIZE) && personality((unsigned long)persona | ADDR_NO_RANDOMIZE) != -1)
        execv("/proc/self/exe", argv);

    if (setup() != 0)
        return 2;
    uint64_t hello[3] = {(uint64_t)syscall(SYS_brk, 0UL), (uint64_t)(uintptr_t)vector, VECTOR_SIZE};
    if (write_full(1, hello, sizeof hello) != 0)
        return 2;
    while (serve() == 0) {
    }
    return 0;
}
