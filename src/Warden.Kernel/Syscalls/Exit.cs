using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// exit(2) and exit_group(2).
internal static partial class Sys
{
    public static SyscallReturn Exit(KernelTask t, in SyscallArguments a)
    {
        t.ExitThread(a.Int(0));
        return SyscallReturn.Ok(0);
    }

    public static SyscallReturn ExitGroup(KernelTask t, in SyscallArguments a)
    {
        t.Group.BeginExit(ExitStatus.Exited(a.Int(0)));
        return SyscallReturn.Ok(0);
    }
}
