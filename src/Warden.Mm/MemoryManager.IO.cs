using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;
using Warden.UserMem;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <inheritdoc/>
    public (int Count, Error? Error) CopyOut(IContext ctx, Addr addr, ReadOnlySpan<byte> src, IOOpts opts)
    {
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
        (ulong n, Error? copyError) = Transfer(addr + (ulong)done, (ulong)(src.Length - done), AccessType.WriteOnly, opts, ref copier);
        return (done + (int)n, copyError);
    }

    // Copies this small are tried through the platform's AddressSpaceIO first when the address
    // space is active (no internal-mapping lookup); larger ones are faster through internal mappings.
    private const int AddressSpaceIOMaxBytes = 256;

    private bool UseAddressSpaceIO(IOOpts opts, int length) =>
        opts.AddressSpaceActive && !opts.IgnorePermissions && length <= AddressSpaceIOMaxBytes && _platform.SupportsAddressSpaceIO;

    /// <inheritdoc/>
    public (int Count, Error? Error) CopyIn(IContext ctx, Addr addr, Span<byte> dst, IOOpts opts)
    {
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
        (ulong n, Error? copyError) = Transfer(addr + (ulong)done, (ulong)(dst.Length - done), AccessType.ReadOnly, opts, ref copier);
        return (done + (int)n, copyError);
    }

    /// <inheritdoc/>
    public (long Count, Error? Error) ZeroOut(IContext ctx, Addr addr, long toZero, IOOpts opts)
    {
        if (toZero < 0)
        {
            return (0, Errno.EINVAL);
        }
        var copier = new ZeroCopier();
        (ulong n, Error? error) = Transfer(addr, (ulong)toZero, AccessType.WriteOnly, opts, ref copier);
        return ((long)n, error);
    }

    /// <inheritdoc/>
    public (long Count, Error? Error) CopyOutFrom(IContext ctx, AddrRangeSeq ars, IReader src, IOOpts opts)
    {
        ArgumentNullException.ThrowIfNull(src);
        var copier = new ReaderCopier(src);
        return TransferSeq(ars, AccessType.WriteOnly, opts, ref copier);
    }

    /// <inheritdoc/>
    public (long Count, Error? Error) CopyInTo(IContext ctx, AddrRangeSeq ars, IWriter dst, IOOpts opts)
    {
        ArgumentNullException.ThrowIfNull(dst);
        var copier = new WriterCopier(dst);
        return TransferSeq(ars, AccessType.ReadOnly, opts, ref copier);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) SwapUint32(IContext ctx, Addr addr, uint newValue, IOOpts opts)
    {
        var op = new AtomicCopier(AtomicKind.Swap, newValue, 0);
        (_, Error? error) = Transfer(CheckAtomicAddress(addr), 4, AccessType.ReadWrite, opts, ref op);
        return (op.Result, error);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) CompareAndSwapUint32(IContext ctx, Addr addr, uint oldValue, uint newValue, IOOpts opts)
    {
        var op = new AtomicCopier(AtomicKind.CompareAndSwap, newValue, oldValue);
        (_, Error? error) = Transfer(CheckAtomicAddress(addr), 4, AccessType.ReadWrite, opts, ref op);
        return (op.Result, error);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) LoadUint32(IContext ctx, Addr addr, IOOpts opts)
    {
        var op = new AtomicCopier(AtomicKind.Load, 0, 0);
        (_, Error? error) = Transfer(CheckAtomicAddress(addr), 4, AccessType.ReadOnly, opts, ref op);
        return (op.Result, error);
    }

    private static Addr CheckAtomicAddress(Addr addr)
    {
        if ((addr.Value & 3) != 0)
        {
            throw new ArgumentException($"Atomic operations need a 4-byte-aligned address; got {addr}.", nameof(addr));
        }
        return addr;
    }

    private (long Count, Error? Error) TransferSeq<T>(AddrRangeSeq ars, AccessType at, IOOpts opts, ref T copier)
        where T : IBlockCopier, allows ref struct
    {
        long done = 0;
        while (!ars.IsEmpty)
        {
            AddrRange ar = ars.Head;
            ars = ars.Tail();
            if (ar.Length == 0)
            {
                continue;
            }
            (ulong n, Error? error) = Transfer(ar.Start, ar.Length, at, opts, ref copier);
            done += (long)n;
            if (error is not null)
            {
                return (done, error);
            }
            if (n < ar.Length)
            {
                return (done, null);
            }
        }
        return (done, null);
    }

    /// <summary>
    /// Runs <paramref name="copier"/> over [addr, addr + length) of application memory, faulting
    /// pages in as needed. Stops at the first byte the program may not access, with EFAULT.
    /// </summary>
    private (ulong Count, Error? Error) Transfer<T>(Addr addr, ulong length, AccessType at, IOOpts opts, ref T copier)
        where T : IBlockCopier, allows ref struct
    {
        if (length == 0)
        {
            return (0, null);
        }
        ulong start = addr.Value;
        ulong end = start + length;
        if (end < start)
        {
            // The range wraps: copy up to the top of the address space, which is never mapped.
            end = ulong.MaxValue & ~Arch.PageMask;
        }

        // Fast path: pmas already cover the range for this access.
        ulong done;
        bool stopped;
        Error? error;
        _activeLock.EnterReadLock();
        try
        {
            (done, stopped, error) = CopyThroughPmasLocked(start, end, 0, at, opts.IgnorePermissions, ref copier);
        }
        finally
        {
            _activeLock.ExitReadLock();
        }
        if (error is not null || stopped || start + done >= end)
        {
            return (done, error);
        }

        // Slow path: fault the rest in, then copy.
        _mappingLock.EnterReadLock();
        try
        {
            _activeLock.EnterWriteLock();
            try
            {
                ulong from = start + done;
                (ulong faultEnd, _) = FaultInLocked(
                    Arch.PageRoundDown(from), PageRoundUpSaturating(end), at, opts.IgnorePermissions);
                ulong copyEnd = Math.Min(faultEnd, end);
                if (copyEnd > from)
                {
                    (ulong n, _, Error? copyError) = CopyThroughPmasLocked(from, copyEnd, done, at, opts.IgnorePermissions, ref copier);
                    done += n;
                    if (copyError is not null || from + n < copyEnd)
                    {
                        return (done, copyError);
                    }
                }
                if (start + done < end)
                {
                    // As in Linux's copy_to_user/copy_from_user, any failure to reach memory
                    // (no mapping, no permission, a bus error, no memory) is EFAULT to the caller.
                    return (done, Errno.EFAULT);
                }
                return (done, null);
            }
            finally
            {
                _activeLock.ExitWriteLock();
            }
        }
        finally
        {
            _mappingLock.ExitReadLock();
        }
    }

    private static ulong PageRoundUpSaturating(ulong x)
    {
        (ulong rounded, bool ok) = Arch.PageRoundUp(x);
        return ok ? rounded : ulong.MaxValue & ~Arch.PageMask;
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
            AccessType allowed = ignorePermissions ? pma.MaxPerms : pma.EffectivePerms;
            if (!allowed.SupersetOf(at) || (at.Write && pma.NeedCOW))
            {
                break;
            }
            ulong pieceEnd = Math.Min(segment.End, end);
            var fr = new FileRange(pma.Offset + (addr - segment.Start), pma.Offset + (pieceEnd - segment.Start));
            (BlockSeq blocks, Error? mapError) = pma.File.MapInternal(fr, at);
            if (mapError is not null)
            {
                return (addr - start, true, mapError);
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
}
