using System.Diagnostics;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

/// <summary>What <see cref="MemoryManager.MLockAll"/> locks.</summary>
/// <param name="Current">MCL_CURRENT: lock every existing mapping.</param>
/// <param name="Future">MCL_FUTURE: lock every later mapping.</param>
/// <param name="Mode">How to lock (eagerly, or on fault for MCL_ONFAULT); <see cref="MLockMode.None"/> unlocks everything (munlockall).</param>
public readonly record struct MLockAllOpts(bool Current, bool Future, MLockMode Mode);

public sealed partial class MemoryManager
{
    /// <summary>
    /// Locks (or with <see cref="MLockMode.None"/> unlocks) [addr, addr + length): mlock(2),
    /// mlock2(2), munlock(2). The address is rounded down and the length up to pages.
    /// </summary>
    /// <remarks>ENOMEM when part of the range is unmapped or RLIMIT_MEMLOCK would be passed (EPERM if it
    /// is zero); EINVAL when the rounded range wraps (a length that rounds to 0 does nothing); EINTR when <paramref name="ctx"/> is cancelled while the range is being populated (it
    /// stays locked, the rest is faulted in on access).</remarks>
    public Error? MLock(IContext ctx, Addr addr, ulong length, MLockMode mode)
    {
        // Linux's order: the right to lock at all, then RLIMIT_MEMLOCK, then the range itself, whose
        // page-rounded length may wrap to 0 (nothing to do) or make the end wrap (EINVAL).
        bool locking = mode != MLockMode.None;
        if (locking && !_options.CanLockMemory && _limits.MemLock == 0)
        {
            return Errno.EPERM;
        }
        ulong start = Arch.PageRoundDown(addr.Value);
        ulong pagedLength = unchecked(Arch.PageRoundDown(length + (addr.Value & Arch.PageMask) + Arch.PageMask));
        ulong end = unchecked(start + pagedLength);
        _mappingLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            if (locking && !LockFitsLimitLocked(pagedLength) &&
                (end < start || !LockFitsLimitLocked(pagedLength - LockedBytesLocked(start, end))))
            {
                return Errno.ENOMEM;
            }
            if (end < start)
            {
                return Errno.EINVAL;
            }
            if (start == end)
            {
                return null;
            }
            // Linux's apply_vma_lock_flags: a start in no vma is ENOMEM with nothing changed; else
            // the vmas are (un)locked one after another up to the first hole, which is ENOMEM with
            // the earlier ones changed and nothing populated.
            var first = _vmas.FindSegment(start);
            if (!first.IsValid)
            {
                return Errno.ENOMEM;
            }
            ulong reached = start;
            for (var segment = first; segment.IsValid && segment.Start <= reached && reached < end; segment = _vmas.LowerBoundSegment(reached))
            {
                ulong pieceEnd = Math.Min(segment.End, end);
                SetMLockModeLocked(reached, pieceEnd, mode);
                reached = pieceEnd;
            }
            if (reached < end)
            {
                return Errno.ENOMEM;
            }
            // The range stays locked if populating it is interrupted, as on Linux; what is not yet
            // resident is faulted in on first access. Linux populates after MLOCK_ONFAULT too: a vma
            // that did not become lock-on-fault (MAP_DROPPABLE memory) is faulted in, or fails.
            return locking ? PopulateRangeLocked(ctx, start, end, stopAtError: true) : null;
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
    }

    /// <summary>
    /// mlockall(2) and, with <see cref="MLockMode.None"/>, munlockall(2).
    /// </summary>
    /// <remarks>ENOMEM when locking the current mappings would pass RLIMIT_MEMLOCK; EPERM when it is zero; EINTR as for <see cref="MLock"/>.</remarks>
    public Error? MLockAll(IContext ctx, MLockAllOpts opts)
    {
        if (opts.Mode != MLockMode.None && !_options.CanLockMemory && _limits.MemLock == 0)
        {
            return Errno.EPERM;
        }
        _mappingLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            if (opts.Mode == MLockMode.None)
            {
                _defaultMLockMode = MLockMode.None;
                SetMLockModeLocked(0, ulong.MaxValue, MLockMode.None);
                return null;
            }
            if (opts.Current && !_options.CanLockMemory && _usageAS > _limits.MemLock)
            {
                return Errno.ENOMEM;
            }
            // Linux's apply_mlockall_flags: every call sets the default anew, so one without
            // MCL_FUTURE ends an earlier MCL_FUTURE.
            _defaultMLockMode = opts.Future ? opts.Mode : MLockMode.None;
            if (opts.Current)
            {
                SetMLockModeLocked(0, ulong.MaxValue, opts.Mode);
                return PopulateRangeLocked(ctx, 0, ulong.MaxValue, stopAtError: false);
            }
            return null;
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
    }

    // Whether locking bytesMore more bytes keeps the locked total within RLIMIT_MEMLOCK (always
    // true with the right to lock without limit). Mapping lock held.
    private bool LockFitsLimitLocked(ulong bytesMore) =>
        _options.CanLockMemory || _limits.MemLock == ResourceLimits.Unlimited ||
        (bytesMore <= _limits.MemLock && _lockedAS + _lockedLeftCharged + bytesMore <= _limits.MemLock);

    // Bytes of [start, end) in locked vmas. Mapping lock held.
    private ulong LockedBytesLocked(ulong start, ulong end)
    {
        ulong total = 0;
        var segment = _vmas.LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            if (segment.Value.MLockMode != MLockMode.None)
            {
                total += Math.Min(segment.End, end) - Math.Max(segment.Start, start);
            }
            segment = segment.NextSegment();
        }
        return total;
    }

    // Sets the lock mode of every vma in [start, end). Mapping lock held for writing.
    private void SetMLockModeLocked(ulong start, ulong end, MLockMode mode)
    {
        Debug.Assert(_mappingLock.IsWriteLockHeld, "The mapping lock must be held for writing.");
        AddrRange ar = Range(start, end);
        var segment = _vmas.LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            // MAP_DROPPABLE memory is never locked (Linux succeeds without locking it).
            if (segment.Value.MLockMode == mode || (segment.Value.Hints & VmaHints.Droppable) != 0)
            {
                segment = segment.NextSegment();
                continue;
            }
            segment = _vmas.Isolate(segment, ar);
            ref Vma vma = ref segment.Value;
            if (vma.MLockMode == MLockMode.None)
            {
                _lockedAS += segment.Length;
            }
            else if (mode == MLockMode.None)
            {
                _lockedAS -= segment.Length;
            }
            vma.MLockMode = mode;
            segment = MergeChangedVmaLocked(segment);
        }
    }

    // Populates the vmas of [start, end) that are not lock-on-fault, as Linux's __mm_populate
    // does. For mlock(2) (stopAtError) the first page that cannot be made ends it (the rest of the
    // range is left as it is) and is the answer the way mlock reports it: a vma that allows no access or a page that cannot be
    // had (past the end of a file) is ENOMEM, no memory EAGAIN. mlockall ignores such a failure
    // and goes on with the next vma, as Linux does. An interruption (EINTR) stops both. Mapping lock held.
    private Error? PopulateRangeLocked(IContext ctx, ulong start, ulong end, bool stopAtError)
    {
        bool hole = false;
        for (ulong at = start; NextVmaPieceLocked(ref at, end, ref hole, out ulong s, out Vma vma);)
        {
            if (vma.MLockMode == MLockMode.Lazy)
            {
                continue;
            }
            if (!vma.RealPerms.Any)
            {
                if (stopAtError)
                {
                    return Errno.ENOMEM;
                }
                continue;
            }
            Error? error = PopulateLocked(ctx, s, at, vma, precommit: false);
            if (ReferenceEquals(error, Errno.EINTR))
            {
                return error;
            }
            if (error is not null && stopAtError)
            {
                return ReferenceEquals(error, Errno.ENOMEM) ? Errno.EAGAIN : Errno.ENOMEM;
            }
        }
        return null;
    }
}
