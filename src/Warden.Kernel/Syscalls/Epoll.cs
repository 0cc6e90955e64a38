using Warden.Errors;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// epoll_create(2), epoll_create1(2), epoll_ctl(2), epoll_wait(2), epoll_pwait(2), epoll_pwait2(2). (To be written.)
internal static partial class Sys
{
    public static SyscallReturn EpollCreate(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;

    public static SyscallReturn EpollCreate1(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;

    public static SyscallReturn EpollCtl(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;

    public static SyscallReturn EpollWait(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;

    public static SyscallReturn EpollPwait(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;

    public static SyscallReturn EpollPwait2(KernelTask t, in SyscallArguments a) => Errno.ENOSYS;
}
