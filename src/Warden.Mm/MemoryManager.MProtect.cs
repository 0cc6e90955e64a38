using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// Changes the permissions of [addr, addr + length) to <paramref name="perms"/>: mprotect(2).
    /// With <paramref name="growsDown"/> (PROT_GROWSDOWN) the change extends down to the start of the
    /// grows-down vma containing the range's end.
    /// </summary>
    /// <remarks>
    /// As on Linux, vmas are changed in address order and the first failure stops the walk with the
    /// earlier changes kept: ENOMEM at a hole, EACCES where <paramref name="perms"/> exceed a vma's
    /// maximum permissions. EINVAL for an unaligned address or PROT_GROWSDOWN on a vma that does not
    /// grow down. A zero length succeeds without looking at the range.
    /// </remarks>
    /// <remarks>
    /// A private eagerly locked vma that becomes writable is populated with write faults, as Linux
    /// breaks copy-on-write there; that populate is not cancellable through this overload.
    /// </remarks>
    public Error? MProtect(Addr addr, ulong length, AccessType perms, bool growsDown) =>
        MProtect(Context.Background, addr, length, perms, growsDown, growsUp: false, unknownProtBits: false);

    // mprotect with the syscall's oddities in Linux's order: unknown protection bits are only
    // rejected once the length is known to be valid, and PROT_GROWSUP (no vma grows up on x86-64)
    // only once a vma was found.
    internal Error? MProtect(IContext ctx, Addr addr, ulong length, AccessType perms, bool growsDown, bool growsUp, bool unknownProtBits)
    {
        if (growsDown && growsUp)
        {
            return Errno.EINVAL;
        }
        if (!addr.IsPageAligned)
        {
            return Errno.EINVAL;
        }
        if (length == 0)
        {
            return null;
        }
        (ulong rounded, bool ok) = Arch.PageRoundUp(length);
        ulong start = addr.Value;
        ulong end = start + rounded;
        if (!ok || end <= start)
        {
            return Errno.ENOMEM;
        }
        if (unknownProtBits)
        {
            return Errno.EINVAL;
        }
        _mappingLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            var segment = _vmas.LowerBoundSegment(start);
            if (!segment.IsValid)
            {
                return Errno.ENOMEM;
            }
            if (growsDown)
            {
                if (segment.Start >= end)
                {
                    return Errno.ENOMEM;
                }
                start = segment.Start;
                if (!segment.Value.GrowsDown)
                {
                    return Errno.EINVAL;
                }
            }
            else if (segment.Start > start)
            {
                return Errno.ENOMEM;
            }
            else if (growsUp)
            {
                return Errno.EINVAL;
            }

            Error? error = null;
            ulong reached = segment.Start;
            while (segment.IsValid && segment.Start < end)
            {
                if (segment.Start > reached)
                {
                    error = Errno.ENOMEM;
                    break;
                }
                if (!segment.Value.MaxPerms.SupersetOf(perms))
                {
                    error = Errno.EACCES;
                    break;
                }
                ulong pieceStart = Math.Max(segment.Start, start), pieceEnd = Math.Min(segment.End, end);
                bool splits = (pieceStart > segment.Start ? 1 : 0) + (pieceEnd < segment.End ? 1 : 0) > 0;
                if (splits && segment.Value.RealPerms != perms && _vmas.Count >= _options.MaxMapCount)
                {
                    error = Errno.ENOMEM;
                    break;
                }
                Vma current = segment.Value;
                if (!current.IsData && (current with { RealPerms = perms }).IsData &&
                    _dataAS + (pieceEnd - pieceStart) > _limits.Data)
                {
                    // Becoming data must fit RLIMIT_DATA (Linux's may_expand_vm).
                    error = Errno.ENOMEM;
                    break;
                }
                if (perms.Write && !current.RealPerms.Write && !current.Accounted && current.Private &&
                    (current.Hints & VmaHints.NoReserve) == 0 && pieceEnd - pieceStart > _options.OvercommitLimit)
                {
                    // Private memory becoming writable is charged against overcommit.
                    error = Errno.ENOMEM;
                    break;
                }
                reached = segment.End;
                if (segment.Value.RealPerms == perms)
                {
                    segment = segment.NextSegment();
                    continue;
                }
                segment = _vmas.Isolate(segment, Range(start, end));
                ref Vma vma = ref segment.Value;
                bool wasData = vma.IsData;
                AccessType oldEffective = vma.EffectivePerms;
                AccessType oldPerms = vma.RealPerms;
                vma.RealPerms = perms;
                // Linux charges a private mapping when it becomes writable (one that was writable
                // already, the stack say, stays as it was), and uncharges it when it stops being
                // writable only if it is anonymous and was never written.
                bool wasWritable = oldPerms.Write;
                if (perms.Write)
                {
                    vma.Accounted |= !wasWritable && vma.Private && (vma.Hints & VmaHints.NoReserve) == 0;
                }
                else if (vma.IsPrivateAnonymous && vma.AnonVma is null)
                {
                    vma.Accounted = false;
                }
                if (wasData != vma.IsData)
                {
                    ulong len = segment.Length;
                    _dataAS = wasData ? _dataAS - len : _dataAS + len;
                }
                UpdatePmaPermsLocked(pieceStart, pieceEnd, vma, !vma.EffectivePerms.SupersetOf(oldEffective));
                bool populate = perms.Write && !wasWritable && vma.Private && vma.MLockMode == MLockMode.Eager;
                // As Linux's mprotect_fixup, vma by vma: the changed vma is merged with its
                // neighbours, then, if it is a locked private vma become writable, its copy-on-write
                // is broken (populated; a failure is ignored, as Linux's populate's is), which may
                // give it an anonymous identity that keeps the next vma from merging with it.
                MergeChangedVmaLocked(segment);
                if (populate)
                {
                    PopulateLocked(ctx, pieceStart, pieceEnd, _vmas.FindSegment(pieceStart).Value, precommit: false);
                }
                segment = _vmas.LowerBoundSegment(pieceEnd);
            }
            if (error is null && reached < end)
            {
                error = Errno.ENOMEM;
            }
            return error;
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
    }

    // Gives the pmas of [start, end) the permissions of their (changed) vma and, when access was
    // reduced, makes the platform forget the range. Mapping lock held for writing.
    private void UpdatePmaPermsLocked(ulong start, ulong end, in Vma vma, bool reduced)
    {
        _activeLock.EnterWriteLock();
        try
        {
            if (reduced)
            {
                UnmapPlatformLocked(start, end);
            }
            var segment = _pmas.LowerBoundSegment(start);
            while (segment.IsValid && segment.Start < end)
            {
                segment = _pmas.Isolate(segment, Range(start, end));
                ref Pma pma = ref segment.Value;
                // MaxPerms already holds the translation's limits; stay within them.
                pma.EffectivePerms = vma.EffectivePerms.Intersect(pma.MaxPerms);
                segment = segment.NextSegment();
            }
            _pmas.MergeRange(Range(start, end));
        }
        finally
        {
            _activeLock.ExitWriteLock();
        }
    }
}
