using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;

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
    /// <see langword="null"/> when the access can be retried; EFAULT when it is not allowed (the
    /// caller delivers SIGSEGV); a <see cref="MemMap.BusError"/> for SIGBUS; ENOMEM when memory ran out.
    /// </returns>
    public Error? HandleUserFault(IContext ctx, Addr addr, AccessType at, Addr sp)
    {
        ulong page = Arch.PageRoundDown(addr.Value);
        _mappingLock.EnterUpgradeableReadLock();
        try
        {
            var segment = _vmas.LowerBoundSegment(page);
            if (!segment.IsValid)
            {
                return Errno.EFAULT;
            }
            if (segment.Start > page)
            {
                if (!segment.Value.GrowsDown)
                {
                    return Errno.EFAULT;
                }
                _mappingLock.EnterWriteLock();
                try
                {
                    Error? growError = GrowStackLocked(segment.Start, page);
                    if (growError is not null)
                    {
                        return growError;
                    }
                }
                finally
                {
                    _mappingLock.ExitWriteLock();
                }
                segment = _vmas.FindSegment(page);
            }
            Vma vma = segment.Value;
            if (!vma.EffectivePerms.SupersetOf(at))
            {
                return Errno.EFAULT;
            }

            _activeLock.EnterWriteLock();
            try
            {
                (ulong end, Error? error) = FaultInLocked(page, page + Arch.PageSize, at, ignorePermissions: false);
                if (end <= page)
                {
                    return error ?? Errno.EFAULT;
                }
                return MapIntoPlatformLocked(segment.Range, page, at);
            }
            finally
            {
                _activeLock.ExitWriteLock();
            }
        }
        finally
        {
            _mappingLock.ExitUpgradeableReadLock();
        }
    }

    // Maps the pmas around `page` (up to the map unit, within the vma) into the platform address
    // space. Active lock held for writing.
    private Error? MapIntoPlatformLocked(AddrRange vmaRange, ulong page, AccessType at)
    {
        if (_addressSpace is null)
        {
            return null;
        }
        ulong unit = Math.Max(_platform.MapUnit, Arch.PageSize);
        ulong windowStart = Math.Max(vmaRange.Start.Value, page - (page % unit));
        ulong windowEnd = Math.Min(vmaRange.End.Value, windowStart + unit < windowStart ? ulong.MaxValue : windowStart + unit);
        windowEnd = Math.Max(windowEnd, page + Arch.PageSize);
        var segment = _pmas.LowerBoundSegment(windowStart);
        while (segment.IsValid && segment.Start < windowEnd)
        {
            ulong s = Math.Max(segment.Start, windowStart), e = Math.Min(segment.End, windowEnd);
            Pma pma = segment.Value;
            AccessType perms = pma.PlatformPerms;
            bool isFaultPage = s <= page && page < e;
            if (perms.Any && (isFaultPage || !at.Write || perms.Write))
            {
                Error? error = _addressSpace.MapFile((Addr)s, pma.File, pma.FileRangeOf(segment.Start, Range(s, e)), perms, precommit: false);
                if (error is not null && isFaultPage)
                {
                    return error;
                }
            }
            segment = segment.NextSegment();
        }
        return null;
    }

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
        if (vma.MLockMode != MemMap.MLockMode.None && !_options.CanLockMemory && _lockedAS + growth > _limits.MemLock)
        {
            return Errno.EFAULT;
        }
        _vmas.Remove(segment);
        vma.Offset -= growth;
        AccountVma(growth, vma, add: true);
        _vmas.Add(Range(newStart, vmaEnd), vma);
        return null;
    }
}
