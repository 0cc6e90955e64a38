using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Platform;

using PmaMapSegment = Warden.RangeMap.RangeMap<Warden.HostArch.AddrRange, Warden.Mm.Pma, Warden.Mm.PmaOps>.Segment;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// Creates the platform address space programs run in, if there is none yet. Until then faults
    /// only create pmas. May return the platform's "retry later" task as an error-free result with
    /// no address space; callers wait on it and call again.
    /// </summary>
    public (Task? RetryAfter, Error? Error) Activate(IContext ctx)
    {
        _activeLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            if (_addressSpace is not null)
            {
                return (null, null);
            }
            (IAddressSpace? space, Task? retry, Error? error) = _platform.NewAddressSpace(this);
            if (error is not null || space is null)
            {
                return (retry, error);
            }
            _addressSpace = space;
            if (_mapPmasOnActivate)
            {
                _mapPmasOnActivate = false;
                MapPmasIntoPlatformLocked();
            }
            return (null, null);
        }
        finally
        {
            _activeLock.ExitWriteLock();
        }
    }

    /// <summary>The platform address space, or <see langword="null"/> before <see cref="Activate"/>.</summary>
    public IAddressSpace? AddressSpace => _addressSpace;

    /// <summary>
    /// Handles an application page fault at <paramref name="addr"/> for access <paramref name="at"/>:
    /// grows a stack down to it if needed, checks the access is allowed, gives the page memory
    /// (breaking copy-on-write on a write) and maps it, with its neighbours up to the platform's map
    /// unit, into the platform address space.
    /// </summary>
    /// <returns>
    /// <see langword="null"/> when the access can be retried; EFAULT when nothing is mapped there
    /// (the caller delivers SIGSEGV with SEGV_MAPERR); EACCES when the mapping does not allow the
    /// access (SIGSEGV with SEGV_ACCERR); a <see cref="MemMap.BusError"/> for SIGBUS; ENOMEM when
    /// memory ran out.
    /// </returns>
    public Error? HandleUserFault(IContext ctx, Addr addr, AccessType at, Addr sp)
    {
        ulong page = Arch.PageRoundDown(addr.Value);
        // Faults take the mapping lock for reading, so the faults of several threads (and copies)
        // only queue on the active lock; only a stack that must grow needs it for writing, which
        // read holds cannot be upgraded to: grow under the write lock, then fault again.
        while (true)
        {
            _mappingLock.EnterReadLock();
            try
            {
                var segment = _vmas.LowerBoundSegment(page);
                if (!segment.IsValid)
                {
                    return Errno.EFAULT;
                }
                if (segment.Start <= page)
                {
                    return FaultInVmaAroundLocked(segment.Range, segment.Value, page, at);
                }
                if (!segment.Value.GrowsDown)
                {
                    return Errno.EFAULT;
                }
            }
            finally
            {
                _mappingLock.ExitReadLock();
            }
            Error? growError = GrowStackTo(page);
            if (growError is not null)
            {
                return growError;
            }
        }
    }

    // Gives `page` of the vma over vmaRange memory for `at`, with its fault-around neighbours, and
    // maps them into the platform. Mapping lock held for reading at least.
    private Error? FaultInVmaAroundLocked(AddrRange vmaRange, in Vma vma, ulong page, AccessType at)
    {
        if (!vma.EffectivePerms.SupersetOf(at))
        {
            return Errno.EACCES;
        }
        _activeLock.EnterWriteLock();
        try
        {
            // Only a fault on such a page looks around for others (a child that still shares the
            // memory would find none, at a lookup per neighbour).
            bool takeOver = vma.Private && vma.EffectivePerms.Write && IsExclusiveCopyOnWriteLocked(page, page + Arch.PageSize);
            (ulong end, Error? error) = FaultInLocked(page, page + Arch.PageSize, at, ignorePermissions: false);
            if (end <= page)
            {
                return error ?? Errno.EFAULT;
            }
            ulong around = !at.Write && vma.Mappable is HostFileMappable ? FileReadFaultAroundBytes : FaultAroundBytes;
            (ulong windowStart, ulong windowEnd) = FaultAroundWindow(vmaRange, page, around);
            // The neighbours are a guess, made where a fault costs a round trip to the platform:
            // whatever they cannot have (past the end of a file, no memory) is left for their own fault.
            FaultInNeighboursLocked(windowStart, page, at);
            FaultInNeighboursLocked(page + Arch.PageSize, windowEnd, at);
            if (takeOver)
            {
                TakeOverExclusivePagesLocked(vmaRange, page);
            }
            return MapIntoPlatformLocked(vmaRange, page, at);
        }
        finally
        {
            _activeLock.ExitWriteLock();
        }
    }

    // Grows the grows-down vma above `page` down to it, taking the mapping lock for writing. The
    // vmas may have changed since the caller looked: nothing to do if a vma now covers the page,
    // EFAULT if none above it grows down.
    private Error? GrowStackTo(ulong page)
    {
        _mappingLock.EnterWriteLock();
        try
        {
            var segment = _vmas.LowerBoundSegment(page);
            if (!segment.IsValid)
            {
                return Errno.EFAULT;
            }
            if (segment.Start <= page)
            {
                return null;
            }
            return segment.Value.GrowsDown ? GrowStackLocked(segment.Start, page) : Errno.EFAULT;
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
    }

    /// <summary>
    /// How much memory around a faulting page a fault gives memory to and maps, when the pages have
    /// none yet: 64 KiB, Linux's default fault-around for file pages. A fault on the ptrace platform
    /// costs tens of microseconds, so faulting sixteen pages at once saves most of them for memory
    /// that is used in order (a growing heap, a file read through a mapping).
    /// </summary>
    public const ulong FaultAroundBytes = 64UL << 10;

    /// <summary>
    /// The same for a read or execute fault in a mapping of a host file: 256 KiB, since a program's
    /// code and read-only data are its most scattered reads (a static busybox touches a 64 KiB window
    /// of its text on almost every fault), and their pages stay in the file's page cache for the next
    /// program that maps the file.
    /// </summary>
    public const ulong FileReadFaultAroundBytes = 256UL << 10;

    /// <summary>
    /// How far around a faulting page a fault maps, into the platform address space, the memory the
    /// address space already has (pmas): 2 MiB, the unit in which anonymous memory is given. Mapping
    /// changes nothing a program can see, and saves a fault for each further 64 KiB it touches.
    /// </summary>
    public const ulong MapAroundBytes = 2UL << 20;

    // The aligned window of `bytes` (or the platform's map unit, if larger) around `page`, within the vma.
    private (ulong Start, ulong End) FaultAroundWindow(AddrRange vmaRange, ulong page, ulong bytes)
    {
        ulong unit = Math.Max(Math.Max(_platform.MapUnit, Arch.PageSize), bytes);
        ulong windowStart = Math.Max(vmaRange.Start.Value, page - (page % unit));
        ulong windowEnd = Math.Min(vmaRange.End.Value, windowStart + unit < windowStart ? ulong.MaxValue : windowStart + unit);
        return (windowStart, Math.Max(windowEnd, page + Arch.PageSize));
    }

    // Gives memory to the pages of [start, end) that have no pma yet, for access `at`, stopping at
    // the first that cannot have it; pages that have one (copy-on-write ones included) are left as they
    // are. Active lock held for writing.
    private void FaultInNeighboursLocked(ulong start, ulong end, AccessType at)
    {
        ulong addr = start;
        while (addr < end)
        {
            var (existing, gap) = _pmas.Find(addr);
            if (existing.IsValid)
            {
                addr = Math.Min(existing.End, end);
                continue;
            }
            ulong gapEnd = Math.Min(gap.IsValid ? gap.End : end, end);
            (ulong done, Error? error) = FaultInLocked(addr, gapEnd, at, ignorePermissions: false);
            if (error is not null || done < gapEnd)
            {
                return;
            }
            addr = gapEnd;
        }
    }

    // Ends copy-on-write, without copying, for the pages around `page` (MapAroundBytes, within the
    // private writable vma over vmaRange) that no one else references any more: a forked process's
    // memory once its child has exec'd or exited. Linux keeps such pages write-protected until each
    // is written, then reuses it (the fault is all the difference, and one costs a round trip to
    // the platform here): so these are mapped writable at once, and neither a read nor a write of
    // them faults again. Pages still reading as the zero page, or freed lazily (MADV_FREE), keep
    // their state, which a write is what changes. Active lock held for writing.
    private void TakeOverExclusivePagesLocked(AddrRange vmaRange, ulong page)
    {
        if (_memoryFile is null)
        {
            return;
        }
        (ulong windowStart, ulong windowEnd) = FaultAroundWindow(vmaRange, page, MapAroundBytes);
        var segment = _pmas.LowerBoundSegment(windowStart);
        while (segment.IsValid && segment.Start < windowEnd)
        {
            if (segment.Start >= windowStart && segment.End <= windowEnd && IsExclusiveCopyOnWrite(segment))
            {
                segment.Value.NeedCOW = false;
            }
            segment = segment.NextSegment();
        }
        _pmas.MergeAdjacent(Range(windowStart, windowEnd));
    }

    // Whether the pma over [start, end) is one TakeOverExclusivePagesLocked takes over. Active lock held.
    private bool IsExclusiveCopyOnWriteLocked(ulong start, ulong end)
    {
        var segment = _pmas.FindSegment(start);
        return segment.IsValid && segment.End >= end && IsExclusiveCopyOnWrite(segment);
    }

    private bool IsExclusiveCopyOnWrite(PmaMapSegment segment)
    {
        Pma pma = segment.Value;
        return pma.Private && pma.NeedCOW && !pma.ZeroPage && !pma.LazyFree && pma.PinCount == 0 &&
            _memoryFile is not null && ReferenceEquals(pma.File, _memoryFile) &&
            _memoryFile.HasUniqueRef(pma.FileRangeOf(segment.Start, segment.Range));
    }

    // Maps the pmas of the fault-around window of `page` into the platform address space, and all
    // of the pma that holds `page` within MapAroundBytes; neighbouring pmas of one file with
    // following offsets and the same permissions in one call (each call is a round trip to the
    // platform's stub). Active lock held for writing.
    private Error? MapIntoPlatformLocked(AddrRange vmaRange, ulong page, AccessType at)
    {
        if (_addressSpace is null)
        {
            return null;
        }
        (ulong windowStart, ulong windowEnd) = FaultAroundWindow(vmaRange, page, FaultAroundBytes);
        (ulong wideStart, ulong wideEnd) = FaultAroundWindow(vmaRange, page, MapAroundBytes);
        var run = default(PlatformRun);
        // The pma that holds `page` holds windowStart too if it starts below it.
        var segment = _pmas.LowerBoundSegment(windowStart);
        while (segment.IsValid && segment.Start < windowEnd)
        {
            ulong segmentStart = segment.Start;
            bool hasFaultPage = segmentStart <= page && page < segment.End;
            ulong s = Math.Max(segmentStart, hasFaultPage ? wideStart : windowStart);
            ulong e = Math.Min(segment.End, hasFaultPage ? wideEnd : windowEnd);
            Pma pma = segment.Value;
            AccessType perms = pma.PlatformPerms;
            segment = segment.NextSegment();
            if (s >= e || !perms.Any || !(hasFaultPage || !at.Write || perms.Write))
            {
                continue;
            }
            FileRange fr = pma.FileRangeOf(segmentStart, Range(s, e));
            if (run.File is not null && ReferenceEquals(run.File, pma.File) && run.End == s && run.Range.End == fr.Start && run.Perms == perms)
            {
                run = run with { End = e, Range = new FileRange(run.Range.Start, fr.End), HasFaultPage = run.HasFaultPage || hasFaultPage };
                continue;
            }
            Error? error = MapRunLocked(run);
            if (error is not null)
            {
                return error;
            }
            run = new PlatformRun(pma.File, s, e, fr, perms, hasFaultPage);
        }
        return MapRunLocked(run);
    }

    // Maps one run of MapIntoPlatformLocked; only a failure to map the faulting page is an error.
    private Error? MapRunLocked(in PlatformRun run)
    {
        if (run.File is null)
        {
            return null;
        }
        Error? error = _addressSpace!.MapFile((Addr)run.Start, run.File, run.Range, run.Perms, precommit: false);
        return run.HasFaultPage ? error : null;
    }

    // Neighbouring pmas that map with one platform call: [Start, End) from Range of File.
    private readonly record struct PlatformRun(IFile? File, ulong Start, ulong End, FileRange Range, AccessType Perms, bool HasFaultPage);

    // Extends the grows-down vma starting at `vmaStart` down to `newStart`, as Linux's expand_stack
    // does: within RLIMIT_STACK and RLIMIT_AS, keeping the guard gap above the previous vma.
    // Mapping lock held for writing.
    private Error? GrowStackLocked(ulong vmaStart, ulong newStart)
    {
        var segment = _vmas.FindSegment(vmaStart);
        Vma vma = segment.Value;
        ulong vmaEnd = segment.End;
        ulong growth = vmaStart - newStart;
        if (newStart < _layout.MinAddress || vmaEnd - newStart > _limits.Stack ||
            _usageAS + growth > _limits.AddressSpace)
        {
            return Errno.EFAULT;
        }
        var prev = segment.PrevSegment();
        if (prev.IsValid)
        {
            Vma p = prev.Value;
            if (!p.GrowsDown && p.RealPerms.Any && newStart - Math.Min(prev.End, newStart) < _options.StackGuardGap)
            {
                return Errno.EFAULT;
            }
        }
        if (vma.MLockMode != MemMap.MLockMode.None && !LockFitsLimitLocked(growth))
        {
            return Errno.EFAULT;
        }
        // Linux's expand_downwards prepares the vma's anon_vma before it grows, page or no page:
        // from then on a move keeps the vma's offset, and the moved piece no longer merges back.
        if (vma.Private && vma.AnonVma is null)
        {
            vma.AnonVma = EnsureAnonVmaLocked(segment);
        }
        _vmas.Remove(segment);
        vma.Offset -= growth;
        AccountVmaLocked(growth, vma, add: true);
        // The grown vma is not merged with the one below, even one it now touches (Linux's
        // expand_downwards only moves the start).
        _vmas.AddWithoutMerging(Range(newStart, vmaEnd), vma);
        return null;
    }
}
