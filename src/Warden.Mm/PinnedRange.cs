using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

/// <summary>
/// Application memory pinned by <see cref="MemoryManager.Pin"/>: <see cref="Source"/> is backed by
/// <see cref="File"/> at <see cref="Offset"/>, and stays so (one reference held) until unpinned.
/// </summary>
/// <param name="Source">The application addresses.</param>
/// <param name="File">The file holding the memory.</param>
/// <param name="Offset">The file offset of <see cref="Source"/>'s first byte.</param>
public readonly record struct PinnedRange(AddrRange Source, IFile File, ulong Offset)
{
    /// <summary>The pinned file range.</summary>
    public FileRange FileRange => new(Offset, Offset + Source.Length);

    // The memory manager whose pmas count the pin, told when it is released.
    internal MemoryManager? Owner { get; init; }
}
