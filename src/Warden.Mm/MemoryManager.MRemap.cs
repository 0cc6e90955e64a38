using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using VmaSegment = Warden.RangeMap.RangeMap<Warden.HostArch.AddrRange, Warden.Mm.Vma, Warden.Mm.VmaOps>.Segment;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// Resizes and/or moves the mapping at [oldAddr, oldAddr + oldSize): mremap(2), with Linux's
    /// order of checks and errnos. Shrinking unmaps the tail; growing extends in place when the
    /// following addresses are free, else moves when allowed. An <paramref name="oldSize"/> of zero
    /// duplicates a shared mapping. With <see cref="MRemapOpts.DontUnmap"/> the old range stays
    /// mapped but empty.
    /// </summary>
    /// <remarks>Flag combinations are the caller's to validate (see <see cref="MemorySyscalls.Mremap"/>).</remarks>
    public (Addr Addr, Error? Error) MRemap(IContext ctx, Addr oldAddr, ulong oldSize, ulong newSize, MRemapOpts opts)
    {
        // Linux 6.18's check_mremap_params, in its order.
        if (!oldAddr.IsPageAligned)
        {
            return (default, Errno.EINVAL);
        }
        ulong oldLen = PageAlignWrapping(oldSize);
        ulong newLen = PageAlignWrapping(newSize);
        if (newLen == 0 || newLen > _layout.MaxAddress)
        {
            return (default, Errno.EINVAL);
        }
        ulong start = oldAddr.Value;
        ulong newAddr = opts.NewAddr.Value;
        bool impliesNewAddr = opts.Move == MRemapMoveMode.MustMove || opts.DontUnmap;
        if (impliesNewAddr)
        {
            if (newAddr > _layout.MaxAddress - newLen || !Arch.IsPageAligned(newAddr) || opts.Move == MRemapMoveMode.NoMove ||
                (opts.DontUnmap && oldLen != newLen) ||
                (start + oldLen > newAddr && newAddr + newLen > start))
            {
                return (default, Errno.EINVAL);
            }
        }
        _mappingLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            if (impliesNewAddr && _vmas.Count + 2 >= _options.MaxMapCount - 3)
            {
                return (default, Errno.ENOMEM);
            }
            if (opts.Move == MRemapMoveMode.MustMove && oldLen == newLen)
            {
                return RemapMoveLocked(ctx, start, oldLen, newAddr, opts.DontUnmap);
            }
            var request = new RemapRequest(start, oldLen, newLen, newAddr, opts, impliesNewAddr);
            Error? error = CheckPrepVmaLocked(ref request);
            if (error is not null)
            {
                return (default, error);
            }
            return impliesNewAddr ? MRemapToLocked(ctx, ref request) : MRemapAtLocked(ctx, request);
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
    }

    // Linux's PAGE_ALIGN: a length within a page of 2^64 wraps to zero.
    private static ulong PageAlignWrapping(ulong length) => (length + Arch.PageMask) & ~Arch.PageMask;

    private enum RemapType
    {
        NoResize,
        Shrink,
        Expand,
    }

    // One mremap step: the old range, the new length and destination.
    private struct RemapRequest(ulong start, ulong oldLen, ulong newLen, ulong newAddr, MRemapOpts opts, bool impliesNewAddr)
    {
        public ulong Start = start;
        public ulong OldLen = oldLen;
        public ulong NewLen = newLen;
        public ulong NewAddr = newAddr;
        public readonly MRemapOpts Opts = opts;
        public readonly bool ImpliesNewAddr = impliesNewAddr;

        public readonly RemapType Type => OldLen == NewLen ? RemapType.NoResize : OldLen > NewLen ? RemapType.Shrink : RemapType.Expand;
    }

    // Linux 6.18's check_prep_vma: the vma at the old address must exist and, when the call maps
    // anything new, hold the old range and allow the growth.
    private Error? CheckPrepVmaLocked(ref RemapRequest request)
    {
        VmaSegment segment = _vmas.FindSegment(request.Start);
        if (!segment.IsValid)
        {
            return Errno.EFAULT;
        }
        if (request.Type != RemapType.Expand && !request.ImpliesNewAddr)
        {
            return null;
        }
        Vma vma = segment.Value;
        if (request.OldLen == 0 && vma.Private)
        {
            return Errno.EINVAL;
        }
        ulong checkedLen = request.Type == RemapType.Shrink ? request.NewLen : request.OldLen;
        if (checkedLen > segment.End - request.Start)
        {
            return Errno.EFAULT;
        }
        if (request.NewLen == checkedLen)
        {
            return null;
        }
        ulong offset = vma.MappableOffsetAt(segment.Start, request.Start);
        if (vma.Mappable is not null && offset + request.NewLen < offset)
        {
            return Errno.EINVAL;
        }
        ulong growth = request.NewLen - request.OldLen;
        if (vma.MLockMode != MLockMode.None && !LockFitsLimitLocked(growth))
        {
            return Errno.EAGAIN;
        }
        // The growth of a charged mapping is charged against overcommit too; a move to a new
        // address is charged later (MRemapToLocked), after a fixed destination has been unmapped,
        // which an overcommit refusal then does not undo (as Linux's vrm_charge in move_vma).
        if (_usageAS + growth > _limits.AddressSpace || (vma.IsData && _dataAS + growth > _limits.Data) ||
            (vma.Accounted && !request.ImpliesNewAddr && growth > _options.OvercommitLimit))
        {
            return Errno.ENOMEM;
        }
        return null;
    }

    // Linux 6.18's mremap_at: resize without a destination.
    private (Addr Addr, Error? Error) MRemapAtLocked(IContext ctx, RemapRequest request)
    {
        ulong start = request.Start;
        switch (request.Type)
        {
            case RemapType.NoResize:
                return ((Addr)start, null);
            case RemapType.Shrink:
                Error? unmapError = UnmapForRemapLocked(ctx, start + request.NewLen, request.OldLen - request.NewLen);
                return unmapError is null ? ((Addr)start, null) : (default, unmapError);
        }
        VmaSegment segment = _vmas.FindSegment(start);
        if (segment.End - start == request.OldLen)
        {
            ulong oldEnd = segment.End;
            ulong newEnd = start + request.NewLen;
            if (newEnd > oldEnd && newEnd <= _layout.MaxAddress && _vmas.IsEmptyRange(Range(oldEnd, newEnd)))
            {
                return ExpandInPlaceLocked(ctx, segment, newEnd, start);
            }
        }
        if (request.Opts.Move != MRemapMoveMode.MayMove)
        {
            return (default, Errno.ENOMEM);
        }
        // Linux places the move as a new mapping without a hint.
        (ulong newAddr, Error? findError) = FindUnmappedAreaLocked(segment.Value.IsPrivateAnonymous, segment.Value.Mappable,
            segment.Value.MappableOffsetAt(segment.Start, start), 0, request.NewLen, map32Bit: false);
        if (findError is not null)
        {
            return (default, findError);
        }
        return MoveLocked(ctx, start, request.OldLen, newAddr, request.NewLen, dontUnmap: false);
    }

    // Linux 6.18's mremap_to: move to a fixed destination (unmapping it first) or, for
    // MREMAP_DONTUNMAP without MREMAP_FIXED, to a free range near the hint.
    private (Addr Addr, Error? Error) MRemapToLocked(IContext ctx, ref RemapRequest request)
    {
        bool isFixed = request.Opts.Move == MRemapMoveMode.MustMove;
        ulong start = request.Start;
        if (isFixed)
        {
            Error? unmapError = UnmapForRemapLocked(ctx, request.NewAddr, request.NewLen);
            if (unmapError is not null)
            {
                return (default, unmapError);
            }
            if (!_vmas.FindSegment(start).IsValid)
            {
                return (default, Errno.EFAULT);
            }
        }
        // Linux 6.18 charges the move of an accounted vma its size change (vrm_charge's delta; the
        // new length with MREMAP_DONTUNMAP), computed before any shrink: so a shrinking move from
        // a huge old length is refused by the overcommit heuristic, its shrink already done
        // (checked against this machine's kernel). The check itself comes after the placement.
        ulong charge = request.Opts.DontUnmap ? request.NewLen
            : request.OldLen > request.NewLen ? request.OldLen - request.NewLen : request.NewLen - request.OldLen;
        if (request.Type == RemapType.Shrink)
        {
            Error? unmapError = UnmapForRemapLocked(ctx, start + request.NewLen, request.OldLen - request.NewLen);
            if (unmapError is not null)
            {
                return (default, unmapError);
            }
            request.OldLen = request.NewLen;
        }
        if (request.Opts.DontUnmap && _usageAS + request.OldLen > _limits.AddressSpace)
        {
            return (default, Errno.ENOMEM);
        }
        ulong newAddr = request.NewAddr;
        if (!isFixed)
        {
            VmaSegment old = _vmas.FindSegment(start);
            (newAddr, Error? findError) = FindUnmappedAreaLocked(old.Value.IsPrivateAnonymous, old.Value.Mappable,
                old.Value.MappableOffsetAt(old.Start, start), newAddr, request.NewLen, map32Bit: false);
            if (findError is not null)
            {
                return (default, findError);
            }
        }
        else if (newAddr < FixedMinAddress)
        {
            return (default, Errno.EPERM);
        }
        // The charge is move_vma's, after the destination is settled: a fixed one below
        // vm.mmap_min_addr is EPERM first (kernel fuzz seed 22008).
        if (_vmas.FindSegment(start) is { IsValid: true } moving && moving.Value.Accounted && charge > _options.OvercommitLimit)
        {
            return (default, Errno.ENOMEM);
        }
        return MoveLocked(ctx, start, request.OldLen, newAddr, request.NewLen, request.Opts.DontUnmap);
    }

    /// <summary>
    /// Linux 6.17+'s move of a whole range (MREMAP_FIXED without resizing): every vma in
    /// [start, start + length) moves, keeping the gaps between them; the range must start inside a
    /// vma. (Linux refuses to move several vmas together only for userfaultfd and for files whose
    /// placement is their own, neither of which Warden has.)
    /// </summary>
    private (Addr Addr, Error? Error) RemapMoveLocked(IContext ctx, ulong start, ulong length, ulong newAddr, bool dontUnmap)
    {
        ulong end = start + length;
        if (!_vmas.FindSegment(start).IsValid)
        {
            return (default, Errno.EFAULT);
        }
        Addr result = default;
        ulong target = newAddr;
        ulong lastEnd = start;
        bool hole = false;
        // Piece by piece from the old range's start: the new range never overlaps the old one, so
        // what the walk finds past each moved piece is still to move.
        for (ulong at = start; NextVmaPieceLocked(ref at, end, ref hole, out ulong pieceStart, out _);)
        {
            ulong len = at - pieceStart;
            ulong pieceTarget = target + (pieceStart - lastEnd);
            lastEnd = at;
            var request = new RemapRequest(pieceStart, len, len, pieceTarget, new MRemapOpts(MRemapMoveMode.MustMove, (Addr)pieceTarget, dontUnmap), impliesNewAddr: true);
            Error? error = CheckPrepVmaLocked(ref request);
            if (error is not null)
            {
                return (default, error);
            }
            (Addr moved, Error? moveError) = MRemapToLocked(ctx, ref request);
            if (moveError is not null)
            {
                return (default, moveError);
            }
            if (pieceStart == start)
            {
                result = moved;
            }
            target = moved.Value + len;
        }
        return (result, null);
    }

    // munmap as mremap does it (the range is already page-aligned).
    private Error? UnmapForRemapLocked(IContext ctx, ulong start, ulong length)
    {
        if (start > _layout.MaxAddress || length > _layout.MaxAddress - start)
        {
            return Errno.EINVAL;
        }
        if (UnmapWouldExceedMapCountLocked(start, start + length))
        {
            return Errno.ENOMEM;
        }
        UnmapLocked(ctx, start, start + length);
        return null;
    }

    // Grows the vma in `segment` up to `newEnd`, which is free.
    private (Addr Addr, Error? Error) ExpandInPlaceLocked(IContext ctx, VmaSegment segment, ulong newEnd, ulong oldAddr)
    {
        ulong vmaStart = segment.Start, oldEnd = segment.End;
        Vma vma = segment.Value;
        if (vma.Mappable is not null)
        {
            Error? error = vma.Mappable.AddMapping(ctx, this, Range(oldEnd, newEnd), vma.MappableOffsetAt(vmaStart, oldEnd), vma.CanWriteMappable);
            if (error is not null)
            {
                return (default, error);
            }
        }
        Vma extension = vma;
        extension.Offset = vma.MappableOffsetAt(vmaStart, oldEnd);
        InsertVmaLocked(oldEnd, newEnd, extension);
        if (vma.MLockMode == MLockMode.Eager)
        {
            PopulateLocked(ctx, oldEnd, newEnd, vma, precommit: false);
        }
        return ((Addr)oldAddr, null);
    }

    /// <summary>
    /// Moves [start, start + oldLen) to [newAddr, newAddr + newLen): a new vma like the old one, the
    /// old range's pmas carried over, and the old range unmapped (or, with <paramref name="dontUnmap"/>,
    /// left mapped and empty). An old length of zero only adds the new mapping.
    /// </summary>
    private (Addr Addr, Error? Error) MoveLocked(IContext ctx, ulong start, ulong oldLen, ulong newAddr, ulong newLen, bool dontUnmap)
    {
        VmaSegment segment = _vmas.FindSegment(start);
        Vma vma = segment.Value;
        Vma moved = vma;
        // Linux gives never-written anonymous memory the offset of its new place, so that it can merge there.
        moved.Offset = vma.IsPrivateAnonymous && vma.AnonVma is null ? newAddr : vma.MappableOffsetAt(segment.Start, start);
        bool oldIsWholeVma = segment.Start == start && segment.End == start + oldLen;
        AddrRange newRange = Range(newAddr, newAddr + newLen);
        if (moved.Mappable is not null)
        {
            Error? error = moved.Mappable.CopyMapping(ctx, this, Range(start, start + oldLen), newRange, moved.Offset, moved.CanWriteMappable);
            if (error is not null)
            {
                return (default, error);
            }
        }
        InsertVmaLocked(newAddr, newAddr + newLen, moved);

        if (oldLen > 0)
        {
            _activeLock.EnterWriteLock();
            try
            {
                UnmapPlatformLocked(start, start + oldLen);
                MovePmasLocked(start, start + oldLen, newAddr);
            }
            finally
            {
                _activeLock.ExitWriteLock();
            }
            if (!dontUnmap)
            {
                UnmapLocked(ctx, start, start + oldLen);
            }
            else
            {
                if (vma.MLockMode != MLockMode.None)
                {
                    UnlockAfterDontUnmapLocked(start);
                }
                if (oldIsWholeVma)
                {
                    // When the whole vma moved, Linux also forgets its anonymous memory's identity
                    // (unlink_anon_vmas), merging nothing.
                    _vmas.FindSegment(start).Value.AnonVma = null;
                }
            }
        }
        if (moved.MLockMode == MLockMode.Eager && newLen > oldLen)
        {
            PopulateLocked(ctx, newAddr + oldLen, newAddr + newLen, moved, precommit: false);
        }
        return ((Addr)newAddr, null);
    }

    // After MREMAP_DONTUNMAP, Linux (6.18, dontunmap_complete) clears the lock flags of the whole
    // vma the old range lies in, unsplit and unmerged with its neighbours, and leaves locked_vm
    // alone ("we won't unmap"), so what that vma had locked stays counted against RLIMIT_MEMLOCK
    // for good. Warden does the same (checked against this machine's kernel). Mapping lock held
    // for writing.
    private void UnlockAfterDontUnmapLocked(ulong oldStart)
    {
        VmaSegment segment = _vmas.FindSegment(oldStart);
        segment.Value.MLockMode = MLockMode.None;
        _lockedAS -= segment.Length;
        _lockedLeftCharged += segment.Length;
    }

    // Re-keys the pmas of [start, end) to start at `newStart`, keeping their references. Active lock
    // held for writing.
    private void MovePmasLocked(ulong start, ulong end, ulong newStart)
    {
        // Piece by piece, looked up afresh after each move: the new range is free of pmas and does
        // not overlap the old one, so the lowest pma ending past `at` is always one still to move.
        AddrRange ar = Range(start, end);
        ulong at = start;
        while (true)
        {
            var segment = _pmas.LowerBoundSegment(at);
            if (!segment.IsValid || segment.Start >= end)
            {
                return;
            }
            segment = _pmas.Isolate(segment, ar);
            (ulong s, ulong e, Pma pma) = (segment.Start, segment.End, segment.Value);
            _pmas.Remove(segment);
            _pmas.Add(Range(newStart + (s - start), newStart + (e - start)), pma);
            at = e;
        }
    }
}
