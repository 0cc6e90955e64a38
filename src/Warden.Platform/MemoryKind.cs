namespace Warden.Platform;

/// <summary>What a piece of memory is used for, for usage accounting (gVisor's <c>usage.MemoryKind</c>).</summary>
/// <remarks>The values are consecutive from 0, in this order; <see cref="MemoryAccounting"/> relies on it.</remarks>
public enum MemoryKind
{
    /// <summary>Memory Warden itself uses on the application's behalf (page tables, buffers).</summary>
    System = 0,

    /// <summary>Memory backing anonymous mappings (private or shared).</summary>
    Anonymous,

    /// <summary>Cached contents of files.</summary>
    PageCache,

    /// <summary>Contents of files in memory-backed file systems (tmpfs).</summary>
    Tmpfs,

    /// <summary>Contents of files in RAM disks.</summary>
    Ramdiskfs,

    /// <summary>
    /// Host memory mapped into the application from outside the memory file (for example a host
    /// file mapped directly). Counted separately: it is not part of <see cref="IMemory.TotalUsage"/>.
    /// </summary>
    Mapped,
}
