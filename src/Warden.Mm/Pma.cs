using Warden.HostArch;
using Warden.MemMap;
using Warden.SafeMem;

namespace Warden.Mm;

/// <summary>
/// One platform mapping area: which range of which <see cref="IFile"/> currently backs a range of a
/// vma. The memory manager holds one reference on the file range while the pma exists.
/// </summary>
internal struct Pma
{
    /// <summary>The file holding the memory.</summary>
    public IFile File;

    /// <summary>The file offset of the pma's first byte.</summary>
    public ulong Offset;

    /// <summary>What accesses the program may make through the pma (translation ∩ vma permissions).</summary>
    public AccessType EffectivePerms;

    /// <summary>What accesses are possible when permissions are ignored (translation ∩ vma maximum).</summary>
    public AccessType MaxPerms;

    /// <summary>Whether a write must first copy the memory (a private mapping of shared memory).</summary>
    public bool NeedCOW;

    /// <summary>Whether the memory was allocated by the memory manager for this address space (and its forks).</summary>
    public bool Private;

    /// <summary>
    /// Whether the memory was made by a read of never-written anonymous memory, where Linux maps its
    /// shared zero page: MADV_FREE leaves it alone. <see cref="NeedCOW"/> is set, so the first write
    /// takes it over (and clears this).
    /// </summary>
    public bool ZeroPage;

    /// <summary>
    /// Whether MADV_FREE has left the memory clean, to be discarded rather than kept: MADV_PAGEOUT
    /// drops it while no fork shares it. <see cref="NeedCOW"/> is set, so the first write makes it
    /// dirty again (and clears this).
    /// </summary>
    public bool LazyFree;

    /// <summary>
    /// How many <see cref="MemoryManager.Pin"/>s of this address space hold the pma's pages. A pinned
    /// private pma is never copy-on-write: pinning broke it, and fork copies it for the child.
    /// </summary>
    public int PinCount;

    /// <summary>
    /// Where Warden reaches the whole pma's memory: a cache of <see cref="IFile.MapInternal"/> for
    /// the pma's file range (gVisor's <c>pma.internalMappings</c>), empty until filled. Valid for as
    /// long as the pma exists, since the pma holds a reference on its pages; it depends only on
    /// <see cref="File"/> and <see cref="Offset"/>, so a pma given new ones starts with none.
    /// </summary>
    /// <remarks>Filled, like every change to a pma, with the active lock held for writing.</remarks>
    public Block InternalMapping;

    /// <summary>
    /// Set when <see cref="InternalMapping"/> cannot be filled (the file gives more than one block
    /// for the range, the pma is longer than a block can be, or mapping failed): copies then call
    /// <see cref="IFile.MapInternal"/> for the part they need.
    /// </summary>
    public bool InternalMappingUnavailable;

    /// <summary>Whether a copy must fill the internal-mapping cache before it can use the pma.</summary>
    public readonly bool NeedsInternalMapping => InternalMapping.IsEmpty && !InternalMappingUnavailable;

    /// <summary>The file range backing <paramref name="ar"/>, a sub-range of the pma starting at <paramref name="start"/>.</summary>
    public readonly FileRange FileRangeOf(ulong start, AddrRange ar) =>
        new(Offset + (ar.Start.Value - start), Offset + (ar.End.Value - start));

    /// <summary>The permissions the platform may map the pma with: write is withheld until copy-on-write is broken.</summary>
    public readonly AccessType PlatformPerms => NeedCOW ? EffectivePerms with { Write = false } : EffectivePerms;
}
