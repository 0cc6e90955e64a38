using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Platforms.SoftMmu;

/// <summary>
/// What a run of pages of a <see cref="SoftMmuAddressSpace"/> maps: the file, the file offset of the
/// run's first byte, and the accesses allowed.
/// </summary>
internal readonly record struct PageTableEntry(IFile File, ulong Offset, AccessType Perms);
