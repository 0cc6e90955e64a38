using System.Diagnostics;
using Warden.Contexts;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    // Adds a vma's size to the usage counters. Mapping lock held for writing.
    private void AccountVmaLocked(ulong length, in Vma vma, bool add)
    {
        Debug.Assert(_mappingLock.IsWriteLockHeld, "The mapping lock must be held for writing.");
        if (vma.Id is not null)
        {
            AccountIdentity(vma.Id, length, add);
        }
        if (add)
        {
            _usageAS += length;
            if (vma.IsData)
            {
                _dataAS += length;
            }
            if (vma.MLockMode != MemMap.MLockMode.None)
            {
                _lockedAS += length;
            }
        }
        else
        {
            _usageAS -= length;
            if (vma.IsData)
            {
                _dataAS -= length;
            }
            if (vma.MLockMode != MemMap.MLockMode.None)
            {
                _lockedAS -= length;
            }
        }
    }

    // A mapping identity is referenced once while any vma of this address space uses it; this
    // counts the bytes mapped per identity (vmas split and merge, so per-segment references would
    // have to follow every split and merge).
    private readonly Dictionary<IMappingIdentity, ulong> _identityBytes = new(ReferenceEqualityComparer.Instance);

    private void AccountIdentity(IMappingIdentity id, ulong length, bool add)
    {
        _identityBytes.TryGetValue(id, out ulong bytes);
        if (add)
        {
            if (bytes == 0)
            {
                id.IncRef();
            }
            _identityBytes[id] = bytes + length;
            return;
        }
        if (bytes <= length)
        {
            _identityBytes.Remove(id);
            id.DecRef(Context.Background);
            return;
        }
        _identityBytes[id] = bytes - length;
    }

    // Inserts a vma over [start, end), which must be free of vmas.
    // Mapping lock held for writing.
    private void InsertVmaLocked(ulong start, ulong end, Vma vma, bool merge = true)
    {
        Debug.Assert(_mappingLock.IsWriteLockHeld, "The mapping lock must be held for writing.");
        AccountVmaLocked(end - start, vma, add: true);
        if (merge)
        {
            _vmas.Add(Range(start, end), vma);
        }
        else
        {
            _vmas.AddWithoutMerging(Range(start, end), vma);
        }
    }

    /// <summary>
    /// Removes every vma and pma in [start, end): the platform forgets the range, pages are released,
    /// mappables are told. Mapping lock held for writing; the active lock must not be held.
    /// </summary>
    private void UnmapLocked(IContext ctx, ulong start, ulong end)
    {
        Debug.Assert(_mappingLock.IsWriteLockHeld, "The mapping lock must be held for writing.");
        if (start >= end)
        {
            return;
        }
        AddrRange ar = Range(start, end);
        ForgetPagesLocked(start, end);

        var segment = _vmas.LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            segment = _vmas.Isolate(segment, ar);
            Vma vma = segment.Value;
            AddrRange removed = segment.Range;
            AccountVmaLocked(removed.Length, vma, add: false);
            vma.Mappable?.RemoveMapping(ctx, this, removed, vma.Offset, vma.CanWriteMappable);
            segment = _vmas.Remove(segment).NextSegment();
        }
    }

    // Releases the pmas of [start, end) and makes the platform forget the range: what munmap does to
    // memory, and all MADV_DONTNEED does. Takes the active lock; mapping lock held.
    private void ForgetPagesLocked(ulong start, ulong end)
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

    // The next piece of [at, end) that lies in one vma: its start and vma, with `at` moved to its end;
    // false when no vma is left. Sets `hole` when it passes an unmapped gap. The vma is looked up
    // afresh from `at` on each call, so the caller may split, merge or change vmas in between; the
    // walk allocates nothing. Mapping lock held.
    private bool NextVmaPieceLocked(ref ulong at, ulong end, ref bool hole, out ulong pieceStart, out Vma vma)
    {
        Debug.Assert(MappingLockHeld, "The mapping lock must be held.");
        if (at < end)
        {
            var segment = _vmas.LowerBoundSegment(at);
            if (segment.IsValid && segment.Start < end)
            {
                hole |= segment.Start > at;
                pieceStart = Math.Max(segment.Start, at);
                vma = segment.Value;
                at = Math.Min(segment.End, end);
                return true;
            }
            hole = true;
            at = end;
        }
        pieceStart = end;
        vma = default;
        return false;
    }

    // [addr, addr + length) rounded out to pages; Ok is false when the end overflows.
    private static (ulong Start, ulong End, bool Ok) PageRange(Addr addr, ulong length)
    {
        (ulong rounded, bool ok) = Arch.PageRoundUp(length);
        ulong start = addr.Value;
        ulong end = start + rounded;
        return (start, end, ok && end >= start);
    }

    // Whether unmapping [start, end) would need one more vma than the limit allows (it splits a vma
    // in two). Mapping lock held.
    private bool UnmapWouldExceedMapCountLocked(ulong start, ulong end)
    {
        Debug.Assert(MappingLockHeld, "The mapping lock must be held.");
        var segment = _vmas.FindSegment(start);
        return segment.IsValid && segment.Start < start && end < segment.End && _vmas.Count >= _options.MaxMapCount;
    }

    // The number of bytes of [start, end) that vmas cover. Mapping lock held.
    private ulong MappedBytesLocked(ulong start, ulong end) => start < end ? _vmas.SpanRange(Range(start, end)) : 0;

    // The lowest address a mapping may start at so that it keeps the guard gap below a grows-down
    // vma starting at `next` (Linux's vm_start_gap).
    private ulong StartGap(in Vma next, ulong nextStart)
    {
        if (!next.GrowsDown)
        {
            return nextStart;
        }
        return nextStart > _options.StackGuardGap ? nextStart - _options.StackGuardGap : 0;
    }
}
