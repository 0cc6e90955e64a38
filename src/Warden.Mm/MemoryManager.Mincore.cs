using Warden.Errors;
using Warden.HostArch;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// mincore(2): sets byte i of <paramref name="vector"/> to 1 when page i of the range has memory
    /// behind it, else 0.
    /// </summary>
    /// <remarks>
    /// <b>Preconditions:</b> <paramref name="vector"/> holds at least one byte per page of the range
    /// (ArgumentException). EINVAL for an unaligned address; ENOMEM when part of the range is unmapped
    /// or it passes the end of the address space.
    /// </remarks>
    public Error? Mincore(Addr addr, ulong length, Span<byte> vector)
    {
        if (!addr.IsPageAligned)
        {
            return Errno.EINVAL;
        }
        (ulong rounded, bool ok) = Arch.PageRoundUp(length);
        ulong start = addr.Value;
        ulong end = start + rounded;
        if (!ok || end < start || end > _layout.MaxAddress)
        {
            return Errno.ENOMEM;
        }
        ulong pages = rounded / Arch.PageSize;
        if ((ulong)vector.Length < pages)
        {
            ThrowHelper.ThrowArgument(nameof(vector), "The vector needs {0} bytes for a range of {1} bytes; it has {2}.", pages, rounded, vector.Length);
        }
        _mappingLock.EnterReadLock();
        try
        {
            if (MappedBytesLocked(start, end) != rounded)
            {
                return Errno.ENOMEM;
            }
            FillMincoreLocked(start, end, vector);
            return null;
        }
        finally
        {
            _mappingLock.ExitReadLock();
        }
    }

    /// <summary>
    /// mincore(2)'s work for one vma, as Linux's do_mincore: fills <paramref name="vector"/> for the
    /// pages from <paramref name="start"/> to the end of the vma holding it (at most one byte per
    /// element of <paramref name="vector"/>) and returns how many it filled; ENOMEM when no vma
    /// holds <paramref name="start"/>.
    /// </summary>
    internal (int Pages, Error? Error) MincoreVma(ulong start, Span<byte> vector)
    {
        _mappingLock.EnterReadLock();
        try
        {
            var vma = _vmas.LowerBoundSegment(start);
            if (!vma.IsValid || vma.Start > start)
            {
                return (0, Errno.ENOMEM);
            }
            ulong end = Math.Min(vma.End, start + ((ulong)vector.Length * Arch.PageSize));
            FillMincoreLocked(start, end, vector);
            return ((int)((end - start) / Arch.PageSize), null);
        }
        finally
        {
            _mappingLock.ExitReadLock();
        }
    }

    // Sets a byte of `vector` per page of [start, end): 1 where memory is behind it. Mapping lock held.
    private void FillMincoreLocked(ulong start, ulong end, Span<byte> vector)
    {
        _activeLock.EnterReadLock();
        try
        {
            vector[..(int)((end - start) / Arch.PageSize)].Clear();
            var segment = _pmas.LowerBoundSegment(start);
            while (segment.IsValid && segment.Start < end)
            {
                ulong s = Math.Max(segment.Start, start), e = Math.Min(segment.End, end);
                vector[(int)((s - start) / Arch.PageSize)..(int)((e - start) / Arch.PageSize)].Fill(1);
                segment = segment.NextSegment();
            }
        }
        finally
        {
            _activeLock.ExitReadLock();
        }
    }
}
