using Warden.Errors;
using Warden.HostArch;
using VmaMapGap = Warden.RangeMap.RangeMap<Warden.HostArch.AddrRange, Warden.Mm.Vma, Warden.Mm.VmaOps>.Gap;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    // MAP_32BIT places mappings in the second GiB, as x86-64 Linux does.
    private const ulong Map32BitStart = 0x4000_0000;
    private const ulong Map32BitEnd = 0x8000_0000;

    // x86-64's transparent huge page (a PMD): what large anonymous mappings are aligned to and MADV_COLLAPSE makes.
    private const ulong HugePageSize = 2UL << 20;

    /// <summary>
    /// Chooses where a new mapping of <paramref name="length"/> bytes goes, as x86-64 Linux's
    /// get_unmapped_area does: a usable hint (rounded down to a page; with MAP_32BIT, one that ends
    /// below 2 GiB) wins, else the highest fitting gap below the top-down base, else the lowest one
    /// above the bottom-up base.
    /// </summary>
    /// <remarks>Mapping lock held.</remarks>
    private (ulong Addr, Error? Error) FindAvailableLocked(ulong hint, ulong length, bool map32Bit)
    {
        if (length > _layout.MaxAddress - _layout.MinAddress)
        {
            return (0, Errno.ENOMEM);
        }
        hint = Arch.PageRoundDown(hint);
        if (HintFitsLocked(hint, length, map32Bit))
        {
            return (hint, null);
        }
        if (map32Bit)
        {
            return SearchBottomUp(Math.Max(Map32BitStart, _layout.MinAddress), Math.Min(Map32BitEnd, _layout.MaxAddress), length);
        }
        if (_layout.DefaultDirection == MmapDirection.TopDown)
        {
            (ulong addr, Error? error) = SearchTopDown(_layout.MinAddress, _layout.TopDownBase, length);
            if (error is null)
            {
                return (addr, null);
            }
        }
        return SearchBottomUp(_layout.BottomUpBase, _layout.MaxAddress, length);
    }

    // Whether a new mapping can take the page-aligned hint. With MAP_32BIT the hint must also end
    // below the 32-bit window's top, as on x86-64 Linux, where the window bounds the hint check too.
    // A hint is tried down to vm.mmap_min_addr (FixedMinAddress): mmap has raised one below the
    // search's minimum already (round_hint_to_min), mremap's MREMAP_DONTUNMAP hint is taken as it
    // is. Mapping lock held.
    private bool HintFitsLocked(ulong hint, ulong length, bool map32Bit)
    {
        ulong hintLimit = map32Bit ? Math.Min(Map32BitEnd, _layout.MaxAddress) : _layout.MaxAddress;
        return hint != 0 && hint >= FixedMinAddress && length <= hintLimit && hint <= hintLimit - length && IsFreeForNewMapping(hint, hint + length);
    }

    // Whether [start, end) overlaps no vma and no guard gap below a grows-down vma.
    private bool IsFreeForNewMapping(ulong start, ulong end)
    {
        var next = _vmas.LowerBoundSegment(start);
        return !next.IsValid || end <= StartGap(next.Value, next.Start);
    }

    // The highest `length`-byte hole in [low, high), placed at the top of its gap, chosen as Linux's
    // unmapped_area_topdown chooses: the highest gap whose part in [low, high) has room is taken,
    // unless the vma above it grows down and its guard gap reaches into that part; then the search
    // starts again below the guard gap's start, so that it passes over every gap between there and
    // the grows-down vma, even one with room outside the guard gap.
    private (ulong Addr, Error? Error) SearchTopDown(ulong low, ulong high, ulong length)
    {
        while (high > low && high - low >= length)
        {
            var gap = _vmas.UpperBoundGap(high - 1);
            bool found = false;
            while (gap.IsValid)
            {
                ulong gapStart = Math.Max(gap.Start, low), gapEnd = Math.Min(gap.End, high);
                if (gapEnd > gapStart && gapEnd - gapStart >= length)
                {
                    found = true;
                    break;
                }
                if (gap.Start <= low)
                {
                    break;
                }
                gap = gap.PrevLargeEnoughGap(length);
            }
            if (!found)
            {
                break;
            }
            ulong end = Math.Min(gap.End, high);
            var next = gap.NextSegment();
            if (next.IsValid && next.Value.GrowsDown && StartGap(next.Value, next.Start) < end)
            {
                high = StartGap(next.Value, next.Start);
                continue;
            }
            return (end - length, null);
        }
        return (0, Errno.ENOMEM);
    }

    // The lowest `length`-byte hole in [low, high).
    private (ulong Addr, Error? Error) SearchBottomUp(ulong low, ulong high, ulong length)
    {
        if (high <= low || high - low < length)
        {
            return (0, Errno.ENOMEM);
        }
        var gap = _vmas.LowerBoundGap(low);
        while (gap.IsValid && gap.Start < high)
        {
            (ulong gapStart, ulong gapEnd) = UsableGap(gap, low, high);
            if (gapEnd > gapStart && gapEnd - gapStart >= length)
            {
                return (gapStart, null);
            }
            gap = gap.NextLargeEnoughGap(length);
        }
        return (0, Errno.ENOMEM);
    }

    // The part of `gap` inside [low, high) that a new mapping may use: short of the guard gap below
    // a grows-down vma after it.
    private (ulong Start, ulong End) UsableGap(VmaMapGap gap, ulong low, ulong high)
    {
        ulong end = Math.Min(gap.End, high);
        var next = gap.NextSegment();
        if (next.IsValid)
        {
            end = Math.Min(end, StartGap(next.Value, next.Start));
        }
        return (Math.Max(gap.Start, low), end);
    }
}
