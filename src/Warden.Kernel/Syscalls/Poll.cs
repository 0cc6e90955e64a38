using Warden.Errors;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// poll(2), ppoll(2), select(2), pselect6(2). (To be written.)
internal static partial class Sys
{
    public static SyscallReturn Poll(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;

    public static SyscallReturn Ppoll(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;

    public static SyscallReturn Select(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;

    public static SyscallReturn Pselect6(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;
}
