using System.Diagnostics;
using Warden.Kernel.Tasks;
using Warden.Platform;

namespace Warden.Kernel.Syscalls;

/// <summary>Runs the system call a task stopped at: decode once, call the handler, put the result in rax.</summary>
internal static class SyscallDispatcher
{
    public static void Dispatch(KernelTask task)
    {
        ref PtraceRegs regs = ref task.Arch.Registers;
        int number = (int)regs.OrigRax;
        var args = new SyscallArguments(in regs);
        SyscallEntry entry = SyscallTable.Get(number);
        long start = Stopwatch.GetTimestamp();
        SyscallReturn result = entry.Handler is null ? Warden.Errors.Errno.ENOSYS : entry.Handler(task, in args);
        long elapsed = Stopwatch.GetTimestamp() - start;
        regs.Rax = result.Rax;
        task.PendingRestart = result.Restart;
        task.Kernel.Stats.AddSyscall(number, entry.Name, elapsed, result.Error is not null);
        task.Kernel.Strace?.Print(task, entry, in args, result);
    }
}
