using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

/// <summary>
/// One virtual memory area: what the program mapped over a range of addresses. Stored as the value
/// of a segment of the memory manager's vma map, so it is a value type copied on split.
/// </summary>
internal struct Vma
{
    /// <summary>What backs the range; <see langword="null"/> for private anonymous memory.</summary>
    public IMappable? Mappable;

    /// <summary>
    /// The offset into <see cref="Mappable"/> of the vma's first byte. For private anonymous memory it
    /// is the address the memory was first mapped at (Linux's pgoff), which moves with it on mremap:
    /// vmas merge only where offsets are contiguous, as on Linux.
    /// </summary>
    public ulong Offset;

    /// <summary>The anonymous-memory identity, set by the first write fault (null until then).</summary>
    public AnonVma? AnonVma;

    /// <summary>Flags that only affect merging (see <see cref="VmaHints"/>).</summary>
    public VmaHints Hints;

    /// <summary>Whether the vma is charged against overcommit (Linux's VM_ACCOUNT: private and once writable).</summary>
    public bool Accounted;

    /// <summary>The permissions the program asked for (as <c>/proc/self/maps</c> shows them).</summary>
    public AccessType RealPerms;

    /// <summary>The permissions <see cref="RealPerms"/> may be raised to by mprotect.</summary>
    public AccessType MaxPerms;

    /// <summary>Whether writes are private to this address space (copy-on-write).</summary>
    public bool Private;

    /// <summary>Whether the vma grows down on faults just below it (a stack).</summary>
    public bool GrowsDown;

    /// <summary>Whether this is the main thread's stack (named <c>[stack]</c>).</summary>
    public bool IsStack;

    /// <summary>Whether Fork leaves this range out of the child (MADV_DONTFORK).</summary>
    public bool DontFork;

    /// <summary>Whether Fork gives the child zero-filled memory here (MADV_WIPEONFORK).</summary>
    public bool WipeOnFork;

    /// <summary>How the range is locked in memory.</summary>
    public MLockMode MLockMode;

    /// <summary>The identity shown in <c>/proc/self/maps</c>; holds a reference while the vma exists.</summary>
    public IMappingIdentity? Id;

    /// <summary>Whether <see cref="MemoryManager.SetName"/> may rename the vma (anonymous memory only).</summary>
    public NameMut NameMut;

    /// <summary>The name an anonymous mapping was given (shown as <c>[anon:name]</c>), or <see langword="null"/>.</summary>
    public string? Name;

    /// <summary>The permissions accesses through this vma are checked against (x86: any access implies read).</summary>
    public readonly AccessType EffectivePerms => RealPerms.Effective();

    /// <summary>Whether the mappable may be written through this vma (a shared, writable-capable mapping).</summary>
    public readonly bool CanWriteMappable => !Private && MaxPerms.Write;

    /// <summary>Whether Linux would count the vma as data (private, writable, not a stack).</summary>
    public readonly bool IsData => RealPerms.Write && Private && !GrowsDown;

    /// <summary>Whether the vma is anonymous private memory owned by the memory manager.</summary>
    public readonly bool IsPrivateAnonymous => Mappable is null;

    /// <summary>The mappable offset of <paramref name="addr"/>, which lies in the vma starting at <paramref name="start"/>.</summary>
    public readonly ulong MappableOffsetAt(ulong start, ulong addr) => Offset + (addr - start);
}
