using System.Diagnostics;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.PgAlloc;
using Warden.Platform;
using Warden.SafeMem;
using PmaMapSegment = Warden.RangeMap.RangeMap<Warden.HostArch.AddrRange, Warden.Mm.Pma, Warden.Mm.PmaOps>.Segment;
using VmaMapSegment = Warden.RangeMap.RangeMap<Warden.HostArch.AddrRange, Warden.Mm.Vma, Warden.Mm.VmaOps>.Segment;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    // Releases the pmas in [start, end) and their references. Active lock held for writing.
    private void RemovePmasLocked(ulong start, ulong end)
    {
        Debug.Assert(_activeLock.IsWriteLockHeld, "The active lock must be held for writing.");
        AddrRange ar = Range(start, end);
        List<FileRange> released = _releasedRanges;
        var segment = _pmas.LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            segment = _pmas.Isolate(segment, ar);
            Pma pma = segment.Value;
            FileRange fr = pma.FileRangeOf(segment.Start, segment.Range);
            if (_memoryFile is not null && ReferenceEquals(pma.File, _memoryFile))
            {
                released.Add(fr);
            }
            else
            {
                pma.File.DecRef(fr);
            }
            _curRSS -= segment.Length;
            segment = _pmas.Remove(segment).NextSegment();
        }
        DecRefReleasedLocked();
    }

    // Drops the memory file references gathered in _releasedRanges, those that follow one another
    // in the file in one call: each call that frees pages punches a hole in the file, and the pages
    // of a process that exits after copy-on-write breaks are thousands of one-page pmas at scattered
    // addresses, allocated one after another. Active lock held for writing.
    private void DecRefReleasedLocked()
    {
        List<FileRange> released = _releasedRanges;
        if (released.Count == 0)
        {
            return;
        }
        released.Sort(static (x, y) => x.Start.CompareTo(y.Start));
        FileRange run = released[0];
        for (int i = 1; i < released.Count; i++)
        {
            FileRange next = released[i];
            if (next.Start == run.End)
            {
                run = new FileRange(run.Start, next.End);
                continue;
            }
            // Not adjacent (or overlapping: a page referenced by two pmas drops both references).
            _memoryFile!.DecRef(run);
            run = next;
        }
        _memoryFile!.DecRef(run);
        released.Clear();
    }

    // Tells the platform to forget [start, end), clamped to the range it can map (Dispose unmaps
    // everything). Active lock held for writing.
    private void UnmapPlatformLocked(ulong start, ulong end)
    {
        Debug.Assert(_activeLock.IsWriteLockHeld, "The active lock must be held for writing.");
        start = Math.Max(start, _platform.MinUserAddress.Value);
        end = Math.Min(end, _platform.MaxUserAddress.Value);
        if (_addressSpace is not null && start < end)
        {
            _addressSpace.Unmap((Addr)start, end - start);
        }
    }

    private void AddRSSLocked(ulong length)
    {
        Debug.Assert(_activeLock.IsWriteLockHeld, "The active lock must be held for writing.");
        _curRSS += length;
        if (_curRSS > _maxRSS)
        {
            _maxRSS = _curRSS;
        }
    }

    /// <summary>
    /// Makes pmas cover [start, end) for access <paramref name="at"/>, creating them and breaking
    /// copy-on-write as needed. Returns how far pmas are now usable and the error that stopped it
    /// (EFAULT where no vma allows the access). Unless <paramref name="exact"/>, a gap is filled
    /// generously, up to its enclosing huge page: only a program's own fault (HandleUserFault) does
    /// that; populate, copies and pins make exactly their range resident, as Linux's faults in
    /// get_user_pages and copy_to_user do for anonymous memory.
    /// </summary>
    /// <remarks>Mapping lock held (either mode); active lock held for writing.</remarks>
    private (ulong End, Error? Error) FaultInLocked(ulong start, ulong end, AccessType at, bool ignorePermissions, bool exact = false)
    {
        Debug.Assert(_activeLock.IsWriteLockHeld, "The active lock must be held for writing.");
        ulong addr = start;
        var vseg = _vmas.FindSegment(addr);
        while (addr < end)
        {
            if (!vseg.IsValid || vseg.Start > addr)
            {
                return (addr, Errno.EFAULT);
            }
            Vma vma = vseg.Value;
            AccessType allowed = ignorePermissions ? vma.MaxPerms.Effective() : vma.EffectivePerms;
            if (!allowed.SupersetOf(at))
            {
                return (addr, Errno.EFAULT);
            }
            if (at.Write && vma.Private && vma.AnonVma is null)
            {
                vma.AnonVma = EnsureAnonVmaLocked(vseg);
            }
            ulong vmaEnd = Math.Min(vseg.End, end);
            (ulong done, Error? error) = FaultInVmaLocked(vseg.Range, vma, addr, vmaEnd, at, exact);
            if (error is not null)
            {
                return (done, error);
            }
            addr = vmaEnd;
            vseg = vseg.NextSegment();
        }
        return (end, null);
    }

    // Gives the vma in `segment` an anonymous-memory identity on its first write fault: a
    // neighbour's when it is adjacent and compatible (contiguous offsets, equal flags but for
    // permissions), else a new one. Mapping lock held for reading at least; racing faults agree
    // through the compare-exchange.
    private static AnonVma EnsureAnonVmaLocked(VmaMapSegment segment)
    {
        ref Vma vma = ref segment.Value;
        // Linux's find_mergeable_anon_vma tries the next vma first, then the previous one.
        AnonVma? candidate = null;
        var next = segment.NextSegment();
        if (next.IsValid && next.Start == segment.End && next.Value.AnonVma is not null &&
            AnonCompatible(vma, segment.Start, next.Value, next.Start))
        {
            candidate = next.Value.AnonVma;
        }
        var prev = segment.PrevSegment();
        if (candidate is null && prev.IsValid && prev.End == segment.Start && prev.Value.AnonVma is not null &&
            AnonCompatible(prev.Value, prev.Start, vma, segment.Start))
        {
            candidate = prev.Value.AnonVma;
        }
        candidate ??= new AnonVma();
        return Interlocked.CompareExchange(ref vma.AnonVma, candidate, null) ?? candidate;
    }

    // Linux's anon_vma_compatible: adjacent, contiguous offsets, same backing and flags apart from access permissions.
    private static bool AnonCompatible(in Vma first, ulong firstStart, in Vma second, ulong secondStart) =>
        ReferenceEquals(first.Mappable, second.Mappable) &&
        first.Offset + (secondStart - firstStart) == second.Offset &&
        first.Private == second.Private && first.GrowsDown == second.GrowsDown && first.DontFork == second.DontFork &&
        first.WipeOnFork == second.WipeOnFork && first.MLockMode == second.MLockMode && first.Hints == second.Hints &&
        first.Accounted == second.Accounted && first.MaxPerms == second.MaxPerms;

    // FaultInLocked's work within one vma, over [start, end) which lies inside vmaRange.
    private (ulong End, Error? Error) FaultInVmaLocked(AddrRange vmaRange, in Vma vma, ulong start, ulong end, AccessType at, bool exact)
    {
        ulong addr = start;
        while (addr < end)
        {
            var (pseg, gap) = _pmas.Find(addr);
            if (pseg.IsValid)
            {
                ulong pmaEnd = Math.Min(pseg.End, end);
                if (at.Write && pseg.Value.NeedCOW)
                {
                    Error? error = BreakCopyOnWriteLocked(pseg, addr, pmaEnd, vma);
                    if (error is not null)
                    {
                        return (addr, error);
                    }
                }
                addr = pmaEnd;
                continue;
            }
            ulong gapEnd = Math.Min(gap.End, end);
            // Fault in generously: the enclosing huge page of the vma and gap, so that one fault
            // serves many pages.
            ulong optStart = Math.Max(Math.Max(vmaRange.Start.Value, gap.Start), Arch.HugePageRoundDown(addr));
            (ulong hugeEnd, bool ok) = Arch.HugePageRoundUp(gapEnd);
            ulong optEnd = Math.Min(Math.Min(vmaRange.End.Value, gap.End), ok ? hugeEnd : ulong.MaxValue);
            if (exact)
            {
                optStart = Math.Max(optStart, start);
                optEnd = Math.Min(optEnd, end);
            }
            (ulong done, Error? err) = vma.IsPrivateAnonymous
                ? AllocateAnonymousLocked(vma, optStart, optEnd, at)
                : TranslateLocked(vmaRange, vma, addr, gapEnd, optStart, optEnd, at);
            if (err is not null && done < gapEnd)
            {
                return (Math.Max(addr, Math.Min(done, gapEnd)), err);
            }
            addr = gapEnd;
        }
        return (end, null);
    }

    // Backs [start, end) of a private anonymous vma with fresh zeroed memory. Memory made by a read
    // is read-only until first written (as Linux maps its zero page), so the first write still goes
    // through a fault: the page is then taken over without copying, and the vma's anonymous identity
    // is set as Linux's first write fault sets it.
    private (ulong End, Error? Error) AllocateAnonymousLocked(in Vma vma, ulong start, ulong end, AccessType at)
    {
        // A whole huge page of addresses gets a huge-page-aligned file range, so the host can back
        // the two with huge pages alike.
        bool huge = (start & Arch.HugePageMask) == 0 && (end & Arch.HugePageMask) == 0;
        (FileRange fr, Error? error) = _memoryFile is not null
            ? _memoryFile.Allocate(end - start, MemoryKind.Anonymous, new AllocOpts(Huge: huge, MemCgID: _options.MemCgID))
            : _memory.Allocate(end - start, MemoryKind.Anonymous);
        if (error is not null)
        {
            return (start, Errno.ENOMEM);
        }
        _pmas.Add(Range(start, end), new Pma
        {
            File = _memory,
            Offset = fr.Start,
            EffectivePerms = vma.EffectivePerms,
            MaxPerms = vma.MaxPerms.Effective(),
            NeedCOW = !at.Write,
            ZeroPage = !at.Write,
            Private = true,
        });
        AddRSSLocked(end - start);
        return (end, null);
    }

    // Backs [start, end) (at least) of a vma with a mappable, from its translations over the optional
    // range [optStart, optEnd). A write to a private mapping copies at once.
    private (ulong End, Error? Error) TranslateLocked(AddrRange vmaRange, in Vma vma, ulong start, ulong end, ulong optStart, ulong optEnd, AccessType at)
    {
        bool copyNow = vma.Private && at.Write;
        if (copyNow)
        {
            optStart = start;
            optEnd = end;
        }
        ulong vmaStart = vmaRange.Start.Value;
        var required = new MappableRange(vma.MappableOffsetAt(vmaStart, start), vma.MappableOffsetAt(vmaStart, end));
        var optional = new MappableRange(vma.MappableOffsetAt(vmaStart, optStart), vma.MappableOffsetAt(vmaStart, optEnd));
        AccessType translateAt = vma.Private ? new AccessType(Read: true, Write: false, Execute: at.Execute) : at;
        (Translation[] translations, Error? error) = vma.Mappable!.Translate(Contexts.Context.Background, required, optional, translateAt);
        ulong doneEnd = start;
        foreach (Translation t in translations)
        {
            ulong tStart = vmaStart + (t.Source.Start - vma.Offset);
            ulong tEnd = tStart + t.Source.Length;
            // Only fill the part that is still a gap (translations may overlap existing pmas).
            if (!_pmas.IsEmptyRange(Range(tStart, tEnd)))
            {
                continue;
            }
            if (copyNow)
            {
                Error? copyError = CopyToNewAnonymousLocked(vma, tStart, tEnd, t.File, t.FileRange());
                if (copyError is not null)
                {
                    return (doneEnd, copyError);
                }
            }
            else
            {
                t.File.IncRef(t.FileRange(), _options.MemCgID);
                _pmas.Add(Range(tStart, tEnd), new Pma
                {
                    File = t.File,
                    Offset = t.Offset,
                    EffectivePerms = vma.EffectivePerms.Intersect(t.Perms),
                    MaxPerms = vma.MaxPerms.Effective().Intersect(t.Perms),
                    NeedCOW = vma.Private,
                    Private = false,
                });
                AddRSSLocked(tEnd - tStart);
            }
            doneEnd = Math.Max(doneEnd, tEnd);
        }
        return (doneEnd, error);
    }

    // Allocates anonymous memory for [start, end), copies `source` into it and inserts it as a
    // private pma. [start, end) must be free of pmas.
    private Error? CopyToNewAnonymousLocked(in Vma vma, ulong start, ulong end, IFile source, FileRange sourceRange)
    {
        (FileRange fr, Error? error) = _memory.Allocate(end - start, MemoryKind.Anonymous);
        if (error is not null)
        {
            return Errno.ENOMEM;
        }
        Error? copyError = CopyFileRange(_memory, fr, source, sourceRange);
        if (copyError is not null)
        {
            _memory.DecRef(fr);
            return copyError;
        }
        _pmas.Add(Range(start, end), new Pma
        {
            File = _memory,
            Offset = fr.Start,
            EffectivePerms = vma.EffectivePerms,
            MaxPerms = vma.MaxPerms.Effective(),
            Private = true,
        });
        AddRSSLocked(end - start);
        return null;
    }

    private static Error? CopyFileRange(IFile dst, FileRange dstRange, IFile src, FileRange srcRange)
    {
        (BlockSeq dstBlocks, Error? dstError) = dst.MapInternal(dstRange, AccessType.WriteOnly);
        if (dstError is not null)
        {
            return dstError;
        }
        (BlockSeq srcBlocks, Error? srcError) = src.MapInternal(srcRange, AccessType.ReadOnly);
        if (srcError is not null)
        {
            return srcError;
        }
        BlockCopy.CopySeq(dstBlocks, srcBlocks);
        return null;
    }

    /// <summary>
    /// Gives [start, end) of a copy-on-write pma its own memory: taken over when this address space
    /// holds the only reference, copied otherwise.
    /// </summary>
    private Error? BreakCopyOnWriteLocked(PmaMapSegment segment, ulong start, ulong end, in Vma vma)
    {
        Interlocked.Add(ref _copyOnWriteBreaks, (long)((end - start) / Arch.PageSize));
        segment = _pmas.Isolate(segment, Range(start, end));
        Pma pma = segment.Value;
        FileRange fr = pma.FileRangeOf(segment.Start, segment.Range);
        UnmapPlatformLocked(start, end);
        if (pma.Private && _memoryFile is not null && ReferenceEquals(pma.File, _memoryFile) && _memoryFile.HasUniqueRef(fr))
        {
            // Written now: no longer the zero page, nor clean after MADV_FREE.
            segment.Value.NeedCOW = false;
            segment.Value.ZeroPage = false;
            segment.Value.LazyFree = false;
            _pmas.MergeAdjacent(Range(start, end));
            return null;
        }
        (FileRange copy, Error? error) = _memory.Allocate(end - start, MemoryKind.Anonymous);
        if (error is not null)
        {
            return Errno.ENOMEM;
        }
        Error? copyError = CopyFileRange(_memory, copy, pma.File, fr);
        if (copyError is not null)
        {
            _memory.DecRef(copy);
            return copyError;
        }
        pma.File.DecRef(fr);
        segment.Value = new Pma
        {
            File = _memory,
            Offset = copy.Start,
            EffectivePerms = vma.EffectivePerms,
            MaxPerms = vma.MaxPerms.Effective(),
            Private = true,
        };
        _pmas.MergeAdjacent(Range(start, end));
        return null;
    }
}
