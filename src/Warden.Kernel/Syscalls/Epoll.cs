using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// epoll_create(2), epoll_create1(2), epoll_ctl(2), epoll_wait(2), epoll_pwait(2), epoll_pwait2(2).
internal static partial class Sys
{
    private const int EPOLL_CTL_ADD = 1;
    private const int EPOLL_CTL_DEL = 2;
    private const int EPOLL_CTL_MOD = 3;

    // The events EPOLLEXCLUSIVE may come with (Linux's EPOLLEXCLUSIVE_OK_BITS).
    private const uint ExclusiveOkBits = PollEvents.POLLIN | PollEvents.POLLOUT | PollEvents.POLLERR | PollEvents.POLLHUP |
        EpollDescription.EPOLLWAKEUP | EpollDescription.EPOLLET | EpollDescription.EPOLLEXCLUSIVE;

    // The most events one epoll_wait may ask for (Linux's EP_MAX_EVENTS).
    private const int MaxEpollEvents = int.MaxValue / EpollDescription.EventSize;

    public static SyscallReturn EpollCreate(KernelTask t, in SyscallArguments a) =>
        a.Int(0) <= 0 ? Errno.EINVAL : CreateEpoll(t, closeOnExec: false);

    public static SyscallReturn EpollCreate1(KernelTask t, in SyscallArguments a) =>
        (a.Int(0) & ~OpenFlags.O_CLOEXEC) != 0 ? Errno.EINVAL : CreateEpoll(t, (a.Int(0) & OpenFlags.O_CLOEXEC) != 0);

    private static SyscallReturn CreateEpoll(KernelTask t, bool closeOnExec)
    {
        (int fd, Errno? error) = t.Fds.Add(new EpollDescription(), closeOnExec);
        return error is null ? SyscallReturn.Ok(fd) : error;
    }

    // In Linux's order: the event (for the operations that take one), both descriptors, the target's
    // poll method, the epoll descriptor itself, EPOLLEXCLUSIVE's rules, then the operation.
    public static SyscallReturn EpollCtl(KernelTask t, in SyscallArguments a)
    {
        int op = a.Int(1);
        int fd = a.Int(2);
        uint events = 0;
        ulong data = 0;
        if (op != EPOLL_CTL_DEL)
        {
            Span<byte> raw = stackalloc byte[EpollDescription.EventSize];
            if (t.CopyIn(a.Pointer(3), raw).Error is not null)
            {
                return Errno.EFAULT;
            }
            events = BitConverter.ToUInt32(raw);
            data = BitConverter.ToUInt64(raw[4..]);
        }
        FileDescription? epollFile = t.Fds.Get(a.Int(0));
        FileDescription? target = t.Fds.Get(fd);
        if (epollFile is null || target is null)
        {
            return Errno.EBADF;
        }
        if (!target.CanPoll)
        {
            return Errno.EPERM;
        }
        // Without CAP_BLOCK_SUSPEND, EPOLLWAKEUP is dropped silently.
        events &= ~EpollDescription.EPOLLWAKEUP;
        if (epollFile is not EpollDescription epoll || ReferenceEquals(epollFile, target))
        {
            return Errno.EINVAL;
        }
        if (op != EPOLL_CTL_DEL && (events & EpollDescription.EPOLLEXCLUSIVE) != 0 &&
            (op == EPOLL_CTL_MOD || (op == EPOLL_CTL_ADD && (target is EpollDescription || (events & ~ExclusiveOkBits) != 0))))
        {
            return Errno.EINVAL;
        }
        Errno? error = op switch
        {
            EPOLL_CTL_ADD => epoll.Add(fd, target, events, data),
            EPOLL_CTL_DEL => epoll.Delete(fd, target),
            EPOLL_CTL_MOD => epoll.Modify(fd, target, events, data),
            _ => Errno.EINVAL,
        };
        return SyscallReturn.Of(error);
    }

    public static SyscallReturn EpollWait(KernelTask t, in SyscallArguments a) =>
        DoEpollWait(t, a.Int(0), a.Pointer(1), a.Int(2), MillisecondsDeadline(a.Int(3)));

    public static SyscallReturn EpollPwait(KernelTask t, in SyscallArguments a)
    {
        Errno? maskError = SetCallMask(t, a.Pointer(4), a.ULong(5));
        if (maskError is not null)
        {
            return maskError;
        }
        return FinishEpollWait(t, DoEpollWait(t, a.Int(0), a.Pointer(1), a.Int(2), MillisecondsDeadline(a.Int(3))));
    }

    public static SyscallReturn EpollPwait2(KernelTask t, in SyscallArguments a)
    {
        long deadline = KernelTask.NoDeadline;
        if (a.Pointer(3) != Addr.Zero)
        {
            (Errno? timeError, deadline) = ReadTimespecDeadline(t, a.Pointer(3));
            if (timeError is not null)
            {
                return timeError;
            }
        }
        Errno? maskError = SetCallMask(t, a.Pointer(4), a.ULong(5));
        if (maskError is not null)
        {
            return maskError;
        }
        return FinishEpollWait(t, DoEpollWait(t, a.Int(0), a.Pointer(1), a.Int(2), deadline));
    }

    private static long MillisecondsDeadline(int timeoutMs) =>
        timeoutMs < 0 ? KernelTask.NoDeadline : timeoutMs == 0 ? Immediately : KernelTask.DeadlineIn(timeoutMs * 1_000_000L);

    // The temporary mask stays for the handler to put back when a signal ended the wait (EINTR).
    private static SyscallReturn FinishEpollWait(KernelTask t, SyscallReturn result)
    {
        if (result.Error != Errno.EINTR)
        {
            t.RestoreTemporaryMask();
        }
        return result;
    }

    // A signal ends the wait with EINTR, never a restart (Linux's ep_poll), whatever SA_RESTART says.
    private static SyscallReturn DoEpollWait(KernelTask t, int epfd, Addr eventsAddr, int maxEvents, long deadline)
    {
        if (maxEvents <= 0 || maxEvents > MaxEpollEvents)
        {
            return Errno.EINVAL;
        }
        FileDescription? file = t.Fds.Get(epfd);
        if (file is null)
        {
            return Errno.EBADF;
        }
        if (file is not EpollDescription epoll)
        {
            return Errno.EINVAL;
        }
        byte[] buffer = [];
        int count = CollectEpoll(epoll, ref buffer, maxEvents);
        while (count == 0 && deadline != Immediately)
        {
            // Watched afresh for each wait, so that entries added meanwhile are watched too (a
            // change of the interest list wakes the wait).
            WakeReason reason;
            using (var wait = new PollWait(t))
            {
                epoll.Watch(wait, PollEvents.All);
                count = CollectEpoll(epoll, ref buffer, maxEvents);
                if (count > 0)
                {
                    break;
                }
                reason = wait.Block(deadline);
            }
            if (reason == WakeReason.Interrupted)
            {
                return Errno.EINTR;
            }
            count = CollectEpoll(epoll, ref buffer, maxEvents);
            if (reason == WakeReason.TimedOut)
            {
                break;
            }
        }
        if (count > 0 && t.CopyOut(eventsAddr, buffer.AsSpan(0, count * EpollDescription.EventSize)).Error is not null)
        {
            return Errno.EFAULT;
        }
        return SyscallReturn.Ok(count);
    }

    // One scan into a buffer with room for every entry (at most maxEvents).
    private static int CollectEpoll(EpollDescription epoll, ref byte[] buffer, int maxEvents)
    {
        int max = Math.Min(maxEvents, Math.Max(1, epoll.Count));
        if (buffer.Length < max * EpollDescription.EventSize)
        {
            buffer = new byte[max * EpollDescription.EventSize];
        }
        return epoll.Collect(buffer, max);
    }
}
