namespace Warden.PgAlloc;

/// <summary>How <see cref="MemoryFile.Allocate(ulong, Warden.Platform.MemoryKind, AllocOpts)"/> places and commits memory.</summary>
/// <param name="Direction">Where in the file to look for free space first.</param>
/// <param name="Huge">Whether the range must start on a <see cref="Warden.HostArch.Arch.HugePageSize"/> boundary.</param>
/// <param name="Mode">Whether host memory is committed up front.</param>
/// <param name="MemCgID">The memory cgroup the new pages are charged to.</param>
public readonly record struct AllocOpts(
    AllocDirection Direction = AllocDirection.BottomUp,
    bool Huge = false,
    AllocMode Mode = AllocMode.Uncommitted,
    uint MemCgID = 0)
{
    /// <summary>The default: bottom-up, small pages, uncommitted, cgroup 0.</summary>
    public static AllocOpts Default => default;
}

/// <summary>Where an allocation is placed.</summary>
public enum AllocDirection
{
    /// <summary>The lowest free range that fits.</summary>
    BottomUp = 0,

    /// <summary>The highest free range that fits within the file's current size (growing it if none does).</summary>
    TopDown,
}

/// <summary>Whether host memory is committed when a range is allocated.</summary>
public enum AllocMode
{
    /// <summary>Host memory is committed on first touch.</summary>
    Uncommitted = 0,

    /// <summary>Host memory is committed with <c>fallocate</c> before the range is returned.</summary>
    Committed,

    /// <summary>
    /// Host memory is committed and mapped writable in Warden's own mappings with
    /// <c>MADV_POPULATE_WRITE</c> (falling back to <see cref="Committed"/> where the kernel lacks it).
    /// </summary>
    Populated,
}
