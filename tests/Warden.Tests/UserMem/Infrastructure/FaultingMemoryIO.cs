using System.Buffers.Binary;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;
using Warden.UserMem;

namespace Warden.Tests.UserMem.Infrastructure;

/// <summary>Which <see cref="IMemoryIO"/> method a <see cref="MemoryIOCall"/> records.</summary>
public enum MemoryIOOp
{
    CopyIn,
    CopyOut,
    ZeroOut,
    CopyInTo,
    CopyOutFrom,
    SwapUint32,
    CompareAndSwapUint32,
    LoadUint32,
}

/// <summary>
/// One call made to a <see cref="FaultingMemoryIO"/>: the operation, its address, the bytes asked
/// for (for CopyInTo/CopyOutFrom, <c>ars.NumBytes</c> from the first range's start; for atomics, 4),
/// and the options and context it was given.
/// </summary>
public readonly record struct MemoryIOCall(MemoryIOOp Op, Addr Addr, long Length, IOOpts Opts, IContext Ctx)
{
    /// <summary>The first address past the bytes asked for, or <c>null</c> if that is 2^64 or beyond.</summary>
    public ulong? End
    {
        get
        {
            ulong end = unchecked(Addr.Value + (ulong)Length);
            return end < Addr.Value ? null : end;
        }
    }

    /// <summary>Whether any byte asked for lies in <c>[start, end)</c>.</summary>
    public bool Touches(ulong start, ulong end)
    {
        if (Length == 0)
        {
            return false;
        }
        ulong last = End is ulong e ? e - 1 : ulong.MaxValue;
        return Addr.Value < end && last >= start;
    }

    /// <summary>Whether every byte asked for lies in one 4 KiB page.</summary>
    public bool WithinOnePage =>
        Length == 0 || (Addr.Value & ~(ulong)(Arch.PageSize - 1)) == ((End is ulong e ? e - 1 : ulong.MaxValue) & ~(ulong)(Arch.PageSize - 1));
}

/// <summary>
/// A sparse 64-bit address space of 4 KiB pages, only some of which are mapped, that faults the way
/// a memory manager does: a transfer copies page by page up to the first unmapped byte and returns
/// the count with <see cref="FaultError"/> (EFAULT unless a test says otherwise). Every call is
/// recorded (address, length, options, context) so tests can check what was touched.
/// </summary>
/// <remarks>
/// The top of the address space is handled without wrapping: a transfer that would run past
/// 2^64 - 1 copies up to it and then reports EFAULT. Not thread-safe.
/// </remarks>
public sealed class FaultingMemoryIO : IMemoryIO
{
    private const int PageSize = Arch.PageSize;
    private const ulong PageMask = PageSize - 1;

    private readonly Dictionary<ulong, byte[]> _pages = [];
    private readonly List<MemoryIOCall> _calls = [];

    /// <summary>The error reported at the first unmapped byte.</summary>
    public Error FaultError { get; set; } = Errno.EFAULT;

    /// <summary>Every call made so far, oldest first.</summary>
    public IReadOnlyList<MemoryIOCall> Calls => _calls;

    /// <summary>The calls of kind <paramref name="op"/>.</summary>
    public List<MemoryIOCall> CallsOf(MemoryIOOp op) => _calls.FindAll(c => c.Op == op);

    /// <summary>Forgets the calls recorded so far.</summary>
    public void ClearCalls() => _calls.Clear();

    /// <summary>Maps <paramref name="count"/> zero-filled pages from the page-aligned <paramref name="start"/>.</summary>
    public FaultingMemoryIO Map(ulong start, int count = 1)
    {
        if ((start & PageMask) != 0)
        {
            throw new ArgumentException("start must be page-aligned", nameof(start));
        }
        for (int i = 0; i < count; i++)
        {
            _pages[start + ((ulong)i * PageSize)] = PinnedArrays.Allocate(PageSize);
        }
        return this;
    }

    /// <summary>Unmaps <paramref name="count"/> pages from the page-aligned <paramref name="start"/>.</summary>
    public void Unmap(ulong start, int count = 1)
    {
        for (int i = 0; i < count; i++)
        {
            _pages.Remove(start + ((ulong)i * PageSize));
        }
    }

    /// <summary>Whether the page holding <paramref name="addr"/> is mapped.</summary>
    public bool IsMapped(ulong addr) => _pages.ContainsKey(addr & ~PageMask);

    /// <summary>Writes <paramref name="data"/> at <paramref name="addr"/> directly (not recorded); every byte must be mapped.</summary>
    public void Poke(ulong addr, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            ulong a = addr + (ulong)i;
            _pages[a & ~PageMask][(int)(a & PageMask)] = data[i];
        }
    }

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="addr"/> directly (not recorded); every byte must be mapped.</summary>
    public byte[] Peek(ulong addr, int length)
    {
        byte[] result = new byte[length];
        for (int i = 0; i < length; i++)
        {
            ulong a = addr + (ulong)i;
            result[i] = _pages[a & ~PageMask][(int)(a & PageMask)];
        }
        return result;
    }

    /// <inheritdoc/>
    public (int Count, Error? Error) CopyOut(IContext ctx, Addr addr, ReadOnlySpan<byte> src, IOOpts opts)
    {
        _calls.Add(new MemoryIOCall(MemoryIOOp.CopyOut, addr, src.Length, opts, ctx));
        (long n, Error? error) = Walk(addr.Value, src.Length, default, src, WalkMode.CopyOut);
        return ((int)n, error);
    }

    /// <inheritdoc/>
    public (int Count, Error? Error) CopyIn(IContext ctx, Addr addr, Span<byte> dst, IOOpts opts)
    {
        _calls.Add(new MemoryIOCall(MemoryIOOp.CopyIn, addr, dst.Length, opts, ctx));
        (long n, Error? error) = Walk(addr.Value, dst.Length, dst, default, WalkMode.CopyIn);
        return ((int)n, error);
    }

    /// <inheritdoc/>
    public (long Count, Error? Error) ZeroOut(IContext ctx, Addr addr, long toZero, IOOpts opts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(toZero);
        _calls.Add(new MemoryIOCall(MemoryIOOp.ZeroOut, addr, toZero, opts, ctx));
        return Walk(addr.Value, toZero, default, default, WalkMode.Zero);
    }

    /// <inheritdoc/>
    public (long Count, Error? Error) CopyOutFrom(IContext ctx, AddrRangeSeq ars, IReader src, IOOpts opts)
    {
        _calls.Add(new MemoryIOCall(MemoryIOOp.CopyOutFrom, ars.IsEmpty ? Addr.Zero : ars.Head.Start, ars.NumBytes, opts, ctx));
        (BlockSeq blocks, Error? rangeError) = Blocks(ars);
        (ulong n, Error? error) = src.ReadToBlocks(blocks);
        return ((long)n, error ?? rangeError);
    }

    /// <inheritdoc/>
    public (long Count, Error? Error) CopyInTo(IContext ctx, AddrRangeSeq ars, IWriter dst, IOOpts opts)
    {
        _calls.Add(new MemoryIOCall(MemoryIOOp.CopyInTo, ars.IsEmpty ? Addr.Zero : ars.Head.Start, ars.NumBytes, opts, ctx));
        (BlockSeq blocks, Error? rangeError) = Blocks(ars);
        (ulong n, Error? error) = dst.WriteFromBlocks(blocks);
        return ((long)n, error ?? rangeError);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) SwapUint32(IContext ctx, Addr addr, uint newValue, IOOpts opts)
    {
        _calls.Add(new MemoryIOCall(MemoryIOOp.SwapUint32, addr, 4, opts, ctx));
        if (!TryWord(addr, out Span<byte> word))
        {
            return (0, FaultError);
        }
        uint old = BinaryPrimitives.ReadUInt32LittleEndian(word);
        BinaryPrimitives.WriteUInt32LittleEndian(word, newValue);
        return (old, null);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) CompareAndSwapUint32(IContext ctx, Addr addr, uint oldValue, uint newValue, IOOpts opts)
    {
        _calls.Add(new MemoryIOCall(MemoryIOOp.CompareAndSwapUint32, addr, 4, opts, ctx));
        if (!TryWord(addr, out Span<byte> word))
        {
            return (0, FaultError);
        }
        uint found = BinaryPrimitives.ReadUInt32LittleEndian(word);
        if (found == oldValue)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(word, newValue);
        }
        return (found, null);
    }

    /// <inheritdoc/>
    public (uint Value, Error? Error) LoadUint32(IContext ctx, Addr addr, IOOpts opts)
    {
        _calls.Add(new MemoryIOCall(MemoryIOOp.LoadUint32, addr, 4, opts, ctx));
        return TryWord(addr, out Span<byte> word) ? (BinaryPrimitives.ReadUInt32LittleEndian(word), null) : (0, FaultError);
    }

    // Copies (or zeroes) length bytes at addr page by page, stopping at the first unmapped page or
    // at the top of the address space.
    private (long Count, Error? Error) Walk(ulong addr, long length, Span<byte> dst, ReadOnlySpan<byte> src, WalkMode mode)
    {
        long done = 0;
        ulong cur = addr;
        while (done < length)
        {
            if (!_pages.TryGetValue(cur & ~PageMask, out byte[]? page))
            {
                return (done, FaultError);
            }
            int offset = (int)(cur & PageMask);
            int chunk = (int)Math.Min(length - done, PageSize - offset);
            switch (mode)
            {
                case WalkMode.Zero:
                    page.AsSpan(offset, chunk).Clear();
                    break;
                case WalkMode.CopyOut:
                    src.Slice((int)done, chunk).CopyTo(page.AsSpan(offset, chunk));
                    break;
                default:
                    page.AsSpan(offset, chunk).CopyTo(dst.Slice((int)done, chunk));
                    break;
            }
            done += chunk;
            if (done < length)
            {
                ulong next = cur + (ulong)chunk;
                if (next < cur)
                {
                    // The rest would lie beyond 2^64 - 1: nothing is mapped there.
                    return (done, Errno.EFAULT);
                }
                cur = next;
            }
        }
        return (done, null);
    }

    private (BlockSeq Blocks, Error? Error) Blocks(AddrRangeSeq ars)
    {
        var blocks = new List<Block>();
        foreach (AddrRange range in ars)
        {
            ulong cur = range.Start.Value;
            ulong left = range.Length;
            while (left > 0)
            {
                if (!_pages.TryGetValue(cur & ~PageMask, out byte[]? page))
                {
                    return (BlockSeq.FromArray([.. blocks]), FaultError);
                }
                int offset = (int)(cur & PageMask);
                int chunk = (int)Math.Min(left, (ulong)(PageSize - offset));
                blocks.Add(Block.FromPinnedArray(page, offset, chunk));
                left -= (ulong)chunk;
                cur += (ulong)chunk;
            }
        }
        return (BlockSeq.FromArray([.. blocks]), null);
    }

    private enum WalkMode
    {
        CopyIn,
        CopyOut,
        Zero,
    }

    private bool TryWord(Addr addr, out Span<byte> word)
    {
        if ((addr.Value & 3) != 0)
        {
            throw new ArgumentException("unaligned", nameof(addr));
        }
        if (!_pages.TryGetValue(addr.Value & ~PageMask, out byte[]? page))
        {
            word = default;
            return false;
        }
        word = page.AsSpan((int)(addr.Value & PageMask), 4);
        return true;
    }
}
