using System.Runtime.CompilerServices;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.SafeMem;
using Warden.UserMem;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <inheritdoc/>
    /// <remarks>
    /// A range that wraps or ends above the layout's <see cref="MmapLayout.MaxAddress"/> fails at once
    /// with EFAULT, copying nothing (Linux's <c>access_ok</c>).
    /// </remarks>
    public (int Count, Error? Error) CopyOut(IContext ctx, Addr addr, ReadOnlySpan<byte> src, IOOpts opts)
    {
        if (!CheckIORange(addr.Value, (ulong)src.Length))
        {
            return (0, Errno.EFAULT);
        }
        int done = 0;
        if (UseAddressSpaceIO(opts, src.Length))
        {
            _activeLock.EnterReadLock();
            try
            {
                if (_addressSpace is { } space)
                {
                    (done, Error? error) = space.CopyOut(addr, src);
                    if (error is null)
                    {
                        return (done, null);
                    }
                }
            }
            finally
            {
                _activeLock.ExitReadLock();
            }
        }
        // The rest (or all) through internal mappings, which fault pages in as needed.
        var copier = new CopyOutCopier(src[done..]);
        (ulong n, Error? copyError) = Transfer(addr.Value + (ulong)done, (ulong)(src.Length - done), AccessType.WriteOnly, opts, ref copier);
        return (done + (int)n, copyError);
    }

    // Copies this small are tried through the platform's AddressSpaceIO first when the address
    // space is active (no internal-mapping lookup); larger ones are faster through internal mappings.
    private const int AddressSpaceIOMaxBytes = 256;

    private bool UseAddressSpaceIO(IOOpts opts, int length) =>
        opts.AddressSpaceActive && !opts.IgnorePermissions && length <= AddressSpaceIOMaxBytes && _platform.SupportsAddressSpaceIO;

    /// <inheritdoc/>
    /// <remarks><inheritdoc cref="CopyOut" path="/remarks"/></remarks>
    public (int Count, Error? Error) CopyIn(IContext ctx, Addr addr, Span<byte> dst, IOOpts opts)
    {
        if (!CheckIORange(addr.Value, (ulong)dst.Length))
        {
            return (0, Errno.EFAULT);
        }
        int done = 0;
        if (UseAddressSpaceIO(opts, dst.Length))
        {
            _activeLock.EnterReadLock();
            try
            {
                if (_addressSpace is { } space)
                {
                    (done, Error? error) = space.CopyIn(addr, dst);
                    if (error is null)
                    {
                        return (done, null);
                    }
                }
            }
            finally
            {
                _activeLock.ExitReadLock();
            }
        }
        var copier = new CopyInCopier(dst[done..]);
        (ulong n, Error? copyError) = Transfer(addr.Value + (ulong)done, (ulong)(dst.Length - done), AccessType.ReadOnly, opts, ref copier);
        return (done + (int)n, copyError);
    }

    /// <inheritdoc/>
    /// <remarks><inheritdoc cref="CopyOut" path="/remarks"/></remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="toZero"/> is negative.</exception>
    public (long Count, Error? Error) ZeroOut(IContext ctx, Addr addr, long toZero, IOOpts opts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(toZero);
        if (!CheckIORange(addr.Value, (ulong)toZero))
        {
            return (0, Errno.EFAULT);
        }
        var copier = new ZeroCopier();
        (ulong n, Error? error) = Transfer(addr.Value, (ulong)toZero, AccessType.WriteOnly, opts, ref copier);
        return ((long)n, error);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <paramref name="src"/> is called at most once, with the blocks of every range in order; when a
    /// range cannot be reached in full, with the blocks before the first byte that cannot, and the
    /// result is EFAULT if it filled them all. A range that wraps or ends above the layout's
    /// <see cref="MmapLayout.MaxAddress"/> fails the whole call with EFAULT, calling nothing.
    /// </remarks>
    public (long Count, Error? Error) CopyOutFrom(IContext ctx, AddrRangeSeq ars, IReader src, IOOpts opts)
    {
        ArgumentNullException.ThrowIfNull(src);
        var copier = new ReaderCopier(src);
        return TransferVec(ars, AccessType.WriteOnly, opts, ref copier);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <paramref name="dst"/> is called at most once; otherwise as <see cref="CopyOutFrom"/>.
    /// </remarks>
    public (long Count, Error? Error) CopyInTo(IContext ctx, AddrRangeSeq ars, IWriter dst, IOOpts opts)
    {
        ArgumentNullException.ThrowIfNull(dst);
        var copier = new WriterCopier(dst);
        return TransferVec(ars, AccessType.ReadOnly, opts, ref copier);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) SwapUint32(IContext ctx, Addr addr, uint newValue, IOOpts opts)
    {
        var op = new AtomicCopier(AtomicKind.Swap, newValue, 0);
        Error? error = TransferAtomic(addr, AccessType.ReadWrite, opts, ref op);
        return (op.Result, error);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) CompareAndSwapUint32(IContext ctx, Addr addr, uint oldValue, uint newValue, IOOpts opts)
    {
        var op = new AtomicCopier(AtomicKind.CompareAndSwap, newValue, oldValue);
        Error? error = TransferAtomic(addr, AccessType.ReadWrite, opts, ref op);
        return (op.Result, error);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) LoadUint32(IContext ctx, Addr addr, IOOpts opts)
    {
        var op = new AtomicCopier(AtomicKind.Load, 0, 0);
        Error? error = TransferAtomic(addr, AccessType.ReadOnly, opts, ref op);
        return (op.Result, error);
    }

    private Error? TransferAtomic(Addr addr, AccessType at, IOOpts opts, ref AtomicCopier op)
    {
        if ((addr.Value & 3) != 0)
        {
            ThrowHelper.ThrowArgument(nameof(addr), "Atomic operations need a 4-byte-aligned address; got {0}.", addr);
        }
        if (!CheckIORange(addr.Value, 4))
        {
            return Errno.EFAULT;
        }
        (_, Error? error) = Transfer(addr.Value, 4, at, opts, ref op);
        return error;
    }

    // Linux's access_ok: the range neither wraps nor reaches above the highest address a mapping
    // can have. Copies check it before touching anything.
    private bool CheckIORange(ulong start, ulong length) =>
        start + length >= start && start + length <= _layout.MaxAddress;

    private bool CheckIORanges(AddrRangeSeq ars)
    {
        foreach (AddrRange ar in ars)
        {
            if (!CheckIORange(ar.Start.Value, ar.Length))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Runs <paramref name="copier"/> over [start, start + length) of application memory, once per
    /// pma it crosses, faulting pages in as needed. Stops at the first byte the program may not
    /// access, with EFAULT. The range has passed <see cref="CheckIORange"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (ulong Count, Error? Error) Transfer<T>(ulong start, ulong length, AccessType at, IOOpts opts, ref T copier)
        where T : IBlockCopier, allows ref struct
    {
        if (length == 0)
        {
            return (0, null);
        }

        // Fast path: the pma of this thread's last copy, or pmas with internal mappings, already
        // cover the range for this access.
        ulong done;
        bool stopped;
        Error? error;
        _activeLock.EnterReadLock();
        try
        {
            if (TryHintLocked(start, start + length, at, opts.IgnorePermissions, out Span<byte> hinted) && copier.TryCopyAll(hinted))
            {
                return (length, null);
            }
            (done, stopped, error) = CopyThroughPmasLocked(start, start + length, 0, at, opts.IgnorePermissions, ref copier);
        }
        finally
        {
            _activeLock.ExitReadLock();
        }
        if (error is not null || stopped || done == length)
        {
            return (done, error);
        }
        return TransferSlow(start, length, done, at, opts, ref copier);
    }

    // Transfer once the fast path stopped at start + done for want of a pma: faults the rest in with
    // the active lock held for writing, then copies with it held only for reading, so other copies
    // (and the fast path) run meanwhile. A copy that reaches an unmapped page below a grows-down
    // vma grows it there and goes on, as the kernel's own faults in copy_to_user/copy_from_user do
    // (not a remote copy or one that ignores permissions: Linux's get_user_pages does not grow stacks).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private (ulong Count, Error? Error) TransferSlow<T>(ulong start, ulong length, ulong done, AccessType at, IOOpts opts, ref T copier)
        where T : IBlockCopier, allows ref struct
    {
        ulong end = start + length;
        while (true)
        {
            ulong stoppedAt;
            _mappingLock.EnterReadLock();
            try
            {
                ulong from = start + done;
                ulong reachable = PreparePmas(from, end, at, opts.IgnorePermissions);
                try
                {
                    if (reachable > from)
                    {
                        (ulong n, _, Error? copyError) = CopyThroughPmasLocked(from, reachable, done, at, opts.IgnorePermissions, ref copier);
                        done += n;
                        if (copyError is not null || from + n < reachable)
                        {
                            return (done, copyError);
                        }
                    }
                    stoppedAt = start + done;
                    // As in Linux's copy_to_user/copy_from_user, any failure to reach memory (no
                    // mapping, no permission, a bus error, no memory) is EFAULT to the caller.
                    if (done == length || opts.IgnorePermissions || opts.Remote || !BelowGrowsDownLocked(stoppedAt))
                    {
                        return (done, done < length ? Errno.EFAULT : null);
                    }
                }
                finally
                {
                    _activeLock.ExitReadLock();
                }
            }
            finally
            {
                _mappingLock.ExitReadLock();
            }
            if (GrowStackTo(Arch.PageRoundDown(stoppedAt)) is not null)
            {
                return (done, Errno.EFAULT);
            }
        }
    }

    // Grows the grows-down vmas that the first hole of `ars` lies below, one at a time, as the
    // kernel's faults would on the way through the ranges; stops at a hole that is not below one,
    // or when growing fails (the copy then stops there with EFAULT). Takes the mapping lock.
    private void GrowStacksUnder(AddrRangeSeq ars)
    {
        while (true)
        {
            ulong hole = ulong.MaxValue;
            _mappingLock.EnterReadLock();
            try
            {
                foreach (AddrRange ar in ars)
                {
                    hole = FirstHoleLocked(ar.Start.Value, ar.End.Value);
                    if (hole != ulong.MaxValue)
                    {
                        break;
                    }
                }
                if (hole == ulong.MaxValue || !BelowGrowsDownLocked(hole))
                {
                    return;
                }
            }
            finally
            {
                _mappingLock.ExitReadLock();
            }
            if (GrowStackTo(Arch.PageRoundDown(hole)) is not null)
            {
                return;
            }
        }
    }

    // The first address of [start, end) in no vma, or ulong.MaxValue. Mapping lock held.
    private ulong FirstHoleLocked(ulong start, ulong end)
    {
        ulong at = start;
        for (var segment = _vmas.LowerBoundSegment(start); at < end; segment = segment.NextSegment())
        {
            if (!segment.IsValid || segment.Start > at)
            {
                return at;
            }
            at = segment.End;
        }
        return ulong.MaxValue;
    }

    // Whether `addr` lies in no vma and the vma above it grows down. Mapping lock held.
    private bool BelowGrowsDownLocked(ulong addr)
    {
        var segment = _vmas.LowerBoundSegment(addr);
        return segment.IsValid && segment.Start > addr && segment.Value.GrowsDown;
    }

    /// <summary>
    /// Runs <paramref name="copier"/> once over the blocks of every range of <paramref name="ars"/>,
    /// faulting pages in as needed (gVisor's <c>withVecInternalMappings</c>).
    /// </summary>
    private (long Count, Error? Error) TransferVec<T>(AddrRangeSeq ars, AccessType at, IOOpts opts, ref T copier)
        where T : IBlockCopier, allows ref struct
    {
        if (!CheckIORanges(ars))
        {
            return (0, Errno.EFAULT);
        }
        if (ars.NumBytes == 0)
        {
            return (0, null);
        }
        var gathered = new BlockGatherer();
        try
        {
            // Fast path: every range is covered already.
            _activeLock.EnterReadLock();
            try
            {
                if (GatherLocked(ars, at, opts.IgnorePermissions, ref gathered))
                {
                    (ulong n, Error? error) = copier.Copy(gathered.ToSeq(), 0);
                    return ((long)n, error);
                }
            }
            finally
            {
                _activeLock.ExitReadLock();
            }

            // Slow path: make pmas for every range up to the first byte that cannot have one.
            if (!opts.IgnorePermissions && !opts.Remote)
            {
                GrowStacksUnder(ars);
            }
            gathered.Clear();
            _mappingLock.EnterReadLock();
            try
            {
                long reachable = 0;
                _activeLock.EnterWriteLock();
                bool downgraded = false;
                try
                {
                    foreach (AddrRange ar in ars)
                    {
                        if (ar.Length == 0)
                        {
                            continue;
                        }
                        ulong reached = PreparePmasLocked(ar.Start.Value, ar.End.Value, at, opts.IgnorePermissions);
                        reachable += (long)(reached - ar.Start.Value);
                        if (reached < ar.End.Value)
                        {
                            break;
                        }
                    }
                    _activeLock.DowngradeToReadLock();
                    downgraded = true;

                    GatherLocked(ars.TakeFirst64(reachable), at, opts.IgnorePermissions, ref gathered);
                    ulong want = gathered.NumBytes;
                    (ulong n, Error? error) = want == 0 ? (0UL, null) : copier.Copy(gathered.ToSeq(), 0);
                    if (error is null && n == want && (long)want < ars.NumBytes)
                    {
                        error = Errno.EFAULT;
                    }
                    return ((long)n, error);
                }
                finally
                {
                    if (downgraded)
                    {
                        _activeLock.ExitReadLock();
                    }
                    else
                    {
                        _activeLock.ExitWriteLock();
                    }
                }
            }
            finally
            {
                _mappingLock.ExitReadLock();
            }
        }
        finally
        {
            gathered.Dispose();
        }
    }

    // Takes the active lock for writing, gives [start, end) pmas usable for `at` with their internal
    // mappings, and leaves the lock held for reading. Returns how far the pmas reach. Mapping lock
    // held (either mode); the caller releases the active lock's read hold.
    private ulong PreparePmas(ulong start, ulong end, AccessType at, bool ignorePermissions)
    {
        _activeLock.EnterWriteLock();
        ulong reached;
        try
        {
            reached = PreparePmasLocked(start, end, at, ignorePermissions);
        }
        catch
        {
            _activeLock.ExitWriteLock();
            throw;
        }
        _activeLock.DowngradeToReadLock();
        return reached;
    }

    // PreparePmas's work, with the active lock held for writing.
    private ulong PreparePmasLocked(ulong start, ulong end, AccessType at, bool ignorePermissions)
    {
        (ulong faultEnd, _) = FaultInLocked(Arch.PageRoundDown(start), PageRoundUpSaturating(end), at, ignorePermissions, exact: true);
        ulong reached = Math.Clamp(faultEnd, start, end);
        FillInternalMappingsLocked(start, reached);
        return reached;
    }

    private static ulong PageRoundUpSaturating(ulong x)
    {
        (ulong rounded, bool ok) = Arch.PageRoundUp(x);
        return ok ? rounded : ulong.MaxValue & ~Arch.PageMask;
    }

    // Fills the internal-mapping cache of the pmas in [start, end) that have none yet. Active lock
    // held for writing.
    private void FillInternalMappingsLocked(ulong start, ulong end)
    {
        var segment = _pmas.LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            ref Pma pma = ref segment.Value;
            if (pma.NeedsInternalMapping)
            {
                // Mapped for both reads and writes, so the cache serves every copy the pma allows;
                // a file that refuses that is mapped per copy instead.
                (BlockSeq blocks, Error? error) = segment.Length <= int.MaxValue
                    ? pma.File.MapInternal(pma.FileRangeOf(segment.Start, segment.Range), AccessType.ReadWrite)
                    : (default, Errno.EFBIG);
                if (error is null && blocks.NumBlocks == 1)
                {
                    pma.InternalMapping = blocks.Head;
                }
                else
                {
                    pma.InternalMappingUnavailable = true;
                }
            }
            segment = segment.NextSegment();
        }
    }

    [ThreadStatic]
    private static CopyHint t_copyHint;

    // The memory of [start, end) from this thread's copy hint, if the hint is this address space's,
    // current, covers the range and allows `at`. Active lock held for reading.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryHintLocked(ulong start, ulong end, AccessType at, bool ignorePermissions, out Span<byte> memory)
    {
        ref CopyHint hint = ref t_copyHint;
        if (hint.Generation == _activeLock.Generation && start >= hint.Start && end <= hint.End &&
            (ignorePermissions ? hint.MaxPerms : hint.EffectivePerms).SupersetOf(at) && !(at.Write && hint.NeedCOW))
        {
            // The hint's range is one block, so its offsets and lengths fit in an int.
            memory = hint.Mapping.AsSpan().Slice((int)(start - hint.Start), (int)(end - start));
            return true;
        }
        memory = default;
        return false;
    }

    // Makes the pma in [pmaStart, pmaEnd) this thread's copy hint. Active lock held for reading.
    private void SetHintLocked(in Pma pma, ulong pmaStart, ulong pmaEnd)
    {
        ref CopyHint hint = ref t_copyHint;
        hint.Generation = _activeLock.Generation;
        hint.Start = pmaStart;
        hint.End = pmaEnd;
        hint.Mapping = pma.InternalMapping;
        hint.EffectivePerms = pma.EffectivePerms;
        hint.MaxPerms = pma.MaxPerms;
        hint.NeedCOW = pma.NeedCOW;
    }

    // Whether a copy for `at` can go through `pma` as it is.
    private static bool UsableForCopy(in Pma pma, AccessType at, bool ignorePermissions)
    {
        AccessType allowed = ignorePermissions ? pma.MaxPerms : pma.EffectivePerms;
        return allowed.SupersetOf(at) && !(at.Write && pma.NeedCOW) && !pma.NeedsInternalMapping;
    }

    // The blocks of [addr, pieceEnd), a part of the pma that starts at `pmaStart`.
    private static (BlockSeq Blocks, Error? Error) BlocksOf(in Pma pma, ulong pmaStart, ulong addr, ulong pieceEnd, AccessType at)
    {
        if (!pma.InternalMapping.IsEmpty)
        {
            Block piece = pma.InternalMapping.DropFirst64(addr - pmaStart).TakeFirst64(pieceEnd - addr);
            return (BlockSeq.Of(piece), null);
        }
        return pma.File.MapInternal(new FileRange(pma.Offset + (addr - pmaStart), pma.Offset + (pieceEnd - pmaStart)), at);
    }

    /// <summary>
    /// Copies through existing pmas from <paramref name="start"/> until <paramref name="end"/> or the
    /// first page without a usable pma. <c>Stopped</c> is set when the copier itself stopped short.
    /// <paramref name="copierOffset"/> is where <paramref name="start"/> falls in the copier's data.
    /// </summary>
    /// <remarks>Active lock held (either mode).</remarks>
    private (ulong Done, bool Stopped, Error? Error) CopyThroughPmasLocked<T>(ulong start, ulong end, ulong copierOffset, AccessType at, bool ignorePermissions, ref T copier)
        where T : IBlockCopier, allows ref struct
    {
        ulong addr = start;
        var segment = _pmas.FindSegment(addr);
        while (addr < end && segment.IsValid && segment.Start <= addr)
        {
            ref Pma pma = ref segment.Value;
            if (!UsableForCopy(pma, at, ignorePermissions))
            {
                break;
            }
            ulong pieceEnd = Math.Min(segment.End, end);
            (BlockSeq blocks, Error? mapError) = BlocksOf(pma, segment.Start, addr, pieceEnd, at);
            if (mapError is not null)
            {
                return (addr - start, true, mapError);
            }
            if (!pma.InternalMapping.IsEmpty)
            {
                SetHintLocked(pma, segment.Start, segment.End);
            }
            ulong want = pieceEnd - addr;
            (ulong n, Error? error) = copier.Copy(blocks, copierOffset + (addr - start));
            addr += n;
            if (error is not null || n < want)
            {
                return (addr - start, true, error);
            }
            if (addr >= end)
            {
                break;
            }
            segment = segment.NextSegment();
        }
        return (addr - start, false, null);
    }

    // Adds the blocks of every range of `ars` to `gathered`, as long as existing pmas cover them
    // for `at`; returns whether they all did. Active lock held (either mode).
    private bool GatherLocked(AddrRangeSeq ars, AccessType at, bool ignorePermissions, ref BlockGatherer gathered)
    {
        foreach (AddrRange ar in ars)
        {
            ulong addr = ar.Start.Value, end = ar.End.Value;
            var segment = _pmas.FindSegment(addr);
            while (addr < end)
            {
                if (!segment.IsValid || segment.Start > addr || !UsableForCopy(segment.Value, at, ignorePermissions))
                {
                    return false;
                }
                ulong pieceEnd = Math.Min(segment.End, end);
                (BlockSeq blocks, Error? mapError) = BlocksOf(segment.Value, segment.Start, addr, pieceEnd, at);
                if (mapError is not null)
                {
                    return false;
                }
                gathered.Add(blocks);
                addr = pieceEnd;
                segment = segment.NextSegment();
            }
        }
        return true;
    }
}
