// Signals as programs use them, for ProcessTests: faults recovered with siglongjmp (SIGSEGV with
// SEGV_ACCERR and SEGV_MAPERR, SIGBUS past the end of a mapped file), a blocking pipe read
// interrupted with and without SA_RESTART, sigaltstack with SA_ONSTACK, SA_RESETHAND,
// SA_NODEFER, a blocked signal seen by sigpending, a child killed by raise(SIGUSR1) as its
// parent's waitpid reports it, and the SSE, AVX, MXCSR and x87 state of the interrupted code
// kept across a handler that changes them.
//
// Every line it prints is the same on any correct Linux kernel (no addresses, no timings), so a
// run under Warden must print exactly what the native run printed. It runs in its working
// directory, where it creates (and removes) one temporary file.
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf recover;
static volatile sig_atomic_t got_signo, got_code;
static void *volatile got_addr;

static void on_fault(int signo, siginfo_t *info, void *context)
{
    (void)context;
    got_signo = signo;
    got_code = info->si_code;
    got_addr = info->si_addr;
    siglongjmp(recover, 1);
}

static void install(int signo, void (*action)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = action;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(signo, &sa, NULL) != 0) {
        perror("sigaction");
        exit(100);
    }
}

static const char *code_name(int signo, int code)
{
    if (signo == SIGSEGV && code == SEGV_MAPERR) return "SEGV_MAPERR";
    if (signo == SIGSEGV && code == SEGV_ACCERR) return "SEGV_ACCERR";
    if (signo == SIGBUS && code == BUS_ADRERR) return "BUS_ADRERR";
    return "other";
}

// Reads (or writes) one byte at `addr`, expecting a fault that on_fault recovers from.
static void fault_at(const char *what, volatile char *addr, int write)
{
    got_signo = 0;
    got_code = 0;
    got_addr = NULL;
    if (sigsetjmp(recover, 1) == 0) {
        if (write) {
            *addr = 1;
        } else {
            (void)*addr;
        }
        printf("%s: no fault\n", what);
        return;
    }
    printf("%s: signo=%d (%s) code=%d (%s) si_addr is the address: %s\n", what, got_signo, strsignal(got_signo),
           got_code, code_name(got_signo, got_code), got_addr == (void *)addr ? "yes" : "no");
}

static void faults(void)
{
    long page = sysconf(_SC_PAGESIZE);
    install(SIGSEGV, on_fault, 0);
    install(SIGBUS, on_fault, 0);

    char *none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (none == MAP_FAILED) { perror("mmap"); exit(101); }
    fault_at("read of a PROT_NONE page", none + 123, 0);
    fault_at("write of a PROT_NONE page", none, 1);

    char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ro == MAP_FAILED) { perror("mmap"); exit(102); }
    printf("read of a read-only page: %d\n", ro[7]);
    fault_at("write of a read-only page", ro + 7, 1);

    // An address surely unmapped: a page mapped and then unmapped again.
    char *gone = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (gone == MAP_FAILED) { perror("mmap"); exit(103); }
    munmap(gone + page, page);
    fault_at("read of an unmapped page", gone + page + 9, 0);
    fault_at("write of an unmapped page", gone + page, 1);
    // The mappings on both sides still work after the recovered faults.
    gone[0] = 5;
    gone[2 * page] = 6;
    printf("neighbours still usable: %d %d\n", gone[0], gone[2 * page]);

    // A one-byte file mapped over two pages: the rest of the first page reads as zero, the second
    // page lies wholly past the end of the file and faults with SIGBUS.
    char name[] = "sigbus-XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0) { perror("mkstemp"); exit(104); }
    unlink(name);
    if (write(fd, "Z", 1) != 1) { perror("write"); exit(105); }
    char *file = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (file == MAP_FAILED) { perror("mmap file"); exit(106); }
    printf("file page: byte 0 '%c', byte 100 %d, last byte %d\n", file[0], file[100], file[page - 1]);
    fault_at("read past the end of a mapped file", file + page + 17, 0);
    fault_at("write past the end of a mapped file", file + page, 1);
    // Growing the file makes the same page readable.
    if (ftruncate(fd, 2 * page) != 0) { perror("ftruncate"); exit(107); }
    printf("after ftruncate: byte %ld is %d\n", page + 17, file[page + 17]);
    munmap(file, 2 * page);
    close(fd);

    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
}

static volatile sig_atomic_t handled;

static void on_usr1(int signo, siginfo_t *info, void *context)
{
    (void)signo;
    (void)info;
    (void)context;
    handled++;
}

// A blocking read of an empty pipe while a child keeps signalling this process: without
// SA_RESTART the read fails with EINTR at the first signal that finds it blocked; with
// SA_RESTART it goes on until the child writes (after a few signals). The child sends its
// signals every 10 ms until it is killed, so the result does not depend on when the read starts.
static void interrupted_read(int restart)
{
    int fds[2];
    if (pipe(fds) != 0) {
        // Reported and skipped, so that the sections after this one still run.
        printf("pipe failed: %s\n", strerrorname_np(errno));
        return;
    }
    install(SIGUSR1, on_usr1, restart ? SA_RESTART : 0);
    handled = 0;
    pid_t parent = getpid();
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) { perror("fork"); exit(111); }
    if (child == 0) {
        close(fds[0]);
        for (int i = 0;; i++) {
            kill(parent, SIGUSR1);
            usleep(10000);
            if (restart && i == 4) {
                (void)!write(fds[1], "x", 1);
            }
        }
    }
    close(fds[1]);
    char c = '?';
    ssize_t n = read(fds[0], &c, 1);
    int err = errno;
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    if (n < 0) {
        printf("read %s SA_RESTART: -1 (%s), handler ran: %s\n", restart ? "with" : "without", strerrorname_np(err),
               handled > 0 ? "yes" : "no");
    } else {
        printf("read %s SA_RESTART: %zd '%c', handler ran: %s\n", restart ? "with" : "without", n, c,
               handled > 0 ? "yes" : "no");
    }
    printf("child killed: %s\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? "yes" : "no");
    close(fds[0]);
    signal(SIGUSR1, SIG_DFL);
}

static char alt_stack[1 << 16] __attribute__((aligned(16)));
static volatile int on_alt, alt_flag;

static void on_usr2(int signo, siginfo_t *info, void *context)
{
    (void)signo;
    (void)info;
    (void)context;
    volatile char local = 0;
    uintptr_t p = (uintptr_t)&local;
    on_alt = p >= (uintptr_t)alt_stack && p < (uintptr_t)alt_stack + sizeof alt_stack;
    stack_t now;
    sigaltstack(NULL, &now);
    alt_flag = (now.ss_flags & SS_ONSTACK) != 0;
}

static void alternate_stack(void)
{
    stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0) { perror("sigaltstack"); exit(120); }
    install(SIGUSR2, on_usr2, SA_ONSTACK);
    raise(SIGUSR2);
    printf("SA_ONSTACK: handler's local on the alternate stack: %s, SS_ONSTACK: %s\n", on_alt ? "yes" : "no", alt_flag ? "yes" : "no");
    install(SIGUSR2, on_usr2, 0);
    raise(SIGUSR2);
    printf("without SA_ONSTACK: handler's local on the alternate stack: %s, SS_ONSTACK: %s\n", on_alt ? "yes" : "no", alt_flag ? "yes" : "no");
    stack_t after;
    sigaltstack(NULL, &after);
    printf("after: alternate stack still set: %s, SS_ONSTACK: %s\n", after.ss_sp == alt_stack && after.ss_size == sizeof alt_stack ? "yes" : "no",
           (after.ss_flags & SS_ONSTACK) ? "yes" : "no");
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    signal(SIGUSR2, SIG_DFL);
}

static void reset_hand(void)
{
    handled = 0;
    install(SIGUSR1, on_usr1, SA_RESETHAND);
    raise(SIGUSR1);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    printf("SA_RESETHAND: handler ran %d time(s), disposition after: %s\n", (int)handled,
           now.sa_handler == SIG_DFL ? "SIG_DFL" : "still the handler");
    signal(SIGUSR1, SIG_DFL);
}

// The order of a handler's entries and exits when it raises its own signal once more.
static char events[64];
static volatile int nevents, entries, depth_blocked[3];

static void on_nested(int signo, siginfo_t *info, void *context)
{
    (void)info;
    (void)context;
    int me = ++entries;
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    if (me < 3) {
        depth_blocked[me] = sigismember(&mask, signo);
    }
    events[nevents++] = (char)('0' + me);
    if (me == 1) {
        raise(signo);
    }
    events[nevents++] = (char)('a' + me - 1);
}

static void nodefer(int flags, const char *what)
{
    nevents = 0;
    entries = 0;
    memset(events, 0, sizeof events);
    install(SIGUSR1, on_nested, flags);
    raise(SIGUSR1);
    events[nevents] = 0;
    printf("%s: entries (digits) and exits (letters) %s, signal blocked in the handler: %d\n", what, events, depth_blocked[1]);
    signal(SIGUSR1, SIG_DFL);
}

static void pending(void)
{
    handled = 0;
    install(SIGUSR1, on_usr1, 0);
    sigset_t block, set;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigpending(&set);
    printf("blocked SIGUSR1 raised twice: pending %d, SIGUSR2 pending %d, handler ran %d time(s)\n",
           sigismember(&set, SIGUSR1), sigismember(&set, SIGUSR2), (int)handled);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    sigpending(&set);
    printf("unblocked: handler ran %d time(s) (standard signals do not queue), pending now %d\n", (int)handled,
           sigismember(&set, SIGUSR1));
    signal(SIGUSR1, SIG_DFL);
}

static void report_child(const char *what, int status)
{
    if (WIFSIGNALED(status)) {
        printf("%s: WIFSIGNALED, WTERMSIG %d (%s), WCOREDUMP %d\n", what, WTERMSIG(status), strsignal(WTERMSIG(status)),
               WCOREDUMP(status) ? 1 : 0);
    } else if (WIFEXITED(status)) {
        printf("%s: WIFEXITED, WEXITSTATUS %d\n", what, WEXITSTATUS(status));
    } else {
        printf("%s: status 0x%x\n", what, status);
    }
}

static void default_actions(void)
{
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        raise(SIGUSR1);
        _exit(7);
    }
    int status;
    printf("waitpid returned the child: %s\n", waitpid(child, &status, 0) == child ? "yes" : "no");
    report_child("child that raised SIGUSR1", status);

    // The second raise finds the default action that SA_RESETHAND left.
    child = fork();
    if (child == 0) {
        install(SIGUSR1, on_usr1, SA_RESETHAND);
        raise(SIGUSR1);
        raise(SIGUSR1);
        _exit(8);
    }
    waitpid(child, &status, 0);
    report_child("child that raised SIGUSR1 twice under SA_RESETHAND", status);

    // An ignored signal does nothing; the child exits normally.
    child = fork();
    if (child == 0) {
        signal(SIGUSR1, SIG_IGN);
        raise(SIGUSR1);
        _exit(9);
    }
    waitpid(child, &status, 0);
    report_child("child that ignored SIGUSR1", status);
}

// The rounding mode of SSE (MXCSR bits 13-14) and of the x87 unit (control word bits 10-11), set
// and read directly (no libm): 0 to nearest, 1 down, 2 up, 3 toward zero.
enum { ROUND_NEAREST = 0, ROUND_DOWN = 1, ROUND_UP = 2, ROUND_ZERO = 3 };

static void set_round(unsigned mode)
{
    unsigned mxcsr;
    unsigned short cw;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    mxcsr = (mxcsr & ~0x6000u) | mode << 13;
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    cw = (unsigned short)((cw & ~0x0c00u) | mode << 10);
    __asm__ volatile("fldcw %0" : : "m"(cw));
}

// The SSE rounding mode, or -1 if the x87 unit's differs from it.
static int get_round(void)
{
    unsigned mxcsr;
    unsigned short cw;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    int sse = (int)(mxcsr >> 13 & 3), x87 = cw >> 10 & 3;
    return sse == x87 ? sse : -1;
}

// The floating-point state of the interrupted code survives a handler that changes all of it.
typedef struct { uint64_t lo, hi; } xmm_t;
static volatile double handler_result;
static volatile int handler_round, handler_mxcsr_default;

static void clobber_fp(int signo, siginfo_t *info, void *context)
{
    (void)signo;
    (void)info;
    (void)context;
    // A handler starts with the default floating-point environment.
    handler_round = get_round();
    unsigned mxcsr;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    handler_mxcsr_default = (mxcsr & 0xffc0) == 0x1f80;
    set_round(ROUND_ZERO);
    volatile double x = 1.0;
    for (int i = 0; i < 20; i++) {
        x = x * 3.0 / 7.0 + 0.1;
    }
    handler_result = x;
    static const xmm_t junk = { 0xdeaddeaddeaddeadULL, 0xbeefbeefbeefbeefULL };
    __asm__ volatile(
        "movdqu %0, %%xmm0\n movdqu %0, %%xmm1\n movdqu %0, %%xmm2\n movdqu %0, %%xmm3\n"
        "movdqu %0, %%xmm4\n movdqu %0, %%xmm5\n movdqu %0, %%xmm6\n movdqu %0, %%xmm7\n"
        "movdqu %0, %%xmm8\n movdqu %0, %%xmm9\n movdqu %0, %%xmm10\n movdqu %0, %%xmm11\n"
        "movdqu %0, %%xmm12\n movdqu %0, %%xmm13\n movdqu %0, %%xmm14\n movdqu %0, %%xmm15\n"
        "fldpi\n fldpi\n fldpi\n fstp %%st(0)\n fstp %%st(0)\n fstp %%st(0)\n"
        : : "m"(junk)
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
          "xmm12", "xmm13", "xmm14", "xmm15");
    if (__builtin_cpu_supports("avx")) {
        __asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n vmovdqa %%ymm0, %%ymm7\n vmovdqa %%ymm0, %%ymm15\n" ::: "xmm0", "xmm7", "xmm15");
    }
}

__attribute__((target("avx"))) static int avx_preserved(pid_t pid)
{
    // Eight 256-bit values whose upper halves only AVX state holds.
    uint64_t in[4 * 4], out[4 * 4];
    for (int i = 0; i < 16; i++) {
        in[i] = 0x1111111111111111ULL * (uint64_t)(i % 15 + 1) + (uint64_t)i;
    }
    memset(out, 0, sizeof out);
    long ret = 62; // kill
    __asm__ volatile(
        "vmovdqu 0(%[in]), %%ymm0\n vmovdqu 32(%[in]), %%ymm7\n vmovdqu 64(%[in]), %%ymm8\n vmovdqu 96(%[in]), %%ymm15\n"
        "syscall\n"
        "vmovdqu %%ymm0, 0(%[out])\n vmovdqu %%ymm7, 32(%[out])\n vmovdqu %%ymm8, 64(%[out])\n vmovdqu %%ymm15, 96(%[out])\n"
        "vzeroupper\n"
        : "+a"(ret)
        : "D"((long)pid), "S"((long)SIGUSR1), [in] "r"(in), [out] "r"(out)
        : "rcx", "r11", "memory", "xmm0", "xmm7", "xmm8", "xmm15");
    return ret == 0 && memcmp(in, out, sizeof in) == 0;
}

static void fp_state(void)
{
    install(SIGUSR1, clobber_fp, 0);
    xmm_t in[16], out[16];
    for (int i = 0; i < 16; i++) {
        in[i].lo = 0x0123456789abcdefULL ^ (uint64_t)i * 0x0101010101010101ULL;
        in[i].hi = 0xfedcba9876543210ULL + (uint64_t)i;
    }
    memset(out, 0, sizeof out);
    set_round(ROUND_UP);
    unsigned short cw_before, cw_after;
    __asm__ volatile("fnstcw %0" : "=m"(cw_before));
    long double x87_in = 1.0L / 3.0L, x87_out;
    long ret = 62; // kill(getpid(), SIGUSR1), made inside the asm so that no C code runs between
    __asm__ volatile(
        "fldt %[x87in]\n"
        "movdqu 0(%[in]), %%xmm0\n movdqu 16(%[in]), %%xmm1\n movdqu 32(%[in]), %%xmm2\n movdqu 48(%[in]), %%xmm3\n"
        "movdqu 64(%[in]), %%xmm4\n movdqu 80(%[in]), %%xmm5\n movdqu 96(%[in]), %%xmm6\n movdqu 112(%[in]), %%xmm7\n"
        "movdqu 128(%[in]), %%xmm8\n movdqu 144(%[in]), %%xmm9\n movdqu 160(%[in]), %%xmm10\n movdqu 176(%[in]), %%xmm11\n"
        "movdqu 192(%[in]), %%xmm12\n movdqu 208(%[in]), %%xmm13\n movdqu 224(%[in]), %%xmm14\n movdqu 240(%[in]), %%xmm15\n"
        "syscall\n"
        "movdqu %%xmm0, 0(%[out])\n movdqu %%xmm1, 16(%[out])\n movdqu %%xmm2, 32(%[out])\n movdqu %%xmm3, 48(%[out])\n"
        "movdqu %%xmm4, 64(%[out])\n movdqu %%xmm5, 80(%[out])\n movdqu %%xmm6, 96(%[out])\n movdqu %%xmm7, 112(%[out])\n"
        "movdqu %%xmm8, 128(%[out])\n movdqu %%xmm9, 144(%[out])\n movdqu %%xmm10, 160(%[out])\n movdqu %%xmm11, 176(%[out])\n"
        "movdqu %%xmm12, 192(%[out])\n movdqu %%xmm13, 208(%[out])\n movdqu %%xmm14, 224(%[out])\n movdqu %%xmm15, 240(%[out])\n"
        "fstpt %[x87out]\n"
        : "+a"(ret), [x87out] "=m"(x87_out)
        : "D"((long)getpid()), "S"((long)SIGUSR1), [in] "r"(in), [out] "r"(out), [x87in] "m"(x87_in)
        : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
          "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    int round_after = get_round();
    __asm__ volatile("fnstcw %0" : "=m"(cw_after));
    set_round(ROUND_NEAREST);
    printf("fp: kill returned %ld, xmm0-xmm15 preserved: %s, x87 st(0) preserved: %s\n", ret,
           memcmp(in, out, sizeof in) == 0 ? "yes" : "no", memcmp(&x87_in, &x87_out, 10) == 0 ? "yes" : "no");
    printf("fp: rounding mode kept (MXCSR and x87 control word): %s %s\n", round_after == ROUND_UP ? "yes" : "no",
           cw_before == cw_after ? "yes" : "no");
    printf("fp: the handler started with round-to-nearest: %s, default MXCSR: %s, computed %.12f\n",
           handler_round == ROUND_NEAREST ? "yes" : "no", handler_mxcsr_default ? "yes" : "no", handler_result);
    if (__builtin_cpu_supports("avx")) {
        printf("fp: ymm registers (upper halves too) preserved: %s\n", avx_preserved(getpid()) ? "yes" : "no");
    } else {
        printf("fp: no AVX on this CPU\n");
    }
    signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    faults();
    interrupted_read(0);
    interrupted_read(1);
    alternate_stack();
    reset_hand();
    nodefer(0, "without SA_NODEFER");
    nodefer(SA_NODEFER, "with SA_NODEFER");
    pending();
    default_actions();
    fp_state();
    printf("done\n");
    return 0;
}
