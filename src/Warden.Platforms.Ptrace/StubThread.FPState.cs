using System.Runtime.InteropServices;
using Warden.Errors;
using Warden.Interop;
using Warden.Platform;

namespace Warden.Platforms.Ptrace;

// The floating-point state of this thread: which context's it holds, and moving states in and out.
// See PtraceContext for the protocol as a whole.
internal sealed unsafe partial class StubThread
{
    private readonly Lock _fpLock = new();

    // Guarded by _fpLock: the context whose floating-point state is live in this thread (its LiveIn
    // is then this thread). Changed by the owner thread, and cleared by others through DropFP.
    private PtraceContext? _fpOwner;

    // A buffer of the kernel's XSAVE size, for FPStates of another size (native, 64-byte aligned).
    private byte* _staging;
    private int _xstateSize;

    ~StubThread()
    {
        if (_staging is not null)
        {
            NativeMemory.AlignedFree(_staging);
        }
    }

    private void AllocateStaging(int xstateSize)
    {
        _xstateSize = xstateSize;
        _staging = (byte*)NativeMemory.AlignedAlloc((nuint)xstateSize, FPState.Alignment);
    }

    /// <summary>Forgets that this thread holds <paramref name="context"/>'s state (the context has a newer one). Any thread.</summary>
    public void DropFP(PtraceContext context)
    {
        lock (_fpLock)
        {
            if (_fpOwner == context)
            {
                _fpOwner = null;
            }
        }
        Interlocked.CompareExchange(ref context.LiveIn, null, this);
    }

    /// <summary>
    /// Copies <paramref name="context"/>'s live state out of this thread into <paramref name="destination"/>
    /// if the thread holds it; with <paramref name="evict"/>, the thread no longer holds it afterwards.
    /// </summary>
    /// <returns>Whether the thread held it; an error if the stub is gone.</returns>
    public (bool Pulled, Error? Error) PullFP(PtraceContext context, FPState destination, bool evict)
    {
        lock (_fpLock)
        {
            if (_fpOwner != context)
            {
                return (false, null);
            }
            if (IsDead || GetXState(destination) is not null)
            {
                return (false, PtraceErrors.StubDied);
            }
            if (evict)
            {
                _fpOwner = null;
                Volatile.Write(ref context.LiveIn, null);
            }
            return (true, null);
        }
    }

    /// <summary>Moves the state of the context this thread holds, if any, into that context's spill buffer.</summary>
    public void EvictFPOwner()
    {
        lock (_fpLock)
        {
            EvictFPOwnerLocked();
        }
    }

    private void EvictFPOwnerLocked()
    {
        PtraceContext? owner = _fpOwner;
        if (owner is null)
        {
            return;
        }
        _fpOwner = null;
        if (Volatile.Read(ref owner.LiveIn) != this || owner.Spill is null)
        {
            return;
        }
        if (GetXState(owner.Spill) is null)
        {
            // The spill is written before LiveIn is cleared: whoever sees null sees the spill.
            Volatile.Write(ref owner.LiveIn, null);
        }
    }

    // Before running context: puts its state in this thread unless the thread already has it.
    private Error? LoadFP(PtraceContext context, FPState state)
    {
        if (!Process.LazyFP)
        {
            return FailLoad(SetXState(state));
        }
        lock (_fpLock)
        {
            if (FPLending.MarkOf(state) == 0)
            {
                // The caller's own state, new or changed: load it, whoever the thread held.
                if (_fpOwner is not null && _fpOwner != context)
                {
                    EvictFPOwnerLocked();
                }
                Errno? error = SetXState(state);
                if (error is not null)
                {
                    return FailLoad(error);
                }
                _fpOwner = context;
                Volatile.Write(ref context.LiveIn, this);
                return null;
            }
            // Lent, and unchanged since (the context checked that the mark is its own, and brought
            // the state back from any other thread into its spill buffer).
            if (_fpOwner == context)
            {
                return null;
            }
            if (_fpOwner is not null)
            {
                EvictFPOwnerLocked();
            }
            if (Volatile.Read(ref context.LiveIn) is not null)
            {
                return PtraceErrors.FPStateLost;
            }
            Errno? spillError = SetXState(context.Spill!);
            if (spillError is not null)
            {
                return FailLoad(spillError);
            }
            _fpOwner = context;
            Volatile.Write(ref context.LiveIn, this);
            return null;
        }
    }

    // ESRCH means the stub went away; anything else is the kernel refusing the state (EINVAL for an
    // invalid XSAVE image), which is the caller's to fix.
    private Error? FailLoad(Errno? error) => error is null ? null : error == Errno.ESRCH ? Gone() : error;

    // After running context: in lazy mode its state stays here and the caller's copy is marked as
    // lent; otherwise the state is copied back.
    private void FinishFP(PtraceContext context, FPState state)
    {
        if (!Process.LazyFP)
        {
            _ = GetXState(state);
            return;
        }
        if (_fpOwner == context)
        {
            FPLending.SetMark(state, context.Mark);
            context.LentState = state;
        }
    }

    // Loads state into the thread.
    private Errno? SetXState(FPState state)
    {
        Span<byte> area = state.AsSpan();
        fixed (byte* p = area)
        {
            byte* source = p;
            if (area.Length != _xstateSize)
            {
                var staging = new Span<byte>(_staging, _xstateSize);
                staging.Clear();
                area[..Math.Min(area.Length, _xstateSize)].CopyTo(staging);
                source = _staging;
            }
            var iov = new Iovec { Base = source, Length = (nuint)_xstateSize };
            return Libc.Ptrace(Libc.PTRACE_SETREGSET, Tid, Libc.NT_X86_XSTATE, (nint)(&iov));
        }
    }

    // Copies the thread's state into state.
    private Errno? GetXState(FPState state)
    {
        Span<byte> area = state.AsSpan();
        fixed (byte* p = area)
        {
            byte* destination = area.Length == _xstateSize ? p : _staging;
            var iov = new Iovec { Base = destination, Length = (nuint)_xstateSize };
            Errno? error = Libc.Ptrace(Libc.PTRACE_GETREGSET, Tid, Libc.NT_X86_XSTATE, (nint)(&iov));
            if (error is null && destination == _staging)
            {
                area.Clear();
                new Span<byte>(_staging, Math.Min(area.Length, _xstateSize)).CopyTo(area);
            }
            return error;
        }
    }
}
