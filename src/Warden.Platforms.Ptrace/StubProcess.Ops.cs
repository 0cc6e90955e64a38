using Warden.Errors;
using Warden.Interop;

namespace Warden.Platforms.Ptrace;

// The operations thread: starting the stub, the requests it serves, and the end of the process.
internal sealed partial class StubProcess
{
    private const int Empty = 0;
    private const int Posted = 1;
    private const int Taken = 2;
    private const int Answered = 3;

    private readonly Thread _opsThread;
    private readonly Doorbell _opsBell;
    private readonly Doorbell _opDone;
    private readonly Lock _opGate = new();

    // Set by the operations thread before it first rings _opDone.
    private Error? _startError;

    // Set when the operations thread has left its loop; requests posted after it are withdrawn.
    private int _exited;

    // An exception that escaped the operations thread (a bug); rethrown to callers.
    private volatile Exception? _crash;

    // The request slot: filled under _opGate, read and answered by the operations thread. It goes
    // from Empty to Posted (caller) to Taken to Answered (operations thread) and back to Empty
    // (caller, once it has read the answer); a caller that finds the thread gone withdraws a request
    // still Posted.
    private int _opState;
    private OpKind _opKind;
    private SyscallEntry _opEntry;
    private int _opCount;
    private string? _opPath;
    private int _opCompleted;
    private long _opResult;
    private Error? _opError;

    private enum OpKind
    {
        Syscalls,
        Clone,
        Exit,
    }

    // One call made in the caller's own stub thread after the queued unmaps, which that thread runs
    // too: no hand-off to the operations thread (a copy-on-write break queues the unmap of the
    // page it replaces, then maps the copy: the mmap alone does both). _opGate keeps every other
    // request out meanwhile.
    private (int Completed, long LastResult, Error? Error) SyscallAfterUnmapsInOwnThread(StubThread own, in SyscallEntry entry)
    {
        lock (_opGate)
        {
            if (_dead)
            {
                return (0, 0, PtraceErrors.StubDied);
            }
            Span<SyscallEntry> setAside = stackalloc SyscallEntry[StubLayout.TableCapacity];
            Error? error = RunQueuedUnmaps(own, entry, setAside, out int setAsideCount);
            if (error is not null)
            {
                return (0, 0, error);
            }
            (int completed, long result, error) = own.InjectOne(entry);
            if (error is null && completed == 0 && setAsideCount > 0)
            {
                error = RunUnmapsNow(own, setAside[..setAsideCount]);
            }
            return (completed, result, error);
        }
    }

    private (int Completed, long LastResult, Error? Error) SyscallsOp(ReadOnlySpan<SyscallEntry> entries, string? path)
    {
        lock (_opGate)
        {
            if (_dead)
            {
                return (0, 0, PtraceErrors.StubDied);
            }
            _opKind = OpKind.Syscalls;
            _opEntry = entries.IsEmpty ? default : entries[0];
            _opCount = entries.Length;
            _opPath = path;
            bool answered = PostOp();
            _opPath = null;
            if (!answered)
            {
                return (0, 0, PtraceErrors.StubDied);
            }
            (int, long, Error?) answer = (_opCompleted, _opResult, _opError);
            Volatile.Write(ref _opState, Empty);
            return answer;
        }
    }

    private (int Tid, Error? Error) CloneOp()
    {
        lock (_opGate)
        {
            if (_dead)
            {
                return (0, PtraceErrors.StubDied);
            }
            _opKind = OpKind.Clone;
            if (!PostOp())
            {
                return (0, PtraceErrors.StubDied);
            }
            (int, Error?) answer = ((int)_opResult, _opError);
            Volatile.Write(ref _opState, Empty);
            return answer;
        }
    }

    private void ExitOp()
    {
        lock (_opGate)
        {
            if (Volatile.Read(ref _exited) != 0)
            {
                return;
            }
            _opKind = OpKind.Exit;
            if (PostOp())
            {
                Volatile.Write(ref _opState, Empty);
            }
        }
    }

    // Posts the request in the slot and waits for the answer; false if the operations thread had
    // gone and the request was withdrawn.
    private bool PostOp()
    {
        Interlocked.Exchange(ref _opState, Posted);
        _opsBell.Ring();
        if (Volatile.Read(ref _exited) != 0 && Interlocked.CompareExchange(ref _opState, Empty, Posted) == Posted)
        {
            return false;
        }
        _opDone.Wait();
        if (_crash is { } crash)
        {
            ThrowHelper.ThrowInvalidOperation("The ptrace operations thread failed; its stub has been killed.", crash);
        }
        return true;
    }

    private void OpsMain()
    {
        Error? startError;
        try
        {
            (_syscallThread, int xstateSize, startError) = SyscallThread.Start(this);
            if (startError is null)
            {
                XStateSize = xstateSize;
                _mem = File.OpenHandle($"/proc/{_pid}/mem", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            startError = new StubStartError("opening the stub's memory", new ExceptionError(e));
        }
        _startError = startError;
        if (startError is not null)
        {
            KillAndReap();
            Volatile.Write(ref _exited, 1);
            _opDone.Ring();
            return;
        }
        StartWatch();
        _opDone.Ring();

        try
        {
            while (true)
            {
                _opsBell.Wait();
                if (_dead)
                {
                    // Killed (from outside, or after a failure): reap it now rather than at release.
                    KillAndReap();
                }
                if (Volatile.Read(ref _opState) != Posted || Interlocked.CompareExchange(ref _opState, Taken, Posted) != Posted)
                {
                    continue;
                }
                bool exit = HandleOp();
                Volatile.Write(ref _opState, Answered);
                _opDone.Ring();
                if (exit)
                {
                    return;
                }
            }
        }
        catch (Exception e)
        {
            // A bug. The stub cannot be left running unsupervised: kill it, and let every waiting
            // caller see the exception.
            _crash = e;
            KillAndReap();
        }
        finally
        {
            Interlocked.Exchange(ref _exited, 1);
            // Answer a request posted before the flag was seen, or one being served when a bug struck.
            int state = Interlocked.CompareExchange(ref _opState, Taken, Posted);
            if (state is Posted or Taken)
            {
                _opCompleted = 0;
                _opError = PtraceErrors.StubDied;
                Volatile.Write(ref _opState, Answered);
                _opDone.Ring();
            }
        }
    }

    // Serves the request in the slot; true if the thread should end.
    private bool HandleOp()
    {
        switch (_opKind)
        {
            case OpKind.Syscalls:
                (_opCompleted, _opResult, _opError) = RunSyscalls();
                return false;
            case OpKind.Clone:
                (int tid, Error? error) = _dead ? (0, PtraceErrors.StubDied) : _syscallThread!.Clone();
                (_opResult, _opError) = (tid, error);
                return false;
            default:
                KillAndReap();
                _opError = null;
                return true;
        }
    }

    private (int Completed, long LastResult, Error? Error) RunSyscalls()
    {
        if (_dead)
        {
            return (0, 0, PtraceErrors.StubDied);
        }
        SyscallThread thread = _syscallThread!;
        bool hasCall = _opCount != 0 || _opPath is not null;
        Span<SyscallEntry> setAside = stackalloc SyscallEntry[StubLayout.TableCapacity];
        int setAsideCount = 0;
        Error? error = Volatile.Read(ref _unmapCount) == 0 ? null : RunQueuedUnmaps(thread, _opCount == 0 ? default : _opEntry, setAside, out setAsideCount);
        if (error is not null || !hasCall)
        {
            return (0, 0, error);
        }
        (int completed, long result, error) = thread.Syscalls(new ReadOnlySpan<SyscallEntry>(in _opEntry)[.._opCount], _opPath);
        if (error is null && completed == 0 && setAsideCount > 0)
        {
            error = RunUnmapsNow(thread, setAside[..setAsideCount]);
        }
        return (completed, result, error);
    }

    // Takes the queued unmaps and runs them in one batch in `thread` (stopped, traced by the caller),
    // except those that `next`, the call to be made right after, replaces (SyscallEntry.Replaces):
    // those are copied to `setAside` instead, for the caller to run with RunUnmapsNow should that
    // call fail. A failure kills the stub. The caller holds _opGate or is the operations thread
    // serving a request.
    private Error? RunQueuedUnmaps(TracedThread thread, in SyscallEntry next, Span<SyscallEntry> setAside, out int setAsideCount)
    {
        Span<SyscallEntry> batch = stackalloc SyscallEntry[StubLayout.TableCapacity];
        int count = 0;
        setAsideCount = 0;
        lock (_queueLock)
        {
            foreach (ref readonly SyscallEntry unmap in _unmapQueue.AsSpan(0, _unmapCount))
            {
                if (next.Replaces(unmap))
                {
                    setAside[setAsideCount++] = unmap;
                }
                else
                {
                    batch[count++] = unmap;
                }
            }
            _unmapCount = 0;
        }
        return count == 0 ? null : RunUnmapsNow(thread, batch[..count]);
    }

    // Runs `unmaps` in one batch in `thread` (the preconditions of RunQueuedUnmaps); a failure kills the stub.
    private Error? RunUnmapsNow(TracedThread thread, ReadOnlySpan<SyscallEntry> unmaps)
    {
        (int completed, _, Error? error) = thread.InjectUnmaps(unmaps);
        if (error is not null)
        {
            return error;
        }
        if (completed < unmaps.Length)
        {
            // The stub may still map memory Warden is about to free or reuse: it must not run again.
            Kill();
            return PtraceErrors.StubDied;
        }
        return null;
    }
}
