using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Files;
using Warden.Kernel.Signals;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// poll(2), ppoll(2), select(2), pselect6(2).
//
// Each scans its descriptors' readiness; if none is ready and time is left, it registers the task
// with every description (a kernel object's wait queue, or a host descriptor for the host poll),
// scanning again as it does so, and blocks until a wake, the deadline or a signal, then scans
// again. A signal ends the wait with ERESTARTNOHAND (EINTR after a handler); ppoll, pselect6 and
// select write back the time that was left, as Linux does.
internal static partial class Sys
{
    // select's classes of readiness (Linux's POLLIN_SET, POLLOUT_SET, POLLEX_SET).
    private const int SelectInSet = PollEvents.POLLRDNORM | PollEvents.POLLRDBAND | PollEvents.POLLIN | PollEvents.POLLHUP | PollEvents.POLLERR;
    private const int SelectOutSet = PollEvents.POLLWRBAND | PollEvents.POLLWRNORM | PollEvents.POLLOUT | PollEvents.POLLERR;
    private const int SelectExSet = PollEvents.POLLPRI;

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timeval
    {
        public long Seconds;
        public long Microseconds;
    }

    // pselect6's sixth argument: { const sigset_t *ss; size_t ss_len; }.
    [StructLayout(LayoutKind.Sequential)]
    private struct SigsetArgpack
    {
        public ulong Set;
        public ulong Size;
    }

    // A deadline already in the past: what a zero timeout waits until (no registration, one scan).
    private const long Immediately = 0;

    public static SyscallReturn Poll(KernelTask t, in SyscallArguments a)
    {
        int timeoutMs = a.Int(2);
        long deadline = timeoutMs < 0 ? KernelTask.NoDeadline : timeoutMs == 0 ? Immediately : KernelTask.DeadlineIn(timeoutMs * 1_000_000L);
        return PollUntil(t, a.Pointer(0), a.UInt(1), deadline);
    }

    // poll(2) has no timeout to write back: interrupted with a timeout, it goes on, if restarted, to
    // the same deadline (ERESTART_RESTARTBLOCK and restart_syscall, as Linux's do_restart_poll).
    private static SyscallReturn PollUntil(KernelTask t, Addr fdsAddr, uint nfds, long deadline)
    {
        SyscallReturn result = DoPoll(t, fdsAddr, nfds, deadline);
        if (result.Restart == RestartKind.RestartNoHand && deadline != KernelTask.NoDeadline)
        {
            t.RestartBlock = task => PollUntil(task, fdsAddr, nfds, deadline);
            return SyscallReturn.Interrupted(RestartKind.RestartBlock);
        }
        return result;
    }

    public static SyscallReturn Ppoll(KernelTask t, in SyscallArguments a)
    {
        Addr timeoutAddr = a.Pointer(2);
        long deadline = KernelTask.NoDeadline;
        if (timeoutAddr != Addr.Zero)
        {
            (Errno? timeError, deadline) = ReadTimespecDeadline(t, timeoutAddr);
            if (timeError is not null)
            {
                return timeError;
            }
        }
        Errno? maskError = SetCallMask(t, a.Pointer(3), a.ULong(4));
        if (maskError is not null)
        {
            return maskError;
        }
        SyscallReturn result = DoPoll(t, a.Pointer(0), a.UInt(1), deadline);
        return FinishTimedWait(t, result, timeoutAddr, deadline, timeval: false);
    }

    public static SyscallReturn Select(KernelTask t, in SyscallArguments a)
    {
        Addr timeoutAddr = a.Pointer(4);
        long deadline = KernelTask.NoDeadline;
        if (timeoutAddr != Addr.Zero)
        {
            if (t.CopyObjectIn(timeoutAddr, out Timeval tv).Error is not null)
            {
                return Errno.EFAULT;
            }
            // Linux carries whole seconds out of the microseconds before it checks.
            long seconds = tv.Seconds + tv.Microseconds / 1_000_000;
            long nanoseconds = tv.Microseconds % 1_000_000 * 1000;
            if (seconds < 0 || nanoseconds < 0)
            {
                return Errno.EINVAL;
            }
            deadline = DeadlineOf(seconds, nanoseconds);
        }
        SyscallReturn result = DoSelect(t, a.Int(0), a.Pointer(1), a.Pointer(2), a.Pointer(3), deadline);
        return FinishTimedWait(t, result, timeoutAddr, deadline, timeval: true);
    }

    public static SyscallReturn Pselect6(KernelTask t, in SyscallArguments a)
    {
        Addr maskAddr = Addr.Zero;
        ulong maskSize = 0;
        if (a.Pointer(5) != Addr.Zero)
        {
            if (t.CopyObjectIn(a.Pointer(5), out SigsetArgpack pack).Error is not null)
            {
                return Errno.EFAULT;
            }
            maskAddr = (Addr)pack.Set;
            maskSize = pack.Size;
        }
        Addr timeoutAddr = a.Pointer(4);
        long deadline = KernelTask.NoDeadline;
        if (timeoutAddr != Addr.Zero)
        {
            (Errno? timeError, deadline) = ReadTimespecDeadline(t, timeoutAddr);
            if (timeError is not null)
            {
                return timeError;
            }
        }
        Errno? maskError = SetCallMask(t, maskAddr, maskSize);
        if (maskError is not null)
        {
            return maskError;
        }
        SyscallReturn result = DoSelect(t, a.Int(0), a.Pointer(1), a.Pointer(2), a.Pointer(3), deadline);
        return FinishTimedWait(t, result, timeoutAddr, deadline, timeval: false);
    }

    private static SyscallReturn DoPoll(KernelTask t, Addr fdsAddr, uint nfds, long deadline)
    {
        if (nfds > (uint)t.Fds.Limit)
        {
            return Errno.EINVAL;
        }
        var fds = new PollFd[nfds];
        Span<byte> bytes = MemoryMarshal.AsBytes(fds.AsSpan());
        if (t.CopyIn(fdsAddr, bytes).Error is not null)
        {
            return Errno.EFAULT;
        }
        bool interrupted = false;
        int count = ScanPoll(t, fds, null);
        if (count == 0 && deadline != Immediately)
        {
            using var wait = new PollWait(t);
            count = ScanPoll(t, fds, wait);
            while (count == 0)
            {
                WakeReason reason = wait.Block(deadline);
                if (reason == WakeReason.Interrupted)
                {
                    interrupted = true;
                    break;
                }
                count = ScanPoll(t, fds, null);
                if (reason == WakeReason.TimedOut)
                {
                    break;
                }
            }
        }
        // The revents go back whatever happened (an interrupted poll's are all zero).
        if (t.CopyOut(fdsAddr, bytes).Error is not null)
        {
            return Errno.EFAULT;
        }
        return interrupted ? SyscallReturn.Interrupted(RestartKind.RestartNoHand) : SyscallReturn.Ok(count);
    }

    // One pass over poll's descriptors: each one's revents, and how many have any. With a wait,
    // each description is watched before it is looked at.
    private static int ScanPoll(KernelTask t, PollFd[] fds, PollWait? wait)
    {
        int count = 0;
        for (int i = 0; i < fds.Length; i++)
        {
            ref PollFd entry = ref fds[i];
            entry.Revents = 0;
            if (entry.Fd < 0)
            {
                continue;
            }
            FileDescription? file = t.Fds.Get(entry.Fd);
            if (file is null)
            {
                entry.Revents = PollEvents.POLLNVAL;
                count++;
                continue;
            }
            int filter = (ushort)entry.Events | PollEvents.AlwaysReported;
            if (wait is not null)
            {
                file.Watch(wait, filter);
            }
            entry.Revents = (short)(file.Readiness(filter) & filter);
            if (entry.Revents != 0)
            {
                count++;
            }
        }
        return count;
    }

    private static SyscallReturn DoSelect(KernelTask t, int nfds, Addr inAddr, Addr outAddr, Addr exAddr, long deadline)
    {
        if (nfds < 0)
        {
            return Errno.EINVAL;
        }
        // Descriptors past the table's room cannot be open; Linux looks no further.
        nfds = Math.Min(nfds, t.Fds.Capacity);
        int words = (nfds + 63) / 64;
        var sets = new SelectSets(words);
        if (!ReadFdSet(t, inAddr, sets.In) || !ReadFdSet(t, outAddr, sets.Out) || !ReadFdSet(t, exAddr, sets.Ex))
        {
            return Errno.EFAULT;
        }
        if (words > 0 && nfds % 64 != 0)
        {
            ulong valid = (1UL << (nfds % 64)) - 1;
            sets.In[words - 1] &= valid;
            sets.Out[words - 1] &= valid;
            sets.Ex[words - 1] &= valid;
        }
        for (int word = 0; word < words; word++)
        {
            ulong any = sets.In[word] | sets.Out[word] | sets.Ex[word];
            for (; any != 0; any &= any - 1)
            {
                if (t.Fds.Get(word * 64 + BitOperations.TrailingZeroCount(any)) is null)
                {
                    return Errno.EBADF;
                }
            }
        }
        bool interrupted = false;
        int count = ScanSelect(t, sets, null);
        if (count == 0 && deadline != Immediately)
        {
            using var wait = new PollWait(t);
            count = ScanSelect(t, sets, wait);
            while (count == 0)
            {
                WakeReason reason = wait.Block(deadline);
                if (reason == WakeReason.Interrupted)
                {
                    interrupted = true;
                    break;
                }
                count = ScanSelect(t, sets, null);
                if (reason == WakeReason.TimedOut)
                {
                    break;
                }
            }
        }
        if (interrupted)
        {
            // The sets are left as they were, as Linux leaves them.
            return SyscallReturn.Interrupted(RestartKind.RestartNoHand);
        }
        if (!WriteFdSet(t, inAddr, sets.InResult) || !WriteFdSet(t, outAddr, sets.OutResult) || !WriteFdSet(t, exAddr, sets.ExResult))
        {
            return Errno.EFAULT;
        }
        return SyscallReturn.Ok(count);
    }

    // One pass over select's sets: the result sets, and how many bits they have (a descriptor in
    // two sets counts twice).
    private static int ScanSelect(KernelTask t, SelectSets sets, PollWait? wait)
    {
        int count = 0;
        for (int word = 0; word < sets.In.Length; word++)
        {
            ulong resultIn = 0;
            ulong resultOut = 0;
            ulong resultEx = 0;
            ulong any = sets.In[word] | sets.Out[word] | sets.Ex[word];
            for (; any != 0; any &= any - 1)
            {
                int bitIndex = BitOperations.TrailingZeroCount(any);
                ulong bit = 1UL << bitIndex;
                FileDescription? file = t.Fds.Get(word * 64 + bitIndex);
                if (file is null)
                {
                    continue;
                }
                int events = ((sets.In[word] & bit) != 0 ? SelectInSet : 0) |
                    ((sets.Out[word] & bit) != 0 ? SelectOutSet : 0) |
                    ((sets.Ex[word] & bit) != 0 ? SelectExSet : 0);
                if (wait is not null)
                {
                    file.Watch(wait, events | PollEvents.AlwaysReported);
                }
                int mask = file.Readiness(events | PollEvents.AlwaysReported);
                if ((mask & SelectInSet) != 0 && (sets.In[word] & bit) != 0)
                {
                    resultIn |= bit;
                    count++;
                }
                if ((mask & SelectOutSet) != 0 && (sets.Out[word] & bit) != 0)
                {
                    resultOut |= bit;
                    count++;
                }
                if ((mask & SelectExSet) != 0 && (sets.Ex[word] & bit) != 0)
                {
                    resultEx |= bit;
                    count++;
                }
            }
            sets.InResult[word] = resultIn;
            sets.OutResult[word] = resultOut;
            sets.ExResult[word] = resultEx;
        }
        return count;
    }

    private static bool ReadFdSet(KernelTask t, Addr addr, ulong[] set) =>
        addr == Addr.Zero || set.Length == 0 || t.CopyIn(addr, MemoryMarshal.AsBytes(set.AsSpan())).Error is null;

    private static bool WriteFdSet(KernelTask t, Addr addr, ulong[] set) =>
        addr == Addr.Zero || set.Length == 0 || t.CopyOut(addr, MemoryMarshal.AsBytes(set.AsSpan())).Error is null;

    // A relative struct timespec as a deadline: EFAULT, EINVAL for a negative or unnormalized one.
    private static (Errno? Error, long Deadline) ReadTimespecDeadline(KernelTask t, Addr addr)
    {
        if (t.CopyObjectIn(addr, out Timespec ts).Error is not null)
        {
            return (Errno.EFAULT, 0);
        }
        if (ts.Seconds < 0 || ts.Nanoseconds is < 0 or >= 1_000_000_000)
        {
            return (Errno.EINVAL, 0);
        }
        return (null, DeadlineOf(ts.Seconds, ts.Nanoseconds));
    }

    private static long DeadlineOf(long seconds, long nanoseconds)
    {
        if (seconds == 0 && nanoseconds == 0)
        {
            return Immediately;
        }
        long total = seconds >= long.MaxValue / 1_000_000_000 ? long.MaxValue : seconds * 1_000_000_000 + nanoseconds;
        return KernelTask.DeadlineIn(total);
    }

    // The signal mask of ppoll, pselect6 and epoll_pwait, set for the length of the call (none
    // when the pointer is null).
    private static Errno? SetCallMask(KernelTask t, Addr maskAddr, ulong size)
    {
        if (maskAddr == Addr.Zero)
        {
            return null;
        }
        if (size != SigsetSize)
        {
            return Errno.EINVAL;
        }
        if (t.CopyObjectIn(maskAddr, out ulong mask).Error is not null)
        {
            return Errno.EFAULT;
        }
        t.SetTemporaryMask(mask & ~Signal.Unblockable);
        return null;
    }

    // The end of a wait with a timeout and maybe a temporary mask: the mask goes back unless a
    // signal interrupted the call (then the handler's return puts it back), and the time left is
    // written over the timeout, except for a zero timeout, as Linux's poll_select_finish.
    private static SyscallReturn FinishTimedWait(KernelTask t, SyscallReturn result, Addr timeoutAddr, long deadline, bool timeval)
    {
        if (result.Restart == RestartKind.None)
        {
            t.RestoreTemporaryMask();
        }
        if (timeoutAddr == Addr.Zero || deadline == Immediately || deadline == KernelTask.NoDeadline)
        {
            return result;
        }
        long left = Math.Max(0, deadline - Stopwatch.GetTimestamp());
        long nanoseconds = (long)(left * (1e9 / Stopwatch.Frequency));
        Error? error = timeval
            ? t.CopyObjectOut(timeoutAddr, new Timeval { Seconds = nanoseconds / 1_000_000_000, Microseconds = nanoseconds % 1_000_000_000 / 1000 }).Error
            : t.CopyObjectOut(timeoutAddr, new Timespec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 }).Error;
        if (error is not null && result.Restart == RestartKind.RestartNoHand)
        {
            // The time left cannot be written, so the call cannot be restarted with it.
            return Errno.EINTR;
        }
        return result;
    }

    // select's three sets of descriptors and the three it gives back.
    private sealed class SelectSets(int words)
    {
        public ulong[] In { get; } = new ulong[words];
        public ulong[] Out { get; } = new ulong[words];
        public ulong[] Ex { get; } = new ulong[words];
        public ulong[] InResult { get; } = new ulong[words];
        public ulong[] OutResult { get; } = new ulong[words];
        public ulong[] ExResult { get; } = new ulong[words];
    }
}
