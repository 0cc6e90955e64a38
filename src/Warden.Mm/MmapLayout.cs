using Warden.Errors;
using Warden.HostArch;

namespace Warden.Mm;

/// <summary>
/// Where an address space's mappings go: the usable range of addresses and the bases of the two
/// mmap search directions, as Linux's arch_pick_mmap_layout chooses them.
/// </summary>
/// <remarks>
/// <b>Invariants</b> (checked by the constructor of <see cref="MemoryManager"/>): every address is
/// page-aligned and <c>MinAddress &lt;= BottomUpBase &lt;= MaxAddress</c>,
/// <c>MinAddress &lt;= TopDownBase &lt;= MaxAddress</c>.
/// </remarks>
public sealed record MmapLayout
{
    /// <summary>
    /// The lowest address a hint may name and a search may reach (Linux's own mmap_min_addr: the
    /// higher of vm.mmap_min_addr and CONFIG_LSM_MMAP_MIN_ADDR; or the platform's minimum if higher).
    /// A lower non-fixed hint is raised to it.
    /// </summary>
    public required ulong MinAddress { get; init; }

    /// <summary>
    /// The lowest address a fixed mapping (MAP_FIXED, MAP_FIXED_NOREPLACE, MREMAP_FIXED) may use;
    /// below it such a mapping is EPERM (Linux's vm.mmap_min_addr, below which only CAP_SYS_RAWIO
    /// may map). <see langword="null"/> means <see cref="MinAddress"/>.
    /// </summary>
    /// <remarks>
    /// Linux keeps two minimums: vm.mmap_min_addr (4096 on most distributions), checked for every
    /// address mmap returns, and CONFIG_LSM_MMAP_MIN_ADDR (65536 by default), which only an LSM such
    /// as SELinux enforces for fixed mappings but which always bounds hints and searches. Without
    /// such an LSM a fixed mapping in between succeeds for every process. The platform must allow
    /// addresses from here up (a platform's minimum above it makes such mappings fail there).
    /// Page-aligned, at most <see cref="MinAddress"/>.
    /// </remarks>
    public ulong? FixedMinAddress { get; init; }

    /// <summary>The end of the usable range (Linux's TASK_SIZE, or the platform's maximum if lower).</summary>
    public required ulong MaxAddress { get; init; }

    /// <summary>Where a bottom-up search starts (Linux's TASK_UNMAPPED_BASE plus randomisation).</summary>
    public required ulong BottomUpBase { get; init; }

    /// <summary>Where a top-down search starts (Linux's mmap_base: below the stack gap, minus randomisation).</summary>
    public required ulong TopDownBase { get; init; }

    /// <summary>The default search direction.</summary>
    public MmapDirection DefaultDirection { get; init; } = MmapDirection.TopDown;

    /// <summary>The most the stack's position may be randomised by (see <see cref="MemoryManager.MapStack"/>).</summary>
    public ulong MaxStackRandomization { get; init; }

    // x86-64 Linux: mmap_rnd_bits defaults to 28 (pages), the stack is randomised over 16 GiB and
    // the gap below the stack is the stack limit clamped to [128 MiB, 5/6 of the space].
    private const int MmapRandomBits = 28;
    private const ulong StackRandomization = 16UL << 30;
    private const ulong MinStackGap = 128UL << 20;

    /// <summary>
    /// Chooses a layout for <c>[minAddress, maxAddress)</c> as Linux does for a 64-bit process:
    /// top-down below a gap for the stack, both bases moved by a random page count drawn from
    /// <paramref name="random"/> (no randomisation when it is <see langword="null"/>).
    /// </summary>
    /// <param name="minAddress">The lowest usable address; page-aligned.</param>
    /// <param name="maxAddress">The end of the usable range; page-aligned and above <paramref name="minAddress"/>.</param>
    /// <param name="stackLimit">RLIMIT_STACK in bytes.</param>
    /// <param name="random">The randomness source (seed it for a reproducible layout).</param>
    /// <param name="direction">The default search direction.</param>
    /// <exception cref="ArgumentException">The bounds are not page-aligned or not ordered.</exception>
    public static MmapLayout Create(ulong minAddress, ulong maxAddress, ulong stackLimit, Random? random, MmapDirection direction = MmapDirection.TopDown)
    {
        if (!Arch.IsPageAligned(minAddress) || !Arch.IsPageAligned(maxAddress) || minAddress >= maxAddress)
        {
            ThrowHelper.ThrowArgument(nameof(minAddress), "The layout bounds [0x{0:x}, 0x{1:x}) must be page-aligned and non-empty.", minAddress, maxAddress);
        }
        ulong size = maxAddress - minAddress;
        ulong maxRandom = Math.Min(1UL << (MmapRandomBits + Arch.PageShift), size / 8);
        ulong randomOffset = random is null ? 0 : Arch.PageRoundDown((ulong)random.NextInt64((long)Math.Max(maxRandom, 1)));

        ulong stackRandom = Math.Min(StackRandomization, size / 8);
        ulong gap = Math.Clamp(stackLimit == ResourceLimits.Unlimited ? MinStackGap : stackLimit, MinStackGap, size / 6 * 5);
        gap = Arch.PageRoundDown(Math.Min(gap + stackRandom, size / 2));
        ulong topDown = Arch.PageRoundDown(maxAddress - gap - randomOffset);
        ulong bottomUp = Arch.PageRoundDown(minAddress + (size / 3) + randomOffset);
        return new MmapLayout
        {
            MinAddress = minAddress,
            MaxAddress = maxAddress,
            TopDownBase = Math.Max(topDown, minAddress),
            BottomUpBase = Math.Min(bottomUp, maxAddress),
            DefaultDirection = direction,
            MaxStackRandomization = stackRandom,
        };
    }
}
