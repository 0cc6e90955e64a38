/* Built with -nostdlib (-static or -static-pie): no C library runs before _start, so what it prints
 * is exactly what the kernel's ELF loader set up. Prints /proc/self/maps, a line "AUXV", then the
 * raw bytes of /proc/self/auxv. */
#include <sys/syscall.h>

static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static char buffer[1 << 16];               /* bss */
static char data[32] = "initialised data";  /* .data */

static void dump(const char *path)
{
    long fd = sys3(SYS_open, (long)path, 0, 0);
    long n;
    while ((n = sys3(SYS_read, fd, (long)buffer, sizeof buffer)) > 0) {
        sys3(SYS_write, 1, (long)buffer, n);
    }
    sys3(SYS_close, fd, 0, 0);
}

__attribute__((force_align_arg_pointer)) void _start(void)
{
    dump("/proc/self/maps");
    sys3(SYS_write, 1, (long)"AUXV\n", 5);
    dump("/proc/self/auxv");
    sys3(SYS_exit, data[0] == 'i' ? 0 : 1, 0, 0);
}
