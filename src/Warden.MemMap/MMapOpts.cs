using Warden.HostArch;

namespace Warden.MemMap;

/// <summary>A request to create a memory mapping (gVisor's <c>memmap.MMapOpts</c>).</summary>
/// <remarks>A mutable value: the memory manager adjusts a copy as it validates the request.</remarks>
public record struct MMapOpts
{
    /// <summary>The length of the mapping in bytes.</summary>
    public ulong Length { get; set; }

    /// <summary>
    /// Keeps <see cref="Mappable"/> alive and names the mapping in <c>/proc/[pid]/maps</c>. A mapping
    /// created from these options takes a reference on it.
    /// </summary>
    public IMappingIdentity? MappingIdentity { get; set; }

    /// <summary>What to map; <c>null</c> for anonymous memory. Valid while a reference is held on <see cref="MappingIdentity"/>.</summary>
    public IMappable? Mappable { get; set; }

    /// <summary>The offset into <see cref="Mappable"/> to map (ignored for anonymous memory).</summary>
    public ulong Offset { get; set; }

    /// <summary>The suggested address (the required one if <see cref="Fixed"/>).</summary>
    public Addr Addr { get; set; }

    /// <summary>The mapping must be placed at <see cref="Addr"/>.</summary>
    public bool Fixed { get; set; }

    /// <summary>Existing mappings in the range may be replaced. Requires <see cref="Fixed"/> (the mapping fails with EINVAL otherwise).</summary>
    public bool Unmap { get; set; }

    /// <summary>
    /// Every address in the mapping must fit in 32 bits (its end need not). Ignored if <see cref="Fixed"/>.
    /// </summary>
    public bool Map32Bit { get; set; }

    /// <summary>The permissions the mapping starts with.</summary>
    public AccessType Perms { get; set; }

    /// <summary>
    /// The most permissions the mapping may ever have (through <c>mprotect</c>). Every translation of
    /// <see cref="Mappable"/> must allow all of them. Should be an effective access type
    /// (<see cref="AccessType.Effective"/>), since access cannot be limited further.
    /// </summary>
    public AccessType MaxPerms { get; set; }

    /// <summary>Writes go to a copy owned by this memory manager (copy-on-write), not to the mappable.</summary>
    public bool Private { get; set; }

    /// <summary>The mapping grows downwards on faults in its guard page (a stack).</summary>
    public bool GrowsDown { get; set; }

    /// <summary><c>MAP_STACK</c>: no required effect in Linux.</summary>
    public bool Stack { get; set; }

    /// <summary>What the call does at once to the platform's address space.</summary>
    public MMapPlatformEffect PlatformEffect { get; set; }

    /// <summary>How the mapping is memory-locked.</summary>
    public MLockMode MLockMode { get; set; }

    /// <summary>The name shown in <c>/proc/[pid]/maps</c>; if empty, <see cref="MappingIdentity"/>'s name is used.</summary>
    public string? Name { get; set; }

    /// <summary>What <c>prctl(PR_SET_VMA_ANON_NAME)</c> may do to the mapping.</summary>
    public NameMut NameMut { get; set; }

    /// <summary>
    /// Skip the checks of <see cref="Addr"/> and <see cref="Length"/> against the layout's bounds, to
    /// create special mappings outside them. Requires <see cref="Fixed"/> and <see cref="Unmap"/> (the mapping fails with EINVAL otherwise). Use with care.
    /// </summary>
    public bool Force { get; set; }

    /// <summary>
    /// Failing to apply <see cref="PlatformEffect"/> fails the call (otherwise it is best-effort).
    /// Ignored when <see cref="PlatformEffect"/> is <see cref="MMapPlatformEffect.Default"/>.
    /// </summary>
    public bool RequirePlatformEffect { get; set; }

    /// <summary>Only Warden changes the memory behind the mapping: nothing outside it can modify the contents.</summary>
    public bool SentryOwnedContent { get; set; }
}
