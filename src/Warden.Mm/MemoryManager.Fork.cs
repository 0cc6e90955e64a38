using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Platform;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// Makes a copy-on-write copy of this address space for a child process: private memory is
    /// shared read-only by both until either writes it, shared mappings stay shared, DONTFORK ranges
    /// are left out, WIPEONFORK ranges start zeroed in the child, and locks are not inherited.
    /// </summary>
    /// <remarks>Pinned private pages (<see cref="Pin"/>) are copied for the child at once rather than shared.</remarks>
    /// <returns>The child's memory manager (not activated), or the error of a mappable that refused the copy (or ENOMEM copying pinned pages).</returns>
    public (MemoryManager? Child, Error? Error) Fork(IContext ctx)
    {
        var child = new MemoryManager(this);
        Error? error;
        // The child's locks are taken too, though no one else knows it yet, so that the ...Locked
        // methods called on it find what they assert. Order: this mapping lock, the child's, this
        // active lock, the child's.
        _mappingLock.EnterReadLock();
        child._mappingLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            error = CopyVmasToChildLocked(ctx, child);
            if (error is null)
            {
                _activeLock.EnterWriteLock();
                child._activeLock.EnterWriteLock();
                try
                {
                    error = CopyPmasToChildLocked(child);
                }
                finally
                {
                    child._activeLock.ExitWriteLock();
                    _activeLock.ExitWriteLock();
                }
            }
        }
        finally
        {
            child._mappingLock.ExitWriteLock();
            _mappingLock.ExitReadLock();
        }
        if (error is not null)
        {
            child.Dispose();
            return (null, error);
        }
        child._mapPmasOnActivate = true;
        return (child, null);
    }

    // Set on a forked child: its first Activate maps every pma it inherited, as Linux's fork copies
    // the page tables, so the child does not fault once per page it only reads. Guarded by the
    // active lock.
    private bool _mapPmasOnActivate;

    // Maps every pma into the new address space with its platform permissions (read-only where
    // copy-on-write is pending), runs of pmas contiguous in one file as one mapping. Failures are
    // left to faults. Active lock held for writing.
    private void MapPmasIntoPlatformLocked()
    {
        IAddressSpace space = _addressSpace!;
        IFile? runFile = null;
        ulong runStart = 0, runEnd = 0;
        FileRange runRange = default;
        AccessType runPerms = default;
        foreach (var segment in _pmas)
        {
            Pma pma = segment.Value;
            AccessType perms = pma.PlatformPerms;
            if (!perms.Any)
            {
                continue;
            }
            FileRange fr = pma.FileRangeOf(segment.Start, segment.Range);
            if (runFile is not null && ReferenceEquals(runFile, pma.File) && runEnd == segment.Start && runRange.End == fr.Start && runPerms == perms)
            {
                runEnd = segment.End;
                runRange = new FileRange(runRange.Start, fr.End);
                continue;
            }
            if (runFile is not null)
            {
                _ = space.MapFile((Addr)runStart, runFile, runRange, runPerms, precommit: false);
            }
            (runFile, runStart, runEnd, runRange, runPerms) = (pma.File, segment.Start, segment.End, fr, perms);
        }
        if (runFile is not null)
        {
            _ = space.MapFile((Addr)runStart, runFile, runRange, runPerms, precommit: false);
        }
    }

    // Gives the child this address space's vmas but DONTFORK ones, with mlock cleared. Mapping lock held for
    // reading; the child's for writing.
    private Error? CopyVmasToChildLocked(IContext ctx, MemoryManager child)
    {
        child._brkStart = _brkStart;
        child._brk = _brk;
        foreach (var segment in _vmas)
        {
            Vma vma = segment.Value;
            if (vma.DontFork)
            {
                continue;
            }
            vma.MLockMode = MLockMode.None;
            if (vma.Mappable is not null)
            {
                Error? error = vma.Mappable.AddMapping(ctx, child, segment.Range, vma.Offset, vma.CanWriteMappable);
                if (error is not null)
                {
                    return error;
                }
            }
            child.InsertVmaLocked(segment.Start, segment.End, vma);
        }
        return null;
    }

    // Gives the child the pmas of every vma it got but WIPEONFORK ones. Both mapping locks and both
    // active locks held (this one's mapping lock for reading, the rest for writing).
    private Error? CopyPmasToChildLocked(MemoryManager child)
    {
        foreach (var vseg in _vmas)
        {
            Vma vma = vseg.Value;
            if (vma.DontFork || vma.WipeOnFork)
            {
                continue;
            }
            Error? error = SharePmasWithChildLocked(child, vseg.Start, vseg.End, vma.Private);
            if (error is not null)
            {
                return error;
            }
        }
        return null;
    }

    // Gives the child the pmas of [start, end), each with its own reference; private ones become
    // copy-on-write on both sides (the platform forgets this side's writable mappings of them).
    // Active lock held for writing; the child is not yet shared with anyone. Fails (ENOMEM) only
    // where a pinned page must be copied.
    private Error? SharePmasWithChildLocked(MemoryManager child, ulong start, ulong end, bool isPrivate)
    {
        AddrRange ar = Range(start, end);
        var segment = _pmas.LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            segment = _pmas.Isolate(segment, ar);
            ref Pma pma = ref segment.Value;
            if (isPrivate && pma.Private && pma.PinCount > 0)
            {
                // A pinned page must stay the one this process sees: the child gets its copy now.
                Error? error = child.CopyPinnedForChildLocked(segment.Range, pma);
                if (error is not null)
                {
                    _pmas.MergeRange(ar);
                    return error;
                }
                segment = segment.NextSegment();
                continue;
            }
            if (isPrivate && !pma.NeedCOW)
            {
                pma.NeedCOW = true;
                if (pma.EffectivePerms.Write)
                {
                    UnmapPlatformLocked(segment.Start, segment.End);
                }
            }
            pma.File.IncRef(pma.FileRangeOf(segment.Start, segment.Range), _options.MemCgID);
            child._pmas.Add(segment.Range, pma);
            child.AddRSSLocked(segment.Length);
            segment = segment.NextSegment();
        }
        _pmas.MergeRange(ar);
        return null;
    }

    // Gives this (child) address space a private copy of the parent's pinned `pma` over `ar`.
    private Error? CopyPinnedForChildLocked(AddrRange ar, in Pma pma)
    {
        (FileRange copy, Error? error) = _memory.Allocate(ar.Length, MemoryKind.Anonymous);
        if (error is not null)
        {
            return Errno.ENOMEM;
        }
        Error? copyError = CopyFileRange(_memory, copy, pma.File, pma.FileRangeOf(ar.Start.Value, ar));
        if (copyError is not null)
        {
            _memory.DecRef(copy);
            return copyError;
        }
        _pmas.Add(ar, new Pma
        {
            File = _memory,
            Offset = copy.Start,
            EffectivePerms = pma.EffectivePerms,
            MaxPerms = pma.MaxPerms,
            Private = true,
        });
        AddRSSLocked(ar.Length);
        return null;
    }
}
