using System.Runtime.InteropServices;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Files;
using Warden.Mm;
using Warden.Platform;
using Warden.UserMem;

namespace Warden.Kernel.Tasks;

/// <summary>
/// One application thread (gVisor's <c>kernel.Task</c>): its registers, its platform context and
/// the Warden thread that runs it, its descriptor table, file-system context and signal mask. A
/// task is the <see cref="IContext"/> of everything done on its behalf: its cancellation is the
/// process being killed.
/// </summary>
/// <remarks>
/// Everything here is used only by the task's own Warden thread, except <see cref="Interrupt"/>
/// and what is said otherwise. Application memory is reached through <see cref="MM"/> and the IO
/// contract only.
/// </remarks>
internal sealed partial class KernelTask : IContext
{
    private byte[] _scratch = [];

    public KernelTask(Kernel kernel, ThreadGroup group, int tid, ArchContext arch, FdTable fds, FsContext fs)
    {
        Kernel = kernel;
        Group = group;
        Tid = tid;
        Arch = arch;
        Fds = fds;
        Fs = fs;
        PlatformContext = kernel.Platform.NewContext();
    }

    public Kernel Kernel { get; }

    public ThreadGroup Group { get; }

    /// <summary>The thread ID (the kernel's own numbering; the main thread's is the pid).</summary>
    public int Tid { get; }

    /// <summary>The registers and floating-point state.</summary>
    public ArchContext Arch { get; }

    public IPlatformContext PlatformContext { get; }

    public FdTable Fds { get; }

    public FsContext Fs { get; }

    /// <summary>The address space (the process's).</summary>
    public MemoryManager MM => Group.MM;

    /// <summary>The blocked signals. Set by the task's own thread only; read by senders (under the signal lock).</summary>
    public ulong SignalMask
    {
        get => Volatile.Read(ref _signalMask);
        set => Volatile.Write(ref _signalMask, value & ~Signals.Signal.Unblockable);
    }

    private ulong _signalMask;

    /// <summary>Signals sent to this thread alone (tgkill, faults). The process's signal lock.</summary>
    public Signals.PendingSignals Pending { get; } = new();

    /// <summary>What this task waits on when it blocks.</summary>
    public TaskWaker Waker { get; } = new();

    /// <summary>The alternate signal stack (sigaltstack).</summary>
    public Signals.SignalStack AltStack { get; set; } = Signals.SignalStack.Disabled;

    /// <summary>set_tid_address's word, cleared (and futex-woken) when the thread exits.</summary>
    public ulong ClearChildTid { get; set; }

    /// <summary>set_robust_list's head.</summary>
    public ulong RobustList { get; set; }

    /// <summary>The name PR_SET_NAME gives the thread (16 bytes at most, NUL included).</summary>
    public string Name { get; set; } = "";

    /// <summary>Its nice value, -20 to 19 (getpriority and setpriority; inherited by a child).</summary>
    public int Nice { get; set; }

    /// <summary>Its I/O priority, class and data as ioprio_set encodes them (0: none set; inherited by a child).</summary>
    public int IoPriority { get; set; }

    /// <inheritdoc/>
    public CancellationToken CancellationToken => Group.Killed;

    /// <inheritdoc/>
    public bool TryGetValue<T>(ContextKey<T> key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value)
    {
        value = default;
        return false;
    }

    /// <summary>
    /// Makes the task look at its signals and its process's state soon: a running
    /// <see cref="IPlatformContext.Switch"/> returns, a blocked wait ends. Any thread.
    /// </summary>
    public void Interrupt()
    {
        Waker.Wake();
        PlatformContext.Interrupt();
    }

    /// <summary>A buffer of at least <paramref name="length"/> bytes, reused by this task's calls.</summary>
    public byte[] ScratchBuffer(int length)
    {
        if (_scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, 4096)];
        }
        return _scratch;
    }

    public (int Count, Error? Error) CopyIn(Addr addr, Span<byte> dst)
    {
        (int n, Error? error) = MM.CopyIn(this, addr, dst, default);
        Kernel.Stats.AddCopiedIn(n);
        return (n, error);
    }

    public (int Count, Error? Error) CopyOut(Addr addr, ReadOnlySpan<byte> src)
    {
        (int n, Error? error) = MM.CopyOut(this, addr, src, default);
        Kernel.Stats.AddCopiedOut(n);
        return (n, error);
    }

    public (int Count, Error? Error) CopyObjectIn<T>(Addr addr, out T value)
        where T : unmanaged
    {
        (int n, Error? error) = MM.CopyObjectIn(this, addr, out value, default);
        Kernel.Stats.AddCopiedIn(n);
        return (n, error);
    }

    public (int Count, Error? Error) CopyObjectOut<T>(Addr addr, in T value)
        where T : unmanaged
    {
        (int n, Error? error) = MM.CopyObjectOut(this, addr, in value, default);
        Kernel.Stats.AddCopiedOut(n);
        return (n, error);
    }

    /// <summary>Copies in a NUL-terminated path: ENAMETOOLONG past PATH_MAX, EFAULT for a bad pointer.</summary>
    public (string Path, Error? Error) CopyPathIn(Addr addr) => CopyStringIn(addr, 4096);

    public (string Value, Error? Error) CopyStringIn(Addr addr, int maxLength)
    {
        (string value, Error? error) = MM.CopyStringIn(this, addr, maxLength, default);
        Kernel.Stats.AddCopiedIn(value.Length);
        return (value, error);
    }

    /// <summary>
    /// An IOSequence over [addr, addr + length), capped at MAX_RW_COUNT: EFAULT when the range wraps
    /// or reaches past the user address range (Linux's access_ok). <paramref name="length"/> is the
    /// program's size_t.
    /// </summary>
    public (IOSequence Seq, Errno? Error) SingleIOSequence(Addr addr, long length)
    {
        ulong size = (ulong)length;
        ulong end = addr.Value + size;
        if (size != 0 && (end < addr.Value || end > HostArch.Arch.TaskSize))
        {
            return (default, Errno.EFAULT);
        }
        size = Math.Min(size, (ulong)MaxRwCount);
        return (new IOSequence(MM, AddrRangeSeq.Of(new AddrRange(addr, addr + size))), null);
    }

    /// <summary>The largest transfer one read or write makes (Linux's MAX_RW_COUNT).</summary>
    public const long MaxRwCount = 0x7fff_f000;

    /// <summary>
    /// An IOSequence over the <paramref name="count"/> iovecs at <paramref name="iov"/>, as readv and
    /// writev take them: EINVAL for a count above UIO_MAXIOV or a negative length; the total is
    /// capped at MAX_RW_COUNT.
    /// </summary>
    public (IOSequence Seq, Error? Error) IovecIOSequence(Addr iov, int count)
    {
        if (count < 0 || count > 1024)
        {
            return (default, Errno.EINVAL);
        }
        if (count == 0)
        {
            return (new IOSequence(MM, AddrRangeSeq.Empty), null);
        }
        Span<UserIovec> iovecs = count <= 16 ? stackalloc UserIovec[count] : new UserIovec[count];
        (_, Error? error) = MM.CopyObjectIn(this, iov, iovecs, default);
        if (error is not null)
        {
            return (default, Errno.EFAULT);
        }
        var ranges = new AddrRange[count];
        long total = 0;
        int used = 0;
        foreach (UserIovec v in iovecs)
        {
            if ((long)v.Length < 0)
            {
                return (default, Errno.EINVAL);
            }
            ulong fullEnd = v.Base + v.Length;
            if (v.Length != 0 && (fullEnd < v.Base || fullEnd > HostArch.Arch.TaskSize))
            {
                return (default, Errno.EFAULT);
            }
            long length = (long)Math.Min(v.Length, (ulong)(MaxRwCount - total));
            Addr end = (Addr)(v.Base + (ulong)length);
            ranges[used++] = new AddrRange((Addr)v.Base, end);
            total += length;
        }
        return (new IOSequence(MM, AddrRangeSeq.FromArray(ranges, 0, used)), null);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct UserIovec
    {
        public ulong Base;
        public ulong Length;
    }
}
