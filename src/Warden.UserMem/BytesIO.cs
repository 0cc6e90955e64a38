using System.Diagnostics.CodeAnalysis;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;

namespace Warden.UserMem;

/// <summary>
/// An <see cref="IMemoryIO"/> over a byte buffer: addresses are offsets into <see cref="Bytes"/>,
/// and access beyond its end is <see cref="Errno.EFAULT"/> (with the count that fitted).
/// </summary>
/// <remarks>
/// The buffer is allocated on the pinned object heap (<see cref="PinnedArrays"/>) so that
/// <see cref="CopyInTo"/> and <see cref="CopyOutFrom"/> can hand blocks over it to readers and
/// writers. <see cref="IOOpts"/> have no effect. Safe for concurrent use to the extent the callers'
/// byte ranges do not overlap (the atomics are atomic).
/// </remarks>
public sealed class BytesIO : IMemoryIO
{
    private readonly Block _all;

    /// <summary>Creates a zero-filled buffer of <paramref name="length"/> bytes.</summary>
    public BytesIO(int length)
    {
        Bytes = PinnedArrays.Allocate(length);
        _all = Block.FromPinnedArray(Bytes);
    }

    /// <summary>Creates a buffer holding a copy of <paramref name="contents"/>.</summary>
    public BytesIO(ReadOnlySpan<byte> contents)
    {
        Bytes = PinnedArrays.CopyOf(contents);
        _all = Block.FromPinnedArray(Bytes);
    }

    /// <summary>The buffer; callers may read and write it directly.</summary>
    public byte[] Bytes { get; }

    /// <inheritdoc/>
    public (int Count, Error? Error) CopyOut(IContext ctx, Addr addr, ReadOnlySpan<byte> src, IOOpts opts)
    {
        (long n, Errno? error) = RangeCheck(addr, src.Length);
        if (n == 0)
        {
            return (0, error);
        }
        src[..(int)n].CopyTo(Bytes.AsSpan((int)addr.Value));
        return ((int)n, error);
    }

    /// <inheritdoc/>
    public (int Count, Error? Error) CopyIn(IContext ctx, Addr addr, Span<byte> dst, IOOpts opts)
    {
        (long n, Errno? error) = RangeCheck(addr, dst.Length);
        if (n == 0)
        {
            return (0, error);
        }
        Bytes.AsSpan((int)addr.Value, (int)n).CopyTo(dst);
        return ((int)n, error);
    }

    /// <inheritdoc/>
    /// <remarks>More than <see cref="int.MaxValue"/> bytes is <see cref="Errno.EINVAL"/>, as no buffer is that long.</remarks>
    public (long Count, Error? Error) ZeroOut(IContext ctx, Addr addr, long toZero, IOOpts opts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(toZero);
        (long n, Errno? error) = RangeCheck(addr, toZero);
        if (n == 0)
        {
            return (0, error);
        }
        Bytes.AsSpan((int)addr.Value, (int)n).Clear();
        return (n, error);
    }

    /// <inheritdoc/>
    public (long Count, Error? Error) CopyOutFrom(IContext ctx, AddrRangeSeq ars, IReader src, IOOpts opts)
    {
        ArgumentNullException.ThrowIfNull(src);
        (BlockSeq dsts, Errno? rangeError) = BlocksFromAddrRanges(ars);
        (ulong n, Error? error) = src.ReadToBlocks(dsts);
        return ((long)n, error ?? rangeError);
    }

    /// <inheritdoc/>
    public (long Count, Error? Error) CopyInTo(IContext ctx, AddrRangeSeq ars, IWriter dst, IOOpts opts)
    {
        ArgumentNullException.ThrowIfNull(dst);
        (BlockSeq srcs, Errno? rangeError) = BlocksFromAddrRanges(ars);
        (ulong n, Error? error) = dst.WriteFromBlocks(srcs);
        return ((long)n, error ?? rangeError);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) SwapUint32(IContext ctx, Addr addr, uint newValue, IOOpts opts)
    {
        if (!TryWord(addr, out Block word, out Errno? error))
        {
            return (0, error);
        }
        return (BlockAtomics.SwapUint32(word, newValue), null);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) CompareAndSwapUint32(IContext ctx, Addr addr, uint oldValue, uint newValue, IOOpts opts)
    {
        if (!TryWord(addr, out Block word, out Errno? error))
        {
            return (0, error);
        }
        return (BlockAtomics.CompareAndSwapUint32(word, oldValue, newValue), null);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) LoadUint32(IContext ctx, Addr addr, IOOpts opts)
    {
        if (!TryWord(addr, out Block word, out Errno? error))
        {
            return (0, error);
        }
        return (BlockAtomics.LoadUint32(word), null);
    }

    /// <summary>
    /// Returns how many of the <paramref name="length"/> bytes at <paramref name="addr"/> lie in the
    /// buffer, with <see cref="Errno.EFAULT"/> if not all of them do.
    /// </summary>
    private (long Count, Errno? Error) RangeCheck(Addr addr, long length)
    {
        if (length == 0)
        {
            return (0, null);
        }
        ulong size = (ulong)Bytes.Length;
        if (addr.Value >= size)
        {
            return (0, Errno.EFAULT);
        }
        // Comparing with the room left (rather than computing addr + length) cannot overflow.
        ulong room = size - addr.Value;
        if ((ulong)length > room)
        {
            return ((long)room, Errno.EFAULT);
        }
        return (length, null);
    }

    private (BlockSeq Blocks, Errno? Error) BlocksFromAddrRanges(AddrRangeSeq ars)
    {
        if (ars.NumRanges <= 1)
        {
            if (ars.IsEmpty)
            {
                return (BlockSeq.Empty, null);
            }
            (Block block, Errno? error) = BlockFromAddrRange(ars.Head);
            return (BlockSeq.Of(block), error);
        }
        var blocks = new Block[ars.NumRanges];
        int count = 0;
        foreach (AddrRange range in ars)
        {
            (Block block, Errno? error) = BlockFromAddrRange(range);
            blocks[count++] = block;
            if (error is not null)
            {
                return (BlockSeq.FromArray(blocks, 0, count), error);
            }
        }
        return (BlockSeq.FromArray(blocks, 0, count), null);
    }

    private (Block Block, Errno? Error) BlockFromAddrRange(AddrRange range)
    {
        (long n, Errno? error) = RangeCheck(range.Start, (long)range.Length);
        if (n == 0)
        {
            return (default, error);
        }
        return (_all.DropFirst64(range.Start.Value).TakeFirst64((ulong)n), error);
    }

    private bool TryWord(Addr addr, out Block word, [NotNullWhen(false)] out Errno? error)
    {
        if ((addr.Value & (sizeof(uint) - 1)) != 0)
        {
            ThrowUnaligned(addr);
        }
        (_, error) = RangeCheck(addr, sizeof(uint));
        word = error is null ? _all.DropFirst64(addr.Value) : default;
        return error is null;
    }

    [DoesNotReturn]
    private static void ThrowUnaligned(Addr addr) =>
        ThrowHelper.ThrowArgument(nameof(addr), "Atomic 32-bit access needs a 4-byte-aligned address; got {0}.", addr);
}
