namespace Warden.HostArch;

/// <summary>The x86-64 host's memory geometry and rounding helpers on raw offsets.</summary>
public static class Arch
{
    /// <summary>log2 of <see cref="PageSize"/>.</summary>
    public const int PageShift = 12;

    /// <summary>The size of a page in bytes: 4096.</summary>
    public const int PageSize = 1 << PageShift;

    /// <summary>Bits of an address that are its offset within a page.</summary>
    public const ulong PageMask = PageSize - 1;

    /// <summary>log2 of <see cref="HugePageSize"/>.</summary>
    public const int HugePageShift = 21;

    /// <summary>The size of a huge (PMD-mapped) page in bytes: 2 MiB.</summary>
    public const int HugePageSize = 1 << HugePageShift;

    /// <summary>Bits of an address that are its offset within a huge page.</summary>
    public const ulong HugePageMask = HugePageSize - 1;

    /// <summary>
    /// x86-64 Linux's <c>TASK_SIZE</c> with 4-level page tables: the end of user address space, one
    /// page below 2^47. No mapping, and no range a system call accepts, reaches past it.
    /// </summary>
    public const ulong TaskSize = 0x7fff_ffff_f000;

    /// <summary>log2 of <see cref="CacheLineSize"/>.</summary>
    public const int CacheLineShift = 6;

    /// <summary>The size of a CPU cache line in bytes: 64.</summary>
    public const int CacheLineSize = 1 << CacheLineShift;

    /// <summary>Returns whether <paramref name="x"/> is a multiple of <see cref="PageSize"/>.</summary>
    public static bool IsPageAligned(ulong x) => (x & PageMask) == 0;

    /// <summary>Returns <paramref name="x"/> rounded down to a multiple of <see cref="PageSize"/>.</summary>
    public static ulong PageRoundDown(ulong x) => x & ~PageMask;

    /// <summary>Returns <paramref name="x"/> rounded up to a multiple of <see cref="PageSize"/>.</summary>
    /// <returns><c>Ok</c> is <c>false</c> if the result does not fit in 64 bits.</returns>
    public static (ulong Rounded, bool Ok) PageRoundUp(ulong x) => RoundUp(x, PageMask);

    /// <summary>Returns <paramref name="x"/> rounded down to a multiple of <see cref="HugePageSize"/>.</summary>
    public static ulong HugePageRoundDown(ulong x) => x & ~HugePageMask;

    /// <summary>Returns <paramref name="x"/> rounded up to a multiple of <see cref="HugePageSize"/>.</summary>
    /// <returns><c>Ok</c> is <c>false</c> if the result does not fit in 64 bits.</returns>
    public static (ulong Rounded, bool Ok) HugePageRoundUp(ulong x) => RoundUp(x, HugePageMask);

    /// <summary>Returns <paramref name="x"/> rounded up to a multiple of <see cref="CacheLineSize"/>.</summary>
    /// <returns><c>Ok</c> is <c>false</c> if the result does not fit in 64 bits.</returns>
    public static (ulong Rounded, bool Ok) CacheLineRoundUp(ulong x) => RoundUp(x, CacheLineSize - 1);

    private static (ulong Rounded, bool Ok) RoundUp(ulong x, ulong mask)
    {
        ulong rounded = (x + mask) & ~mask;
        return (rounded, rounded >= x);
    }
}
