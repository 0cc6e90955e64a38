using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Platforms.SoftMmu;

/// <summary>One run of a <see cref="SoftMmuAddressSpace"/>'s page table, as <see cref="SoftMmuAddressSpace.GetMappings"/> lists it.</summary>
/// <param name="Range">The addresses of the run (page-aligned, non-empty).</param>
/// <param name="File">The file the run maps.</param>
/// <param name="Offset">The file offset mapped at <c>Range.Start</c>; the run maps <c>[Offset, Offset + Range.Length)</c>.</param>
/// <param name="Perms">The accesses the run allows.</param>
public readonly record struct SoftMmuMapping(AddrRange Range, IFile File, ulong Offset, AccessType Perms);
