using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.RangeMap;
using Warden.SafeMem;

namespace Warden.Platforms.SoftMmu;

// IAddressSpaceIO: copies through the blocks IFile.MapInternal gives for the mapped file ranges.
public sealed partial class SoftMmuAddressSpace
{
    // The most one MapInternal call is asked for, so that block lengths stay well inside int.
    private const ulong MaxChunk = 1UL << 30;

    /// <inheritdoc/>
    /// <remarks>
    /// Walks the mappings from <paramref name="addr"/>, stopping at the first page that is unmapped or
    /// not writable with a <see cref="SegmentationFault"/> at the first byte not copied; an error from
    /// <see cref="Warden.MemMap.IFile.MapInternal"/> is returned as is. A range that would pass the top
    /// of the address space faults where the mappable addresses end; it never wraps. A zero-length copy
    /// returns <c>(0, null)</c>. Throws <see cref="ObjectDisposedException"/> after <see cref="Release"/>.
    /// </remarks>
    public (int Count, Error? Error) CopyOut(Addr addr, ReadOnlySpan<byte> src)
    {
        if (!_supportsIO)
        {
            return (0, PlatformErrors.AddressSpaceIOUnavailable);
        }
        if (src.IsEmpty)
        {
            return (0, null);
        }
        var visitor = new CopyOutVisitor(src);
        (ulong count, Error? error) = Walk(addr, (ulong)src.Length, AccessType.WriteOnly, ref visitor);
        return ((int)count, error);
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="CopyOut"/>, for pages that allow reading.</remarks>
    public (int Count, Error? Error) CopyIn(Addr addr, Span<byte> dst)
    {
        if (!_supportsIO)
        {
            return (0, PlatformErrors.AddressSpaceIOUnavailable);
        }
        if (dst.IsEmpty)
        {
            return (0, null);
        }
        var visitor = new CopyInVisitor(dst);
        (ulong count, Error? error) = Walk(addr, (ulong)dst.Length, AccessType.ReadOnly, ref visitor);
        return ((int)count, error);
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="CopyOut"/>, for pages that allow writing.</remarks>
    public (ulong Count, Error? Error) ZeroOut(Addr addr, ulong toZero)
    {
        if (!_supportsIO)
        {
            return (0, PlatformErrors.AddressSpaceIOUnavailable);
        }
        if (toZero == 0)
        {
            return (0, null);
        }
        var visitor = new ZeroVisitor();
        return Walk(addr, toZero, AccessType.WriteOnly, ref visitor);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Needs a page that allows reading and writing, else a <see cref="SegmentationFault"/> at
    /// <paramref name="addr"/>. <b>Precondition:</b> <paramref name="addr"/> is a multiple of 4 (else
    /// <see cref="ArgumentException"/>).
    /// </remarks>
    public (uint Value, Error? Error) SwapUint32(Addr addr, uint newValue) => Atomic(addr, AtomicKind.Swap, 0, newValue);

    /// <inheritdoc/>
    /// <remarks>As <see cref="SwapUint32"/>.</remarks>
    public (uint Value, Error? Error) CompareAndSwapUint32(Addr addr, uint oldValue, uint newValue) =>
        Atomic(addr, AtomicKind.CompareAndSwap, oldValue, newValue);

    /// <inheritdoc/>
    /// <remarks>As <see cref="SwapUint32"/>, but needs only a page that allows reading.</remarks>
    public (uint Value, Error? Error) LoadUint32(Addr addr) => Atomic(addr, AtomicKind.Load, 0, 0);

    private (ulong Count, Error? Error) Walk<TVisitor>(Addr addr, ulong length, AccessType at, ref TVisitor visitor)
        where TVisitor : IChunkVisitor, allows ref struct
    {
        _lock.EnterReadLock();
        try
        {
            ThrowIfReleasedLocked();
            return WalkLocked(addr.Value, length, at, ref visitor);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    // Every mapping ends at or below MaxUserAddress, which is at most 2^64 - 4096, so cur never wraps:
    // a range that would pass the top of the address space meets a gap first and faults there.
    private (ulong Count, Error? Error) WalkLocked<TVisitor>(ulong addr, ulong length, AccessType at, ref TVisitor visitor)
        where TVisitor : IChunkVisitor, allows ref struct
    {
        ulong done = 0;
        ulong cur = addr;
        RangeMap<AddrRange, PageTableEntry, PageTableOps>.Segment seg = _pageTable.FindSegment(cur);
        while (done < length)
        {
            if (!seg.IsValid || seg.Start > cur)
            {
                return (done, new SegmentationFault(new Addr(cur)));
            }
            PageTableEntry entry = seg.Value;
            if (!entry.Perms.SupersetOf(at))
            {
                return (done, new SegmentationFault(new Addr(cur)));
            }
            ulong n = Math.Min(Math.Min(seg.End - cur, length - done), MaxChunk);
            ulong offset = entry.Offset + (cur - seg.Start);
            (BlockSeq blocks, Error? error) = entry.File.MapInternal(new FileRange(offset, offset + n), at);
            if (error is not null)
            {
                return (done, error);
            }
            visitor.Visit(blocks, done);
            done += n;
            cur += n;
            if (cur == seg.End)
            {
                seg = seg.NextSegment();
            }
        }
        return (done, null);
    }

    private (uint Value, Error? Error) Atomic(Addr addr, AtomicKind op, uint oldValue, uint newValue)
    {
        if ((addr.Value & (sizeof(uint) - 1)) != 0)
        {
            ThrowHelper.ThrowArgument(nameof(addr), "A 32-bit atomic access needs a 4-byte-aligned address, not {0}.", addr);
        }
        if (!_supportsIO)
        {
            return (0, PlatformErrors.AddressSpaceIOUnavailable);
        }
        AccessType at = op == AtomicKind.Load ? AccessType.ReadOnly : AccessType.ReadWrite;
        _lock.EnterReadLock();
        try
        {
            ThrowIfReleasedLocked();
            // An aligned word never crosses a page, so one run holds all of it.
            RangeMap<AddrRange, PageTableEntry, PageTableOps>.Segment seg = _pageTable.FindSegment(addr.Value);
            if (!seg.IsValid || !seg.Value.Perms.SupersetOf(at))
            {
                return (0, new SegmentationFault(addr));
            }
            PageTableEntry entry = seg.Value;
            ulong offset = entry.Offset + (addr.Value - seg.Start);
            (BlockSeq blocks, Error? error) = entry.File.MapInternal(new FileRange(offset, offset + sizeof(uint)), at);
            if (error is not null)
            {
                return (0, error);
            }
            return (BlockAtomics.Apply(blocks.Head, op, oldValue, newValue), null);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    // What a walk does with the blocks of each mapped piece; a ref struct so that spans ride along
    // without allocation, and a generic argument so that each walk is specialised.
    private interface IChunkVisitor
    {
        // blocks: the memory of the next piece; done: the bytes of the request handled before it.
        void Visit(BlockSeq blocks, ulong done);
    }

    private ref struct CopyInVisitor : IChunkVisitor
    {
        private readonly Span<byte> _dst;

        public CopyInVisitor(Span<byte> dst) => _dst = dst;

        public readonly void Visit(BlockSeq blocks, ulong done) => BlockCopy.CopyToSpan(blocks, _dst[(int)done..]);
    }

    private ref struct CopyOutVisitor : IChunkVisitor
    {
        private readonly ReadOnlySpan<byte> _src;

        public CopyOutVisitor(ReadOnlySpan<byte> src) => _src = src;

        public readonly void Visit(BlockSeq blocks, ulong done) => BlockCopy.CopyFromSpan(blocks, _src[(int)done..]);
    }

    private struct ZeroVisitor : IChunkVisitor
    {
        public readonly void Visit(BlockSeq blocks, ulong done) => BlockCopy.ZeroSeq(blocks);
    }
}
