using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Platform;

/// <summary>
/// A file from which memory is allocated, and which any address space of the same platform can map
/// (gVisor's <c>platform.Memory</c>): the memory that backs application memory.
/// </summary>
/// <remarks>
/// <para>Its <see cref="IFile"/> methods have these further properties:</para>
/// <list type="bullet">
/// <item>Pages mapped into an address space (<see cref="IAddressSpace.MapFile"/>) must be allocated, and
/// must be unmapped from every address space before they are freed.</item>
/// <item>Pages passed to <see cref="IFile.MapInternal"/> must be allocated; the blocks it returns stay
/// valid until those pages are freed.</item>
/// <item>Pages are freed when their last reference is dropped (<see cref="IFile.DecRef"/>); a page with a
/// reference is never handed out by another <see cref="Allocate"/>.</item>
/// </list>
/// </remarks>
public interface IMemory : IFile
{
    /// <summary>Allocates <paramref name="length"/> bytes of pages, accounted as <paramref name="kind"/>.</summary>
    /// <returns>The allocated range, or an error (such as <c>ENOMEM</c>) and an empty range.</returns>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="length"/> is page-aligned and non-zero.</para>
    /// <para><b>Postconditions:</b> on success the range is page-aligned, <paramref name="length"/> bytes
    /// long, and owned by the caller: each page holds exactly one reference, and is freed when its
    /// references are gone (see <see cref="IFile.IncRef"/> and <see cref="IFile.DecRef"/>).</para>
    /// </remarks>
    (FileRange Range, Error? Error) Allocate(ulong length, MemoryKind kind);

    /// <summary>
    /// Releases the host resources that hold the contents of <paramref name="fr"/>; the pages stay
    /// allocated.
    /// </summary>
    /// <returns><c>null</c>, or why the memory could not be released.</returns>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="fr"/> is non-empty.</para>
    /// <para><b>Postconditions:</b> on success, the pages read as zero from then on.</para>
    /// </remarks>
    Error? Decommit(FileRange fr);

    /// <summary>
    /// Brings the per-kind usage in <see cref="Accounting"/> up to date. Until it is called, those
    /// statistics may be stale.
    /// </summary>
    /// <returns><c>null</c>, or why the usage could not be measured.</returns>
    Error? UpdateUsage();

    /// <summary>
    /// The bytes in use, summed over every kind except <see cref="MemoryKind.Mapped"/> (which is memory
    /// outside this file). Usually much cheaper than <see cref="UpdateUsage"/>, but gives no per-kind
    /// breakdown.
    /// </summary>
    /// <returns>The usage, or an error (the usage is then meaningless).</returns>
    (ulong Usage, Error? Error) TotalUsage();

    /// <summary>The current largest size of the memory in bytes. It may change over time.</summary>
    ulong TotalSize { get; }

    /// <summary>The per-kind usage statistics this memory keeps; accurate after <see cref="UpdateUsage"/>.</summary>
    MemoryAccounting Accounting { get; }

    /// <summary>Releases everything the memory holds.</summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> nothing uses any of its pages any more.</para>
    /// <para><b>Postconditions:</b> none of its methods may be called again.</para>
    /// </remarks>
    void Destroy();

    /// <summary>Writes the memory's state to <paramref name="stream"/> (typically a checkpoint file).</summary>
    /// <returns><c>null</c>, or why the state could not be written.</returns>
    Error? SaveTo(Stream stream);

    /// <summary>Reads the memory's state from <paramref name="stream"/>, as written by <see cref="SaveTo"/>.</summary>
    /// <returns><c>null</c>, or why the state could not be read.</returns>
    Error? LoadFrom(Stream stream);
}
