namespace Warden.Tests.Mm.Fuzz;

/// <summary>What a kernel fuzz run knows about the child's address space (the generator aims at it; the guard protects it).</summary>
public sealed class KernelFuzzState
{
    /// <summary>The child's files at their descriptor numbers.</summary>
    public required IReadOnlyList<FuzzFile> Files { get; init; }

    /// <summary>The child's own mappings (its program, data, heap up to the initial break, stack, vdso): never changed.</summary>
    public required IReadOnlyList<(ulong Start, ulong End)> Protected { get; init; }

    /// <summary>The kernel's effective mmap_min_addr (<see cref="KernelFuzzRunner.MmapMinAddr"/>).</summary>
    public required ulong MinAddress { get; init; }

    /// <summary>vm.mmap_min_addr (<see cref="KernelFuzzRunner.DacMmapMinAddr"/>).</summary>
    public required ulong DacMinAddress { get; init; }

    /// <summary>The child's mmap_base (where top-down placement starts).</summary>
    public required ulong TopDownBase { get; init; }

    /// <summary>The child's mincore vector buffer (inside a protected mapping, but the one place mincore may write there).</summary>
    public required ulong VectorAddress { get; init; }

    /// <summary>The vector buffer's size.</summary>
    public required int VectorSize { get; init; }

    /// <summary>Where the child's heap vma starts (its C library's data lies between here and <see cref="InitialBrk"/>).</summary>
    public required ulong HeapStart { get; init; }

    /// <summary>The child's break when it started serving.</summary>
    public required ulong InitialBrk { get; init; }

    /// <summary>Whether the child has the capabilities (root) or is nobody under a small RLIMIT_MEMLOCK.</summary>
    public required bool Privileged { get; init; }

    /// <summary>The child's current break.</summary>
    public ulong Brk { get; set; }

    /// <summary>Addresses the run's calls returned (starts of mappings made or moved).</summary>
    public List<ulong> Mapped { get; } = [];

    /// <summary>Where MAP_GROWSDOWN mappings the kernel made started.</summary>
    public List<ulong> GrowsDown { get; } = [];

    /// <summary>The child's special mappings (vvar, vdso): mlock leaves them alone, Warden's placeholders would not.</summary>
    public required IReadOnlyList<(ulong Start, ulong End)> Special { get; init; }

    /// <summary>Whether mlockall(MCL_FUTURE) is in force in the child.</summary>
    public bool Future { get; set; }

    /// <summary>The start of the child's stack (it grows down into the 8 MiB below on a fault there).</summary>
    public required ulong StackStart { get; init; }

    /// <summary>Whether mlockall(MCL_FUTURE|MCL_ONFAULT) is in force in the child.</summary>
    public bool FutureOnFault { get; set; }

    /// <summary>Whether any call has locked memory (or MCL_FUTURE) so far: later growth may populate.</summary>
    public bool LockedEver { get; set; }

    /// <summary>Whether a MAP_DROPPABLE mapping was ever made: mlock cannot lock one, so a lock-on-fault request populates it.</summary>
    public bool DroppableEver { get; set; }

    /// <summary>The ranges of MADV_PAGEOUT calls the kernel carried out (wholly, or up to a hole).</summary>
    public List<(ulong Start, ulong End)> PagedOut { get; } = [];

    /// <summary>Whether [<paramref name="start"/>, <paramref name="end"/>) shares a byte with a protected mapping.</summary>
    public bool HitsProtected(ulong start, ulong end)
    {
        foreach ((ulong s, ulong e) in Protected)
        {
            if (s < end && start < e)
            {
                return true;
            }
        }
        return false;
    }
}
