using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Platform;

/// <summary>A virtual address space in which an <see cref="IPlatformContext"/> runs application code.</summary>
/// <remarks>
/// Its <see cref="IAddressSpaceIO"/> methods work only if the platform's
/// <see cref="IPlatform.SupportsAddressSpaceIO"/> is <c>true</c>; otherwise they return
/// <see cref="PlatformErrors.AddressSpaceIOUnavailable"/>.
/// </remarks>
public interface IAddressSpace : IAddressSpaceIO
{
    /// <summary>
    /// Maps the bytes at offsets <paramref name="fr"/> of <paramref name="file"/>, shared, at
    /// <paramref name="addr"/>, allowing the accesses in <paramref name="at"/>. Whatever was mapped
    /// in the way is replaced.
    /// </summary>
    /// <param name="addr">Where the mapping starts.</param>
    /// <param name="file">The file to map.</param>
    /// <param name="fr">The offsets of <paramref name="file"/> to map.</param>
    /// <param name="at">The accesses the mapping allows.</param>
    /// <param name="precommit">
    /// A hint: commit host memory to the mapping before returning, where possible. Implementations may ignore it.
    /// </param>
    /// <returns><c>null</c>, or why the mapping could not be made.</returns>
    /// <remarks>
    /// <para><b>Preconditions:</b></para>
    /// <list type="bullet">
    /// <item><paramref name="addr"/> and both ends of <paramref name="fr"/> are page-aligned.</item>
    /// <item><paramref name="fr"/> is non-empty.</item>
    /// <item><c><paramref name="at"/>.Any</c> is <c>true</c>.</item>
    /// <item>The caller holds a reference on every page of <paramref name="fr"/> until it unmaps it.</item>
    /// </list>
    /// </remarks>
    Error? MapFile(Addr addr, IFile file, FileRange fr, AccessType at, bool precommit);

    /// <summary>Removes every mapping in the <paramref name="length"/> bytes at <paramref name="addr"/>.</summary>
    /// <remarks><b>Preconditions:</b> <paramref name="addr"/> is page-aligned; <paramref name="length"/> is non-zero.</remarks>
    void Unmap(Addr addr, ulong length);

    /// <summary>Gives the address space back to the platform.</summary>
    /// <remarks>
    /// <b>Postconditions:</b> the address space must not be used again; a new one comes from
    /// <see cref="IPlatform.NewAddressSpace"/>.
    /// </remarks>
    void Release();
}
