using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Platforms.SoftMmu;

/// <summary>What <see cref="SoftMmuAddressSpace.Lookup"/> found at one address.</summary>
/// <param name="Mapped">Whether the address is mapped; when <c>false</c> every other member is default.</param>
/// <param name="File">The file mapped there.</param>
/// <param name="Offset">The file offset of the looked-up address itself (not of its page or run).</param>
/// <param name="Perms">The accesses the mapping allows.</param>
public readonly record struct SoftMmuLookup(bool Mapped, IFile? File, ulong Offset, AccessType Perms)
{
    /// <summary>
    /// The whole run of addresses around the looked-up one that maps <see cref="File"/> contiguously
    /// with <see cref="Perms"/> (maximal: runs that could join are always joined).
    /// </summary>
    public AddrRange Range { get; init; }
}
