namespace Warden.Mm;

/// <summary>How a <see cref="MemoryManager"/> is set up. Every property has Linux's default.</summary>
public sealed record MemoryManagerOptions
{
    /// <summary>Linux's default sysctl vm.max_map_count.</summary>
    public const int DefaultMaxMapCount = 65530;

    /// <summary>Linux's default stack_guard_gap: 256 pages.</summary>
    public const ulong DefaultStackGuardGap = 256UL << 12;

    /// <summary>The defaults.</summary>
    public static MemoryManagerOptions Default { get; } = new();

    /// <summary>
    /// The mmap layout; <see langword="null"/> chooses one with <see cref="MmapLayout.Create"/> over the
    /// platform's user range, randomised from <see cref="RandomSeed"/>.
    /// </summary>
    public MmapLayout? Layout { get; init; }

    /// <summary>The resource limits enforced by mmap, brk, mremap, mlock and stack growth.</summary>
    public ResourceLimits Limits { get; init; } = ResourceLimits.Default;

    /// <summary>The most vmas the address space may hold (ENOMEM past it).</summary>
    public int MaxMapCount { get; init; } = DefaultMaxMapCount;

    /// <summary>Whether the owner has CAP_IPC_LOCK (mlock ignores RLIMIT_MEMLOCK).</summary>
    public bool CanLockMemory { get; init; }

    /// <summary>The gap kept below a grows-down vma (and above a brk heap) when placing mappings.</summary>
    public ulong StackGuardGap { get; init; } = DefaultStackGuardGap;

    /// <summary>Seeds the layout and stack randomisation; <see langword="null"/> disables randomisation.</summary>
    public int? RandomSeed { get; init; }

    /// <summary>The memory cgroup ID charged for memory this manager allocates.</summary>
    public uint MemCgID { get; init; }
}
