using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>The start of the brk heap (set by <see cref="BrkSetup"/>).</summary>
    public Addr BrkStart
    {
        get
        {
            _mappingLock.EnterReadLock();
            try
            {
                return (Addr)_brkStart;
            }
            finally
            {
                _mappingLock.ExitReadLock();
            }
        }
    }

    /// <summary>
    /// Starts the brk heap at <paramref name="start"/> (normally the page after the program's bss),
    /// unmapping any heap set up before.
    /// </summary>
    public void BrkSetup(IContext ctx, Addr start)
    {
        _mappingLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            if (_brk > _brkStart)
            {
                UnmapLocked(ctx, Arch.PageRoundDown(_brkStart), PageRoundUpSaturating(_brk));
            }
            _brkStart = start.Value;
            _brk = start.Value;
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Moves the program break to <paramref name="addr"/> as Linux's brk(2) does, and returns the
    /// break afterwards: unchanged when <paramref name="addr"/> is below the heap's start, would pass
    /// RLIMIT_DATA (or RLIMIT_MEMLOCK after mlockall(MCL_FUTURE)), or would come within a page (plus a stack's guard gap) of the next mapping.
    /// Shrinking always succeeds and unmaps what lies between the new and the old break.
    /// </summary>
    /// <returns>The break (an unchanged one signals failure, as in Linux).</returns>
    public Addr Brk(IContext ctx, Addr addr)
    {
        ulong brk = addr.Value;
        _mappingLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            ulong old = _brk;
            if (brk < _brkStart)
            {
                return (Addr)old;
            }
            if (_limits.Data != ResourceLimits.Unlimited && brk - _brkStart > _limits.Data)
            {
                return (Addr)old;
            }
            (ulong newEnd, bool ok) = Arch.PageRoundUp(brk);
            ulong oldEnd = PageRoundUpSaturating(old);
            if (!ok)
            {
                return (Addr)old;
            }
            if (newEnd == oldEnd)
            {
                _brk = brk;
                return (Addr)brk;
            }
            if (brk <= old)
            {
                // Shrinking unmaps [newEnd, oldEnd), but only if a mapping is there at all.
                var inRange = _vmas.LowerBoundSegment(newEnd);
                if (!inRange.IsValid || inRange.Start >= oldEnd)
                {
                    return (Addr)old;
                }
                _brk = brk;
                UnmapLocked(ctx, newEnd, oldEnd);
                return (Addr)brk;
            }

            // Growing: a page beyond the new end must stay clear of the next mapping's start gap.
            var next = _vmas.LowerBoundSegment(oldEnd);
            if (newEnd > _layout.MaxAddress - Arch.PageSize ||
                (next.IsValid && newEnd + Arch.PageSize > StartGap(next.Value, next.Start)))
            {
                return (Addr)old;
            }
            ulong growth = newEnd - oldEnd;
            // After mlockall(MCL_FUTURE) the growth is locked, so it must fit RLIMIT_MEMLOCK too; it
            // is charged against overcommit.
            if (_usageAS + growth > _limits.AddressSpace || _dataAS + growth > _limits.Data || growth > _options.OvercommitLimit ||
                _vmas.Count > _options.MaxMapCount || (_defaultMLockMode != MemMap.MLockMode.None && !LockFitsLimitLocked(growth)))
            {
                return (Addr)old;
            }
            var vma = new Vma
            {
                Offset = oldEnd,
                Accounted = true,
                NameMut = MemMap.NameMut.Anon,
                RealPerms = AccessType.ReadWrite,
                MaxPerms = AccessType.AnyAccess,
                Private = true,
                MLockMode = _defaultMLockMode,
            };
            // As Linux's brk expands only a vma reaching past the heap's start, the first growth never
            // merges with the program's data ending at the start.
            var below = oldEnd == 0 ? default : _vmas.FindSegment(oldEnd - 1);
            InsertVmaLocked(oldEnd, newEnd, vma, merge: below.IsValid && below.End > _brkStart);
            if (vma.MLockMode == MemMap.MLockMode.Eager)
            {
                PopulateLocked(ctx, oldEnd, newEnd, vma, precommit: false);
            }
            _brk = brk;
            return (Addr)brk;
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
    }
}
