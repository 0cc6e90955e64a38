using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// madvise(2) over [addr, addr + length) with a Linux advice value (<see cref="LinuxMman"/>
    /// MADV_*). DONTNEED drops pages (private ones read back from their source: zero for anonymous
    /// memory, the file for file mappings; shared ones keep their contents); REMOVE frees the
    /// backing of shared memory; DONTFORK/DOFORK and WIPEONFORK/KEEPONFORK set how Fork treats the
    /// range; FREE is accepted (pages may keep their contents, which Linux allows); the purely
    /// advisory values are accepted and ignored.
    /// </summary>
    /// <remarks>
    /// EINVAL for an unaligned address, an unknown advice, DONTNEED on locked memory, WIPEONFORK or
    /// FREE on anything but private anonymous memory, REMOVE on private or non-writable mappings;
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
        (ulong rounded, bool ok) = Arch.PageRoundUp(length);
        ulong start = addr.Value;
        ulong end = start + rounded;
        if (!ok || end < start)
        {
            return Errno.EINVAL;
        }
        if (start == end)
        {
            return null;
        }
        bool changesVmas = advice is LinuxMman.MADV_DONTFORK or LinuxMman.MADV_DOFORK or LinuxMman.MADV_WIPEONFORK or LinuxMman.MADV_KEEPONFORK;
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
            Error? error = CheckAdviceLocked(start, end, advice, out bool hole);
            if (error is not null)
            {
                return error;
            }
            switch (advice)
            {
                case LinuxMman.MADV_DONTNEED:
                case LinuxMman.MADV_DONTNEED_LOCKED:
                    DropPagesLocked(start, end);
                    break;
                case LinuxMman.MADV_REMOVE:
                    error = RemoveSharedLocked(start, end);
                    break;
                case LinuxMman.MADV_DONTFORK:
                case LinuxMman.MADV_DOFORK:
                    SetForkFlagLocked(start, end, dontFork: advice == LinuxMman.MADV_DONTFORK, wipe: null);
                    break;
                case LinuxMman.MADV_WIPEONFORK:
                case LinuxMman.MADV_KEEPONFORK:
                    SetForkFlagLocked(start, end, dontFork: null, wipe: advice == LinuxMman.MADV_WIPEONFORK);
                    break;
                case LinuxMman.MADV_WILLNEED:
                case LinuxMman.MADV_POPULATE_READ:
                case LinuxMman.MADV_POPULATE_WRITE:
                    // Populating is an optimisation here; pages are made on first access anyway.
                    break;
            }
            return error ?? (hole ? Errno.ENOMEM : null);
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

    private static bool IsKnownAdvice(int advice) => advice switch
    {
        LinuxMman.MADV_NORMAL or LinuxMman.MADV_RANDOM or LinuxMman.MADV_SEQUENTIAL or LinuxMman.MADV_WILLNEED or
        LinuxMman.MADV_DONTNEED or LinuxMman.MADV_FREE or LinuxMman.MADV_REMOVE or LinuxMman.MADV_DONTFORK or
        LinuxMman.MADV_DOFORK or LinuxMman.MADV_MERGEABLE or LinuxMman.MADV_UNMERGEABLE or LinuxMman.MADV_HUGEPAGE or
        LinuxMman.MADV_NOHUGEPAGE or LinuxMman.MADV_DONTDUMP or LinuxMman.MADV_DODUMP or LinuxMman.MADV_WIPEONFORK or
        LinuxMman.MADV_KEEPONFORK or LinuxMman.MADV_COLD or LinuxMman.MADV_PAGEOUT or LinuxMman.MADV_POPULATE_READ or
        LinuxMman.MADV_POPULATE_WRITE or LinuxMman.MADV_DONTNEED_LOCKED or LinuxMman.MADV_COLLAPSE => true,
        _ => false,
    };

    // Checks the advice against every vma in the range; `hole` tells whether part of it is unmapped.
    private Error? CheckAdviceLocked(ulong start, ulong end, int advice, out bool hole)
    {
        hole = false;
        ulong reached = start;
        var segment = _vmas.LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            hole |= segment.Start > reached;
            Vma vma = segment.Value;
            bool bad = advice switch
            {
                LinuxMman.MADV_DONTNEED => vma.MLockMode != MLockMode.None,
                LinuxMman.MADV_FREE or LinuxMman.MADV_WIPEONFORK => !vma.IsPrivateAnonymous,
                LinuxMman.MADV_REMOVE => vma.Private || !vma.RealPerms.Write,
                _ => false,
            };
            if (bad)
            {
                return Errno.EINVAL;
            }
            reached = segment.End;
            segment = segment.NextSegment();
        }
        hole |= reached < end;
        return null;
    }

    // MADV_DONTNEED: forgets the pmas of [start, end). Mapping lock held.
    private void DropPagesLocked(ulong start, ulong end)
    {
        _activeLock.EnterWriteLock();
        try
        {
            UnmapPlatformLocked(start, end);
            RemovePmasLocked(start, end);
        }
        finally
        {
            _activeLock.ExitWriteLock();
        }
    }

    // MADV_REMOVE: frees the backing of the shared memory mapped at [start, end).
    private Error? RemoveSharedLocked(ulong start, ulong end)
    {
        var work = new List<(SharedAnonMappable Mappable, ulong Offset, ulong Length)>();
        var segment = _vmas.LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            ulong s = Math.Max(segment.Start, start), e = Math.Min(segment.End, end);
            if (segment.Value.Mappable is SharedAnonMappable shared)
            {
                work.Add((shared, segment.Value.MappableOffsetAt(segment.Start, s), e - s));
            }
            segment = segment.NextSegment();
        }
        DropPagesLocked(start, end);
        foreach ((SharedAnonMappable shared, ulong offset, ulong length) in work)
        {
            Error? error = shared.Decommit(offset, length);
            if (error is not null)
            {
                return error;
            }
        }
        return null;
    }

    // Sets DontFork and/or WipeOnFork on the vmas of [start, end). Mapping lock held for writing.
    private void SetForkFlagLocked(ulong start, ulong end, bool? dontFork, bool? wipe)
    {
        AddrRange ar = Range(start, end);
        var segment = _vmas.LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            Vma current = segment.Value;
            if ((dontFork is null || current.DontFork == dontFork) && (wipe is null || current.WipeOnFork == wipe))
            {
                segment = segment.NextSegment();
                continue;
            }
            segment = _vmas.Isolate(segment, ar);
            ref Vma vma = ref segment.Value;
            vma.DontFork = dontFork ?? vma.DontFork;
            vma.WipeOnFork = wipe ?? vma.WipeOnFork;
            segment = segment.NextSegment();
        }
        _vmas.MergeRange(Range(start == 0 ? 0 : start - 1, end == ulong.MaxValue ? end : end + 1));
    }
}
