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
        if (!oldAddr.IsPageAligned)
        {
            return (default, Errno.EINVAL);
        }
        (ulong oldLen, bool oldOk) = Arch.PageRoundUp(oldSize);
        (ulong newLen, bool newOk) = Arch.PageRoundUp(newSize);
        if (!oldOk)
        {
            oldLen = 0;
        }
        if (!newOk || newLen == 0)
        {
            return (default, Errno.EINVAL);
        }
        ulong start = oldAddr.Value;
        _mappingLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            if (!_vmas.FindSegment(start).IsValid)
            {
                return (default, Errno.EFAULT);
            }
            if (opts.Move == MRemapMoveMode.MustMove || opts.DontUnmap)
            {
                return MRemapToLocked(ctx, start, oldLen, newLen, opts);
            }
            if (oldLen >= newLen)
            {
                if (oldLen > newLen)
                {
                    Error? unmapError = UnmapForRemapLocked(ctx, start + newLen, oldLen - newLen);
                    if (unmapError is not null)
                    {
                        return (default, unmapError);
                    }
                }
                return ((Addr)start, null);
            }

            (VmaSegment segment, Error? error) = VmaToResizeLocked(start, oldLen, newLen);
            if (error is not null)
            {
                return (default, error);
            }
            if (oldLen == segment.End - start && oldLen != 0)
            {
                ulong oldEnd = segment.End;
                ulong newEnd = start + newLen;
                if (newEnd > oldEnd && newEnd <= _layout.MaxAddress && _vmas.IsEmptyRange(Range(oldEnd, newEnd)))
                {
                    return ExpandInPlaceLocked(ctx, segment, newEnd);
                }
            }
            if (opts.Move != MRemapMoveMode.MayMove)
            {
                return (default, Errno.ENOMEM);
            }
            if (_vmas.Count >= _options.MaxMapCount - 3)
            {
                return (default, Errno.ENOMEM);
            }
            (ulong newAddr, Error? findError) = FindAvailableLocked(0, newLen, map32Bit: false);
            if (findError is not null)
            {
                return (default, findError);
            }
            return MoveLocked(ctx, start, oldLen, newAddr, newLen, dontUnmap: false);
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
    }

    // mremap with a destination (MREMAP_FIXED) or MREMAP_DONTUNMAP.
    private (Addr Addr, Error? Error) MRemapToLocked(IContext ctx, ulong start, ulong oldLen, ulong newLen, MRemapOpts opts)
    {
        ulong newAddr = opts.NewAddr.Value;
        if (!Arch.IsPageAligned(newAddr))
        {
            return (default, Errno.EINVAL);
        }
        if (newLen > _layout.MaxAddress || newAddr > _layout.MaxAddress - newLen)
        {
            return (default, Errno.EINVAL);
        }
        if (start + oldLen > newAddr && newAddr + newLen > start)
        {
            return (default, Errno.EINVAL);
        }
        if (_vmas.Count + 2 >= _options.MaxMapCount - 3)
        {
            return (default, Errno.ENOMEM);
        }
        bool isFixed = opts.Move == MRemapMoveMode.MustMove;
        if (isFixed)
        {
            Error? unmapError = UnmapForRemapLocked(ctx, newAddr, newLen);
            if (unmapError is not null)
            {
                return (default, unmapError);
            }
        }
        if (oldLen > newLen)
        {
            Error? unmapError = UnmapForRemapLocked(ctx, start + newLen, oldLen - newLen);
            if (unmapError is not null)
            {
                return (default, unmapError);
            }
            oldLen = newLen;
        }
        (VmaSegment segment, Error? error) = VmaToResizeLocked(start, oldLen, newLen);
        if (error is not null)
        {
            return (default, error);
        }
        if (opts.DontUnmap && _usageAS + oldLen > _options.Limits.AddressSpace)
        {
            return (default, Errno.ENOMEM);
        }
        _ = segment;
        if (!isFixed)
        {
            (newAddr, Error? findError) = FindAvailableLocked(newAddr, newLen, map32Bit: false);
            if (findError is not null)
            {
                return (default, findError);
            }
        }
        else if (newAddr < _layout.MinAddress)
        {
            return (default, Errno.EPERM);
        }
        return MoveLocked(ctx, start, oldLen, newAddr, newLen, opts.DontUnmap);
    }

    // munmap as mremap does it (the range is already page-aligned).
    private Error? UnmapForRemapLocked(IContext ctx, ulong start, ulong length)
    {
        if (start > _layout.MaxAddress || length > _layout.MaxAddress - start)
        {
            return Errno.EINVAL;
        }
        if (UnmapWouldExceedMapCount(start, start + length))
        {
            return Errno.ENOMEM;
        }
        UnmapLocked(ctx, start, start + length);
        return null;
    }

    // Linux's vma_to_resize: the vma at `start` must hold the whole old range, and growth must fit
    // the limits.
    private (VmaSegment Segment, Error? Error) VmaToResizeLocked(ulong start, ulong oldLen, ulong newLen)
    {
        VmaSegment segment = _vmas.FindSegment(start);
        if (!segment.IsValid)
        {
            return (default, Errno.EFAULT);
        }
        Vma vma = segment.Value;
        if (oldLen == 0 && vma.Private)
        {
            return (default, Errno.EINVAL);
        }
        if (oldLen > segment.End - start)
        {
            return (default, Errno.EFAULT);
        }
        if (newLen == oldLen)
        {
            return (segment, null);
        }
        ulong offset = vma.MappableOffsetAt(segment.Start, start);
        if (vma.Mappable is not null && offset + newLen < offset)
        {
            return (default, Errno.EINVAL);
        }
        ulong growth = newLen - oldLen;
        if (vma.MLockMode != MLockMode.None && !_options.CanLockMemory && _lockedAS + growth > _options.Limits.MemLock)
        {
            return (default, Errno.EAGAIN);
        }
        if (_usageAS + growth > _options.Limits.AddressSpace || (vma.IsData && _dataAS + growth > _options.Limits.Data))
        {
            return (default, Errno.ENOMEM);
        }
        return (segment, null);
    }

    // Grows the vma in `segment` up to `newEnd`, which is free.
    private (Addr Addr, Error? Error) ExpandInPlaceLocked(IContext ctx, VmaSegment segment, ulong newEnd)
    {
        ulong vmaStart = segment.Start, oldEnd = segment.End;
        ulong start = vmaStart;
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
            PopulateLocked(oldEnd, newEnd, vma, precommit: false);
        }
        _ = start;
        return ((Addr)vmaStart, null);
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
        moved.Offset = vma.MappableOffsetAt(segment.Start, start);
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
            else if (vma.MLockMode != MLockMode.None)
            {
                // Linux leaves the old range unlocked after MREMAP_DONTUNMAP.
                SetMLockModeLocked(start, start + oldLen, MLockMode.None);
            }
        }
        if (moved.MLockMode == MLockMode.Eager && newLen > oldLen)
        {
            PopulateLocked(newAddr + oldLen, newAddr + newLen, moved, precommit: false);
        }
        return ((Addr)newAddr, null);
    }

    // Re-keys the pmas of [start, end) to start at `newStart`, keeping their references. Active lock
    // held for writing.
    private void MovePmasLocked(ulong start, ulong end, ulong newStart)
    {
        var pieces = new List<(ulong Start, ulong End, Pma Pma)>();
        var segment = _pmas.LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            segment = _pmas.Isolate(segment, Range(start, end));
            pieces.Add((segment.Start, segment.End, segment.Value));
            segment = _pmas.Remove(segment).NextSegment();
        }
        foreach ((ulong s, ulong e, Pma pma) in pieces)
        {
            _pmas.Add(Range(newStart + (s - start), newStart + (e - start)), pma);
        }
    }
}
