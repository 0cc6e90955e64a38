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

    /// <summary>
    /// The largest single charge against overcommit: Linux's heuristic mode (vm.overcommit_memory 0)
    /// refuses with ENOMEM one larger than RAM plus swap, charged by a private writable mapping, a
    /// shared anonymous one (unless MAP_NORESERVE), brk growth, mremap growth of a charged mapping,
    /// and mprotect making private memory writable. Defaults to this host's RAM plus swap;
    /// <see cref="ulong.MaxValue"/> is Linux's mode 1 (always overcommit). Strict accounting (mode 2,
    /// the sum of charges against CommitLimit) is not modelled.
    /// </summary>
    public ulong OvercommitLimit { get; init; } = HostMemory.RamPlusSwap;
}
