using Warden.Errors;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// pipe(2) and pipe2(2). (To be written: the kernel's own pipes.)
internal static partial class Sys
{
    public static SyscallReturn Pipe(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;

    public static SyscallReturn Pipe2(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;
}
