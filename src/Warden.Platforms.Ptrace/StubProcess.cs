using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;
using Warden.Platform;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// One stub process: the host process behind a <see cref="PtraceAddressSpace"/>, with its threads
/// and the Warden thread that owns it.
/// </summary>
/// <remarks>
/// <para>
/// <b>The thread model</b> of the ptrace platform (described here only; the other types point here).
/// Linux takes ptrace requests for a thread only from the thread that attached it (its tracer), so
/// every stub thread has exactly one tracer, and that tracer makes all of its requests:
/// </para>
/// <list type="bullet">
/// <item>The <i>syscall thread</i> (<see cref="SyscallThread"/>): the thread that started as the stub
/// program (its id is the process's). It is traced by the <i>operations thread</i>, a Warden thread
/// this object starts, which lives as long as the process: it spawns the stub, makes every system
/// call Warden needs made in it (<c>mmap</c>, <c>munmap</c>, <c>open</c>, and the <c>clone</c> that
/// makes the other threads), and at the end kills the process and collects all of its threads. The
/// syscall thread never runs application code.</item>
/// <item>The <i>stub threads</i> (<see cref="StubThread"/>): one for each Warden thread that switches
/// into this address space, made (by the syscall thread's <c>clone</c>) on that Warden thread's first
/// switch and attached by it. The Warden thread is the stub thread's tracer: a switch is then
/// entirely its own ptrace requests, with no hand-off, and several Warden threads run application
/// code in one address space at once. Should a tracer thread exit, Linux detaches its stub thread,
/// which then sleeps in the stub's parking loop (see <see cref="StubThread"/>).</item>
/// <item>Waiting: each tracer waits (<c>waitpid</c>) for its own tracee's stops. The threads' ends are
/// collected by whoever sees them (any thread of a thread group may collect a tracee of another) and,
/// at the end, by the operations thread, which polls instead of blocking (see <c>StubProcess.Reap.cs</c>
/// for why a blocking wait could hang). A timer watches the operations thread's blocking waits for
/// the syscall thread, which a kill could otherwise leave waiting for ever (<c>StubProcess.Watch.cs</c>).</item>
/// <item>Requests reach the operations thread through a slot and two doorbells (<see cref="Doorbell"/>):
/// the caller posts and waits, the operations thread answers. A single system call with no path
/// is made in the calling Warden thread's own stub thread instead, if it has one here, with any
/// queued unmaps before it (see <see cref="Syscalls"/>); so are the queued unmaps before a switch
/// (see <see cref="EnterRunning"/>).</item>
/// </list>
/// <para>
/// <b>Deferred unmaps.</b> While no application thread is running, <see cref="Unmap"/> only queues
/// the range; the queue is run (in one batch) before any application thread next runs, and before any
/// other system call is made in the stub. While one is running, <see cref="Unmap"/> takes effect
/// before it returns.
/// </para>
/// <para>
/// <b>Locks</b>, in order: <c>_opGate</c> (serializes requests to the operations thread, held while
/// waiting for the answer), then <c>_queueLock</c> (the unmap queue and the running count),
/// <c>_threadsLock</c> (the application threads) and <c>_kickLock</c> (keeps the process from being
/// reaped while a signal is sent to it); the last three are never held together.
/// </para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed partial class StubProcess
{
    private static readonly int s_wardenPid = Environment.ProcessId;

    private readonly Lock _queueLock = new();
    private readonly Lock _threadsLock = new();
    private readonly Lock _kickLock = new();

    // Set by the operations thread while starting; read-only afterwards.
    private int _pid;
    private SafeFileHandle? _pidfd;
    private SafeFileHandle? _mem;
    private SyscallThread? _syscallThread;

    // Set once the process is dead (killed, from outside or by Warden); checked by everyone.
    private volatile bool _dead;

    // Guarded by _kickLock: set once the process has been reaped (its ids may then be reused).
    private bool _reaped;

    // Guarded by _queueLock: deferred unmaps, in order, and how many application threads are running.
    private readonly SyscallEntry[] _unmapQueue = new SyscallEntry[StubLayout.TableCapacity];
    private int _unmapCount;
    private int _running;

    // Guarded by _threadsLock: the application threads, by the Warden thread that traces each.
    private readonly Dictionary<ThreadToken, StubThread> _threads = [];

    private StubProcess(bool lazyFP, bool pinTracers, TimeSpan spin)
    {
        LazyFP = lazyFP;
        PinTracers = pinTracers;
        _opsBell = new Doorbell(spin);
        _opDone = new Doorbell(spin);
        _opsThread = new Thread(OpsMain) { IsBackground = true, Name = "warden-ptrace-ops" };
    }

    /// <summary>The process id (also the id of its syscall thread).</summary>
    public int Pid => _pid;

    /// <summary>Whether the process is dead.</summary>
    public bool IsDead => _dead;

    /// <summary>Whether floating-point state stays in stub threads between switches.</summary>
    public bool LazyFP { get; }

    /// <summary>Whether tracer threads are kept on one CPU while they switch (<see cref="TracerAffinity"/>).</summary>
    public bool PinTracers { get; }

    /// <summary>The size of the XSAVE area the kernel exchanges for the process's threads.</summary>
    public int XStateSize { get; private set; }

    /// <summary>Starts a stub process and its operations thread.</summary>
    /// <returns>The process, stopped and ready; or why it could not be started (nothing is left behind then).</returns>
    public static (StubProcess? Process, Error? Error) Start(bool lazyFP, bool pinTracers, TimeSpan spin)
    {
        var process = new StubProcess(lazyFP, pinTracers, spin);
        process._opsThread.Start();
        process._opDone.Wait();
        if (process._startError is not null)
        {
            process._opsThread.Join();
            process.CloseHandles();
            return (null, process._startError);
        }
        return (process, null);
    }

    /// <summary>
    /// The application thread the calling Warden thread traces in this process, made (and attached
    /// by the calling thread) on first use.
    /// </summary>
    /// <returns>The thread, or why it could not be made (<see cref="PtraceErrors.StubDied"/>, a <c>clone</c> or ptrace errno).</returns>
    public (StubThread? Thread, Error? Error) ThreadForCurrent()
    {
        ThreadToken token = ThreadToken.Current;
        lock (_threadsLock)
        {
            if (_threads.TryGetValue(token, out StubThread? existing))
            {
                return (existing, null);
            }
        }
        if (_dead)
        {
            return (null, PtraceErrors.StubDied);
        }
        (int tid, Error? error) = CloneOp();
        if (error is not null)
        {
            return (null, error);
        }
        (StubThread? thread, error) = StubThread.Attach(this, tid, token);
        if (error is not null)
        {
            return (null, error);
        }
        lock (_threadsLock)
        {
            if (!_dead)
            {
                _threads.Add(token, thread!);
                return (thread, null);
            }
        }
        // The process died meanwhile, perhaps already being reaped without this thread: collect it here.
        return (null, thread!.GoneAndReaped());
    }

    /// <summary>The application thread the calling Warden thread traces in this process, if it has one.</summary>
    public StubThread? CurrentThreadOrNull()
    {
        lock (_threadsLock)
        {
            return _threads.GetValueOrDefault(ThreadToken.Current);
        }
    }

    /// <summary>
    /// Makes the system call in <paramref name="entries"/> (if any) in the stub, after any deferred
    /// unmaps. If <paramref name="path"/> is given, it is first written to <see cref="StubLayout.PathAddress"/>.
    /// </summary>
    /// <returns>
    /// Whether the call completed (1) or failed (0), its result (a negated errno if it failed), and
    /// an error if the stub could not be made to run it (the stub is then gone).
    /// </returns>
    /// <remarks>
    /// <para>A call with no path is made in the calling thread's own application thread if it has
    /// one here, after the queued unmaps, which it runs too (no hand-off); anything else by the
    /// operations thread.</para>
    /// <para><b>Preconditions:</b> at most one entry; the path, with its NUL, fits in
    /// <see cref="StubLayout.PathCapacity"/> bytes.</para>
    /// </remarks>
    public (int Completed, long LastResult, Error? Error) Syscalls(ReadOnlySpan<SyscallEntry> entries, string? path = null)
    {
        if (entries.Length > 1)
        {
            ThrowHelper.ThrowArgument(nameof(entries), "One system call at a time.");
        }
        if (_dead)
        {
            return (0, 0, PtraceErrors.StubDied);
        }
        if (entries.Length == 1 && path is null && CurrentThreadOrNull() is { } own)
        {
            return Volatile.Read(ref _unmapCount) == 0 ? own.InjectOne(entries[0]) : SyscallAfterUnmapsInOwnThread(own, entries[0]);
        }
        return SyscallsOp(entries, path);
    }

    /// <summary>Removes the mappings of <paramref name="length"/> bytes at <paramref name="addr"/> from the stub.</summary>
    /// <remarks>
    /// Queued while no application thread runs (and then done before any runs); done before this
    /// returns while one is running, or when the queue is full. A stub whose <c>munmap</c> fails is
    /// killed, since it could otherwise still reach memory Warden is about to reuse.
    /// </remarks>
    public void Unmap(ulong addr, ulong length)
    {
        bool now;
        lock (_queueLock)
        {
            if (_dead)
            {
                return;
            }
            QueueUnmapLocked(addr, length);
            now = _running != 0 || _unmapCount == _unmapQueue.Length;
        }
        if (now)
        {
            // An operation with no calls of its own: the queue is run, this range included.
            _ = SyscallsOp([], null);
        }
    }

    /// <summary>
    /// Counts <paramref name="own"/> as running (so that unmaps take effect at once), after running
    /// the deferred unmaps in it (no hand-off to the operations thread).
    /// </summary>
    /// <returns><c>null</c>, or <see cref="PtraceErrors.StubDied"/> (the thread is then not counted).</returns>
    /// <remarks><b>Preconditions:</b> <paramref name="own"/> is stopped and traced by the calling thread.</remarks>
    public Error? EnterRunning(StubThread own)
    {
        bool flush;
        lock (_queueLock)
        {
            _running++;
            flush = _unmapCount != 0;
        }
        if (flush)
        {
            Error? error;
            lock (_opGate)
            {
                error = _dead ? PtraceErrors.StubDied : RunQueuedUnmaps(own, default, [], out _);
            }
            if (error is not null)
            {
                ExitRunning();
                return error;
            }
        }
        return null;
    }

    /// <summary>Undoes <see cref="EnterRunning"/>.</summary>
    public void ExitRunning()
    {
        lock (_queueLock)
        {
            _running--;
        }
    }

    /// <summary>
    /// Sends <see cref="IPlatformContext.SignalInterrupt"/> to thread <paramref name="tid"/> of the
    /// stub, which stops it if it is running application code. Harmless if it is not.
    /// </summary>
    public void Kick(int tid)
    {
        lock (_kickLock)
        {
            if (!_reaped && !_dead)
            {
                _ = Libc.Tgkill(_pid, tid, IPlatformContext.SignalInterrupt);
            }
        }
    }

    /// <summary>Whether <paramref name="signal"/>, with the siginfo <paramref name="info"/>, is a kick Warden sent.</summary>
    public static bool IsKick(int signal, in SignalInfo info) =>
        signal == IPlatformContext.SignalInterrupt && info.Code == Libc.SI_TKILL && info.Pid == s_wardenPid;

    /// <summary>Kills the process (from any thread); its operations thread reaps it soon after.</summary>
    public void Kill()
    {
        _dead = true;
        lock (_kickLock)
        {
            if (_reaped)
            {
                return;
            }
            if (_pidfd is not null)
            {
                _ = Libc.PidfdSendSignal(_pidfd, Libc.SIGKILL);
            }
            else if (_pid != 0)
            {
                _ = Libc.Kill(_pid, Libc.SIGKILL);
            }
        }
        _opsBell.Ring();
    }

    /// <summary>
    /// Kills and reaps the process and all its threads, and ends the operations thread. Before that,
    /// any floating-point state held by an application thread the calling thread traces is given back
    /// to its context. Safe to call more than once, and while switches are running (they return
    /// <see cref="PtraceErrors.StubDied"/>).
    /// </summary>
    /// <remarks><b>Postconditions:</b> no process or thread of this stub remains.</remarks>
    public void Release()
    {
        StubThread? own = CurrentThreadOrNull();
        if (own is not null && !_dead)
        {
            own.EvictFPOwner();
        }
        ExitOp();
        _opsThread.Join();
        CloseHandles();
    }

    /// <summary>Reads up to <c>destination.Length</c> bytes of the stub's memory at <paramref name="addr"/>.</summary>
    /// <returns>How many bytes could be read before the first unreadable one (0 if none).</returns>
    public unsafe int ReadMemory(ulong addr, Span<byte> destination)
    {
        fixed (byte* p = destination)
        {
            var iov = new Iovec { Base = p, Length = (nuint)destination.Length };
            (long n, Errno? error) = Libc.Preadv(_mem!, &iov, 1, (long)addr);
            return error is null ? (int)n : 0;
        }
    }

    /// <summary>Writes into the stub's memory through <c>/proc/PID/mem</c> (which ignores page protections).</summary>
    public unsafe Errno? WriteMemory(ulong addr, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var iov = new Iovec { Base = p, Length = (nuint)data.Length };
            (long n, Errno? error) = Libc.Pwritev(_mem!, &iov, 1, (long)addr);
            return error ?? (n == data.Length ? null : Errno.EFAULT);
        }
    }

    /// <summary>Records the pid of the stub just spawned (operations thread, while starting).</summary>
    public void SetPid(int pid)
    {
        _pid = pid;
        // Without pidfds (Linux before 5.3), kills go by pid, which is safe until the process is reaped.
        (_pidfd, _) = Libc.PidfdOpen(pid, 0);
    }

    /// <summary>Records that the process has been reaped: its ids may be reused, so nothing may be sent to them.</summary>
    public void MarkReaped()
    {
        _dead = true;
        lock (_kickLock)
        {
            _reaped = true;
        }
    }

    private void QueueUnmapLocked(ulong addr, ulong length)
    {
        if (_unmapCount > 0)
        {
            ref SyscallEntry last = ref _unmapQueue[_unmapCount - 1];
            // Merge with the previous range when the two touch or overlap.
            if (addr <= last.Arg0 + last.Arg1 && last.Arg0 <= addr + length)
            {
                ulong start = Math.Min(addr, last.Arg0);
                ulong end = Math.Max(addr + length, last.Arg0 + last.Arg1);
                last.Arg0 = start;
                last.Arg1 = end - start;
                return;
            }
        }
        _unmapQueue[_unmapCount++] = new SyscallEntry(SyscallEntry.SysMunmap, addr, length);
    }

    private void CloseHandles()
    {
        lock (_kickLock)
        {
            _reaped = true;
        }
        _pidfd?.Dispose();
        _mem?.Dispose();
    }
}
