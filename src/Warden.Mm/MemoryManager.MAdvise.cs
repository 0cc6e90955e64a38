using System.Diagnostics;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using VmaMapSegment = Warden.RangeMap.RangeMap<Warden.HostArch.AddrRange, Warden.Mm.Vma, Warden.Mm.VmaOps>.Segment;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// madvise(2) over [addr, addr + length) with a Linux advice value (<see cref="LinuxMman"/>
    /// MADV_*). DONTNEED drops pages (private ones read back from their source: zero for anonymous
    /// memory, the file for file mappings; shared ones keep their contents); REMOVE frees the
    /// backing of shared memory; DONTFORK/DOFORK and WIPEONFORK/KEEPONFORK set how Fork treats the
    /// range; FREE leaves the pages this address space alone holds clean until written, and
    /// PAGEOUT then discards them (they read back as zeros); RANDOM,
    /// SEQUENTIAL, HUGEPAGE, NOHUGEPAGE, DONTDUMP, DODUMP and MERGEABLE set vma flags that change
    /// nothing else (they split vmas and show in smaps, as on Linux); the other advisory values are
    /// accepted and ignored.
    /// </summary>
    /// <remarks>
    /// EINVAL for an unaligned address, an unknown advice, DONTNEED on locked memory, WIPEONFORK or
    /// FREE on anything but private anonymous memory, REMOVE on private or non-writable mappings,
    /// KEEPONFORK and DODUMP on MAP_DROPPABLE memory, COLLAPSE where no huge page can be made, FREE on
    /// locked memory, GUARD_INSTALL on any vma (Warden has no guard pages; GUARD_REMOVE does nothing);
    /// ENOMEM when part of the range is unmapped (the mapped parts are still advised, as Linux does).
    /// </remarks>
    public Error? MAdvise(IContext ctx, Addr addr, ulong length, int advice)
    {
        if (!addr.IsPageAligned)
        {
            return Errno.EINVAL;
        }
        if (!IsKnownAdvice(advice))
        {
            return Errno.EINVAL;
        }
        (ulong start, ulong end, bool ok) = PageRange(addr, length);
        if (!ok)
        {
            return Errno.EINVAL;
        }
        if (start == end)
        {
            return null;
        }
        bool changesVmas = advice is LinuxMman.MADV_DONTFORK or LinuxMman.MADV_DOFORK or LinuxMman.MADV_WIPEONFORK or
            LinuxMman.MADV_KEEPONFORK or LinuxMman.MADV_NORMAL or LinuxMman.MADV_RANDOM or LinuxMman.MADV_SEQUENTIAL or
            LinuxMman.MADV_HUGEPAGE or LinuxMman.MADV_NOHUGEPAGE or LinuxMman.MADV_DONTDUMP or LinuxMman.MADV_DODUMP or
            LinuxMman.MADV_MERGEABLE or LinuxMman.MADV_UNMERGEABLE;
        if (changesVmas)
        {
            _mappingLock.EnterWriteLock();
        }
        else
        {
            _mappingLock.EnterReadLock();
        }
        try
        {
            ThrowIfDisposed();
            // Like Linux, advise vma by vma in address order: the first refusal stops the walk
            // with the earlier parts done; holes make the result ENOMEM once the walk ends.
            if (advice is LinuxMman.MADV_POPULATE_READ or LinuxMman.MADV_POPULATE_WRITE)
            {
                return PopulateForAdviceLocked(ctx, start, end, advice == LinuxMman.MADV_POPULATE_WRITE);
            }
            bool hole = false;
            for (ulong at = start; NextVmaPieceLocked(ref at, end, ref hole, out ulong s, out Vma vma);)
            {
                Error? error = ApplyAdviceLocked(ctx, s, at, vma, advice);
                if (error is not null)
                {
                    return error;
                }
            }
            return hole ? Errno.ENOMEM : null;
        }
        finally
        {
            if (changesVmas)
            {
                _mappingLock.ExitWriteLock();
            }
            else
            {
                _mappingLock.ExitReadLock();
            }
        }
    }

    // Linux 6.13's guard regions (newer than LinuxMman). Warden has no guard pages: it refuses to
    // install them (EINVAL for each vma, as Linux answers for a locked one), so removing them
    // has nothing to do; both walk the range as the other advice does (a hole is ENOMEM).
    private const int MadvGuardInstall = 102;
    private const int MadvGuardRemove = 103;

    private static bool IsKnownAdvice(int advice) => advice switch
    {
        LinuxMman.MADV_NORMAL or LinuxMman.MADV_RANDOM or LinuxMman.MADV_SEQUENTIAL or LinuxMman.MADV_WILLNEED or
        LinuxMman.MADV_DONTNEED or LinuxMman.MADV_FREE or LinuxMman.MADV_REMOVE or LinuxMman.MADV_DONTFORK or
        LinuxMman.MADV_DOFORK or LinuxMman.MADV_MERGEABLE or LinuxMman.MADV_UNMERGEABLE or LinuxMman.MADV_HUGEPAGE or
        LinuxMman.MADV_NOHUGEPAGE or LinuxMman.MADV_DONTDUMP or LinuxMman.MADV_DODUMP or LinuxMman.MADV_WIPEONFORK or
        LinuxMman.MADV_KEEPONFORK or LinuxMman.MADV_COLD or LinuxMman.MADV_PAGEOUT or LinuxMman.MADV_POPULATE_READ or
        LinuxMman.MADV_POPULATE_WRITE or LinuxMman.MADV_DONTNEED_LOCKED or LinuxMman.MADV_COLLAPSE or
        MadvGuardInstall or MadvGuardRemove => true,
        _ => false,
    };

    // Applies one advice to [start, end), which lies in one vma. Mapping lock held (for writing
    // when the advice changes vmas).
    private Error? ApplyAdviceLocked(IContext ctx, ulong start, ulong end, in Vma vma, int advice)
    {
        switch (advice)
        {
            case LinuxMman.MADV_DONTNEED:
                if (vma.MLockMode != MLockMode.None)
                {
                    return Errno.EINVAL;
                }
                ForgetPagesLocked(start, end);
                return null;
            case LinuxMman.MADV_DONTNEED_LOCKED:
                ForgetPagesLocked(start, end);
                return null;
            case LinuxMman.MADV_FREE:
                // Like DONTNEED, FREE refuses locked memory.
                if (!vma.IsPrivateAnonymous || vma.MLockMode != MLockMode.None)
                {
                    return Errno.EINVAL;
                }
                MarkLazyFreeLocked(start, end);
                return null;
            case LinuxMman.MADV_REMOVE:
                if (vma.MLockMode != MLockMode.None || vma.Id is null)
                {
                    return Errno.EINVAL;
                }
                if (vma.Private || !vma.MaxPerms.Write)
                {
                    return Errno.EACCES;
                }
                return RemoveSharedLocked(start, end);
            case LinuxMman.MADV_DONTFORK:
            case LinuxMman.MADV_DOFORK:
                SetVmasLocked(start, end, new ForkFlagsChange(DontFork: advice == LinuxMman.MADV_DONTFORK, WipeOnFork: null));
                return null;
            case LinuxMman.MADV_WIPEONFORK:
                if (!vma.IsPrivateAnonymous)
                {
                    return Errno.EINVAL;
                }
                SetVmasLocked(start, end, new ForkFlagsChange(DontFork: null, WipeOnFork: true));
                return null;
            case LinuxMman.MADV_KEEPONFORK:
                if ((vma.Hints & VmaHints.Droppable) != 0)
                {
                    return Errno.EINVAL;
                }
                SetVmasLocked(start, end, new ForkFlagsChange(DontFork: null, WipeOnFork: false));
                return null;
            case LinuxMman.MADV_NORMAL:
                SetVmasLocked(start, end, new HintsChange(VmaHints.None, VmaHints.RandomRead | VmaHints.SequentialRead));
                return null;
            case LinuxMman.MADV_RANDOM:
                SetVmasLocked(start, end, new HintsChange(VmaHints.RandomRead, VmaHints.SequentialRead));
                return null;
            case LinuxMman.MADV_SEQUENTIAL:
                SetVmasLocked(start, end, new HintsChange(VmaHints.SequentialRead, VmaHints.RandomRead));
                return null;
            case LinuxMman.MADV_HUGEPAGE:
                SetVmasLocked(start, end, new HintsChange(VmaHints.HugePage, VmaHints.NoHugePage));
                return null;
            case LinuxMman.MADV_NOHUGEPAGE:
                SetVmasLocked(start, end, new HintsChange(VmaHints.NoHugePage, VmaHints.HugePage));
                return null;
            case LinuxMman.MADV_DONTDUMP:
                SetVmasLocked(start, end, new HintsChange(VmaHints.DontDump, VmaHints.None));
                return null;
            case LinuxMman.MADV_DODUMP:
                if ((vma.Hints & VmaHints.Droppable) != 0)
                {
                    return Errno.EINVAL;
                }
                SetVmasLocked(start, end, new HintsChange(VmaHints.None, VmaHints.DontDump));
                return null;
            case LinuxMman.MADV_MERGEABLE:
                // Linux's same-page merging takes private memory only; elsewhere the advice is a no-op.
                if (vma.Private && (vma.Hints & VmaHints.Droppable) == 0)
                {
                    SetVmasLocked(start, end, new HintsChange(VmaHints.Mergeable, VmaHints.None));
                }
                return null;
            case LinuxMman.MADV_UNMERGEABLE:
                SetVmasLocked(start, end, new HintsChange(VmaHints.None, VmaHints.Mergeable));
                return null;
            case LinuxMman.MADV_COLLAPSE:
                return CollapseLocked(start, end, vma);
            case MadvGuardInstall:
                return Errno.EINVAL;
            case MadvGuardRemove:
                return null;
            case LinuxMman.MADV_COLD:
            case LinuxMman.MADV_PAGEOUT:
                // Linux does not reclaim locked pages on request. Otherwise a hint, except that
                // reclaim discards the clean pages MADV_FREE left (others it would swap; this
                // machine, like Warden, has no swap).
                if (vma.MLockMode != MLockMode.None)
                {
                    return Errno.EINVAL;
                }
                if (advice == LinuxMman.MADV_PAGEOUT)
                {
                    DiscardLazyFreeLocked(start, end);
                }
                return null;
            default:
                // The rest are hints (WILLNEED, populating, huge pages, merging, dumping...):
                // pages are made on first access anyway.
                return null;
        }
    }

    // MADV_FREE over [start, end) of a private anonymous vma, as Linux's madvise_free_pte_range:
    // each page of the memory manager's own (not the zero page, not pinned) is made clean, to be
    // discarded unless written again, even one a fork shares (Linux clears this address space's
    // dirty bit; the other keeps its own). It is write-protected, so that the next write faults
    // and re-dirties it. Mapping lock held; takes the active lock.
    private void MarkLazyFreeLocked(ulong start, ulong end)
    {
        if (_memoryFile is null)
        {
            // Pages that cannot be told apart from others keep their contents, as Linux allows.
            return;
        }
        _activeLock.EnterWriteLock();
        try
        {
            for (var segment = _pmas.LowerBoundSegment(start); segment.IsValid && segment.Start < end;)
            {
                ulong pieceEnd = Math.Min(segment.End, end);
                Pma pma = segment.Value;
                if (pma.Private && ReferenceEquals(pma.File, _memoryFile) && pma.PinCount == 0 && !pma.ZeroPage && !pma.LazyFree)
                {
                    segment = _pmas.Isolate(segment, Range(Math.Max(segment.Start, start), pieceEnd));
                    segment.Value.NeedCOW = true;
                    segment.Value.LazyFree = true;
                    UnmapPlatformLocked(segment.Start, segment.End);
                }
                segment = segment.NextSegment();
            }
            _pmas.MergeAdjacent(Range(start, end));
        }
        finally
        {
            _activeLock.ExitWriteLock();
        }
    }

    // MADV_PAGEOUT's reclaim of [start, end): the pages MADV_FREE left clean are dropped, to read
    // back as zeros, except those a fork shares (Linux's madvise_cold_or_pageout_pte_range leaves
    // pages mapped more than once alone). Mapping lock held; takes the active lock.
    private void DiscardLazyFreeLocked(ulong start, ulong end)
    {
        if (_memoryFile is null)
        {
            return;
        }
        _activeLock.EnterWriteLock();
        try
        {
            for (var segment = _pmas.LowerBoundSegment(start); segment.IsValid && segment.Start < end;)
            {
                ulong pieceStart = Math.Max(segment.Start, start);
                ulong pieceEnd = Math.Min(segment.End, end);
                if (!segment.Value.LazyFree)
                {
                    segment = segment.NextSegment();
                    continue;
                }
                // Page by page where a fork shares part of the pma.
                bool whole = _memoryFile.HasUniqueRef(segment.Value.FileRangeOf(segment.Start, Range(pieceStart, pieceEnd)));
                for (ulong at = pieceStart; at < pieceEnd; at += whole ? pieceEnd - pieceStart : Arch.PageSize)
                {
                    ulong next = whole ? pieceEnd : at + Arch.PageSize;
                    var page = _pmas.FindSegment(at);
                    if (whole || _memoryFile.HasUniqueRef(page.Value.FileRangeOf(page.Start, Range(at, next))))
                    {
                        UnmapPlatformLocked(at, next);
                        RemovePmasLocked(at, next);
                    }
                }
                segment = _pmas.LowerBoundSegment(pieceEnd);
            }
        }
        finally
        {
            _activeLock.ExitWriteLock();
        }
    }

    // MADV_POPULATE_READ/WRITE over [start, end), in Linux's madvise_populate order: from the
    // start, vma by vma, the first trouble ends the call with what comes before it populated: an
    // address in no vma is ENOMEM, a vma that does not allow the access EINVAL, a page that cannot
    // be had (past the end of a file) EFAULT. Mapping lock held.
    private Error? PopulateForAdviceLocked(IContext ctx, ulong start, ulong end, bool write)
    {
        for (ulong at = start; at < end;)
        {
            var segment = _vmas.FindSegment(at);
            if (!segment.IsValid)
            {
                return Errno.ENOMEM;
            }
            Vma vma = segment.Value;
            if (!(write ? vma.RealPerms.Write : vma.RealPerms.Read))
            {
                return Errno.EINVAL;
            }
            ulong pieceEnd = Math.Min(segment.End, end);
            Error? error = PopulateLocked(ctx, at, pieceEnd, vma, precommit: false, write);
            if (error is not null)
            {
                return ReferenceEquals(error, Errno.EINTR) || ReferenceEquals(error, Errno.ENOMEM) ? error : Errno.EFAULT;
            }
            at = pieceEnd;
        }
        return null;
    }

    // MADV_COLLAPSE over [start, end), which lies in one vma, as Linux answers it with transparent
    // huge pages in "madvise" or "always" mode: the vma must be private anonymous memory written
    // once (Linux wants its anon_vma) or shared anonymous memory (which MADV_COLLAPSE takes whatever
    // shmem_enabled says) placed at an address congruent to its offset modulo a huge page, not
    // NOHUGEPAGE, and large enough for an aligned huge page. Then for
    // private memory every aligned huge page inside the range must have a resident page to
    // collapse around; shared memory's huge pages never collapse here (EINVAL whenever the range
    // holds one). Collapsing changes nothing Warden can show, so nothing is done. Mapping lock held.
    private Error? CollapseLocked(ulong start, ulong end, in Vma vma)
    {
        var whole = _vmas.FindSegment(start);
        ulong firstInVma = (whole.Start + HugePageSize - 1) & ~(HugePageSize - 1);
        bool shared = vma.Mappable is SharedAnonMappable;
        // Shared memory's huge pages must also sit at the same place in the object as in the
        // address space (Linux's thp_vma_suitable_order checks the offset of non-anonymous vmas).
        bool offsetFits = !shared || ((whole.Start - whole.Value.Offset) & (HugePageSize - 1)) == 0;
        if (!(shared || (vma.IsPrivateAnonymous && vma.AnonVma is not null)) || (vma.Hints & VmaHints.NoHugePage) != 0 ||
            !offsetFits || firstInVma < whole.Start || firstInVma + HugePageSize > whole.End)
        {
            return Errno.EINVAL;
        }
        // Linux counts the aligned huge pages between the rounded-up start and the rounded-down
        // end; a range within one huge page that touches neither of its bounds has "fewer than
        // none" (the rounded start passes the rounded end) and is EINVAL, one that starts on a
        // bound has none and succeeds.
        ulong firstHuge = (start + HugePageSize - 1) & ~(HugePageSize - 1);
        if (firstHuge < start || firstHuge > (end & ~(HugePageSize - 1)))
        {
            return Errno.EINVAL;
        }
        if (shared)
        {
            return firstHuge + HugePageSize <= end ? Errno.EINVAL : null;
        }
        Error? result = null;
        _activeLock.EnterReadLock();
        try
        {
            for (ulong huge = firstHuge; huge + HugePageSize <= end; huge += HugePageSize)
            {
                if (_pmas.IsEmptyRange(Range(huge, huge + HugePageSize)))
                {
                    result = Errno.EINVAL;
                }
            }
        }
        finally
        {
            _activeLock.ExitReadLock();
        }
        return result;
    }

    // MADV_REMOVE: frees the backing of the shared memory mapped at [start, end), which lies in one
    // vma: shared anonymous memory's pages, or a hole punched in a host file (whose errno, EFBIG
    // past the largest file for one, leaves everything as it was).
    private Error? RemoveSharedLocked(ulong start, ulong end)
    {
        var segment = _vmas.FindSegment(start);
        ulong offset = segment.Value.MappableOffsetAt(segment.Start, start);
        if (segment.Value.Mappable is HostFileMappable file)
        {
            Error? error = file.PunchHole(offset, end - start);
            if (error is not null)
            {
                return error;
            }
        }
        ForgetPagesLocked(start, end);
        return segment.Value.Mappable is SharedAnonMappable shared ? shared.Decommit(offset, end - start) : null;
    }

    // Applies `change` to the vmas of [start, end) that do not have it yet, splitting them at the
    // range's bounds and merging each changed one with its neighbours. Mapping lock held for writing.
    private void SetVmasLocked<TChange>(ulong start, ulong end, TChange change)
        where TChange : struct, IVmaChange
    {
        Debug.Assert(_mappingLock.IsWriteLockHeld, "The mapping lock must be held for writing.");
        AddrRange ar = Range(start, end);
        var segment = _vmas.LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            if (change.IsAppliedTo(segment.Value))
            {
                segment = segment.NextSegment();
                continue;
            }
            segment = _vmas.Isolate(segment, ar);
            change.ApplyTo(ref segment.Value);
            segment = MergeChangedVmaLocked(segment);
        }
    }

    // Merges a vma whose flags just changed with its neighbours, as Linux's vma_modify does (a vma
    // left as it was is merged with nothing); returns the segment after it. Mapping lock held for writing.
    private VmaMapSegment MergeChangedVmaLocked(VmaMapSegment changed)
    {
        ulong end = changed.End;
        _vmas.MergeAdjacent(changed.Range);
        var after = _vmas.LowerBoundSegment(end);
        return after.IsValid && after.Start < end ? after.NextSegment() : after;
    }
}
