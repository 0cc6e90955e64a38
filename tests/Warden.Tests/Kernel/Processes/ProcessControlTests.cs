using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Processes;

/// <summary>
/// Processes under Warden's kernel, each scenario a gcc-built static C program run natively and
/// under Warden with the same output expected: fork's copy-on-write copy and exit status, a signal
/// handler with its siginfo, a SIGSEGV handler left with siglongjmp, death by a signal, vfork with
/// execve of /bin/busybox; job control (SIGSTOP, SIGCONT and SIGKILL seen by waitpid with
/// WUNTRACED and WCONTINUED); execve's errnos (ENOENT, EACCES for a file without the execute bit
/// and for a directory, ENOEXEC, EFAULT for the path, argv and an argument, E2BIG), and execve of
/// /proc/self/exe; a nanosleep interrupted by alarm's SIGALRM (EINTR, the time left
/// written back), waitid's siginfo and ECHILD.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class ProcessControlTests
{
    private const string ForkSource = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <unistd.h>
        #include <signal.h>
        #include <string.h>
        #include <sys/wait.h>
        #include <sys/mman.h>
        #include <setjmp.h>
        static sigjmp_buf jb; static volatile int got;
        static void h(int s, siginfo_t*si, void*u){ got=s; printf("handler sig=%d code=%d\n", s, si->si_code); }
        static void segv(int s, siginfo_t*si, void*u){ got=si->si_code; siglongjmp(jb,1); }
        int main(){
          int x = 5;
          pid_t p = fork();
          if (p == 0) { x = 7; printf("child x=%d ppid-ok=%d\n", x, getppid()>0); fflush(stdout); _exit(3); }
          int st; pid_t w = waitpid(p, &st, 0);
          printf("parent x=%d waited=%d exited=%d code=%d\n", x, w==p, WIFEXITED(st), WEXITSTATUS(st));
          struct sigaction sa; memset(&sa,0,sizeof sa); sa.sa_sigaction=h; sa.sa_flags=SA_SIGINFO; sigaction(SIGUSR1,&sa,0);
          raise(SIGUSR1); printf("after raise got=%d\n", got);
          sa.sa_sigaction=segv; sigaction(SIGSEGV,&sa,0);
          char*q=mmap(0,4096,PROT_NONE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
          if(!sigsetjmp(jb,1)){ q[0]=1; }
          printf("segv code=%d\n", got);
          p = fork();
          if (p == 0) { raise(SIGTERM); _exit(0); }
          waitpid(p,&st,0); printf("signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
          p = vfork();
          if (p == 0) { execl("/bin/busybox","echo","exec ok",(char*)0); _exit(127); }
          waitpid(p,&st,0); printf("vfork child status=%d\n", WEXITSTATUS(st));
          return 0;
        }
        """;

    private const string JobControlSource = """
        #include <stdio.h>
        #include <unistd.h>
        #include <signal.h>
        #include <sys/wait.h>
        #include <string.h>
        #include <errno.h>
        #include <time.h>
        static volatile int n;
        static void h(int s){ n++; }
        int main(){
          pid_t p = fork();
          if (p == 0) { for(;;) pause(); }
          kill(p, SIGSTOP);
          int st; pid_t w = waitpid(p, &st, WUNTRACED);
          printf("stopped=%d sig=%d w=%d\n", WIFSTOPPED(st), WSTOPSIG(st), w==p);
          kill(p, SIGCONT);
          w = waitpid(p, &st, WCONTINUED);
          printf("continued=%d\n", WIFCONTINUED(st));
          kill(p, SIGKILL);
          waitpid(p, &st, 0);
          printf("killed=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
          struct sigaction sa; memset(&sa,0,sizeof sa); sa.sa_handler=h; sigaction(SIGALRM,&sa,0);
          alarm(1);
          struct timespec ts = {5, 0};
          int r = nanosleep(&ts, &ts);
          printf("nanosleep=%d errno=%d n=%d left-ok=%d\n", r, r<0?errno:0, n, ts.tv_sec >= 3 && ts.tv_sec <= 4);
          siginfo_t si; p = fork(); if (p==0) _exit(9);
          waitid(P_PID, p, &si, WEXITED);
          printf("waitid code=%d status=%d pid-ok=%d\n", si.si_code, si.si_status, si.si_pid==p);
          int none = waitpid(-1, 0, 0);
          printf("wait none=%d errno=%d\n", none, errno);
          return 0;
        }
        """;

    private const string ExecErrorsSource = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        #include <errno.h>
        #include <fcntl.h>
        #include <sys/stat.h>
        #include <sys/wait.h>
        #include <sys/syscall.h>
        static void try(const char *name, const char *path, char *const *argv) {
          errno = 0;
          long r = syscall(SYS_execve, path, argv, (char *const[]){NULL});
          printf("%s: %ld %s\n", name, r, strerror(errno));
        }
        int main(int argc, char **argv) {
          if (argc > 1 && strcmp(argv[1], "again") == 0) { printf("self exec works\n"); return 0; }
          const char *dir = argv[1];
          char text[512], garbage[512];
          snprintf(text, sizeof text, "%s/text", dir);
          snprintf(garbage, sizeof garbage, "%s/garbage", dir);
          int fd = open(text, O_CREAT | O_WRONLY | O_TRUNC, 0644); write(fd, "hello\n", 6); close(fd);
          fd = open(garbage, O_CREAT | O_WRONLY | O_TRUNC, 0755); write(fd, "\x01\x02garbage", 9); close(fd);
          char *args[] = {"x", NULL};
          try("missing", "/nonexistent/program", args);
          try("not_executable", text, args);
          try("directory", dir, args);
          try("garbage", garbage, args);
          try("bad_path", (const char *)8, args);
          try("bad_argv", "/bin/busybox", (char *const *)8);
          char *bad_string[] = {"x", (char *)8, NULL};
          try("bad_arg_string", "/bin/busybox", bad_string);
          size_t big = 200 * 1024;
          char *huge = malloc(big); memset(huge, 'a', big - 1); huge[big - 1] = 0;
          char *too_long[] = {"x", huge, NULL};
          try("arg_too_long", "/bin/busybox", too_long);
          pid_t p = fork();
          if (p == 0) { char *again[] = {"execerr", "again", NULL}; execv("/proc/self/exe", again); _exit(99); }
          int st; waitpid(p, &st, 0);
          printf("self exec status=%d\n", WEXITSTATUS(st));
          p = fork();
          if (p == 0) { char *echo[] = {"echo", "busybox", "echo", NULL}; execv("/bin/busybox", echo); _exit(99); }
          waitpid(p, &st, 0);
          printf("busybox status=%d\n", WEXITSTATUS(st));
          return 0;
        }
        """;

    public ProcessControlTests() => KernelRunner.RequirePtrace();

    [SkippableFact]
    public void ForkSignalsAndVfork_AreTheNativeRuns()
    {
        Prerequisite.Require(File.Exists(Busybox.Path), "busybox-static at /bin/busybox");
        string exe = CompiledProgram.Build("fork_signals", ForkSource, ["-static"]);
        var spec = new RunSpec(exe, [exe]);
        RunResult native = NativeRunner.Run(spec);
        Assert.Contains("vfork child status=0", native.StdoutText, StringComparison.Ordinal);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }

    [SkippableFact]
    public void JobControlAlarmAndWaitid_AreTheNativeRuns()
    {
        string exe = CompiledProgram.Build("job_control", JobControlSource, ["-static"]);
        var spec = new RunSpec(exe, [exe]);
        RunResult native = NativeRunner.Run(spec);
        Assert.Contains("nanosleep=-1 errno=4 n=1 left-ok=1", native.StdoutText, StringComparison.Ordinal);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }

    [SkippableFact]
    public void ExecveErrorsAndSelfExec_AreTheNativeRuns()
    {
        Prerequisite.Require(File.Exists(Busybox.Path), "busybox-static at /bin/busybox");
        string exe = CompiledProgram.Build("exec_errors", ExecErrorsSource, ["-static"]);
        string dir = Directory.CreateTempSubdirectory("warden-exec-").FullName;
        try
        {
            var spec = new RunSpec(exe, [exe, dir]);
            RunResult native = NativeRunner.Run(spec);
            Assert.Contains("garbage: -1 Exec format error", native.StdoutText, StringComparison.Ordinal);
            RunResult.AssertSame(native, KernelRunner.Run(spec));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
