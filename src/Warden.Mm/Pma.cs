using Warden.HostArch;
using Warden.MemMap;

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

    /// <summary>The file range backing <paramref name="ar"/>, a sub-range of the pma starting at <paramref name="start"/>.</summary>
    public readonly FileRange FileRangeOf(ulong start, AddrRange ar) =>
        new(Offset + (ar.Start.Value - start), Offset + (ar.End.Value - start));

    /// <summary>The permissions the platform may map the pma with: write is withheld until copy-on-write is broken.</summary>
    public readonly AccessType PlatformPerms => NeedCOW ? EffectivePerms with { Write = false } : EffectivePerms;
}
