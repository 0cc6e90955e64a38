using System.Diagnostics.CodeAnalysis;
using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;

namespace Warden.MemMap;

/// <summary>
/// A host file whose pages may be mapped into an address space and into Warden itself
/// (gVisor's <c>memmap.File</c>). Every page is reference-counted.
/// </summary>
/// <remarks>
/// The memory file that backs anonymous memory is the main implementation. A file whose
/// <see cref="MapInternal"/> never returns <see cref="BufferedIOFallbackError"/> need not implement
/// <see cref="BufferReadAt"/> and <see cref="BufferWriteAt"/>: the defaults treat a call as the
/// caller's bug (gVisor's <c>NoBufferedIOFallback</c>).
/// </remarks>
public interface IFile
{
    /// <summary>
    /// Adds a reference to every page in <paramref name="fr"/>, charging new pages to the memory
    /// cgroup <paramref name="memCgID"/> (a page already charged keeps its cgroup).
    /// </summary>
    /// <remarks>
    /// <b>Preconditions:</b> <paramref name="fr"/> is page-aligned and non-empty; the caller already holds
    /// a reference on every page in it (how a first reference is obtained is up to the implementation).
    /// </remarks>
    void IncRef(FileRange fr, uint memCgID);

    /// <summary>Drops a reference from every page in <paramref name="fr"/>.</summary>
    /// <remarks><b>Preconditions:</b> <paramref name="fr"/> is page-aligned and non-empty; a reference is held on every page in it.</remarks>
    void DecRef(FileRange fr);

    /// <summary>Returns blocks through which Warden can read and write the file's bytes in <paramref name="fr"/>.</summary>
    /// <returns>
    /// The blocks, or an error: <see cref="BufferedIOFallbackError"/> if the file cannot be mapped
    /// but supports <see cref="BufferReadAt"/>/<see cref="BufferWriteAt"/> instead.
    /// </returns>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="fr"/> is non-empty (it need not be page-aligned); a reference is held on every page in it.</para>
    /// <para><b>Postconditions:</b> the blocks stay valid while at least one reference is held on the pages.</para>
    /// </remarks>
    (BlockSeq Blocks, Error? Error) MapInternal(FileRange fr, AccessType at);

    /// <summary>Waits until the file holds valid data at <paramref name="fr"/>, then returns its file descriptor.</summary>
    /// <remarks><b>Preconditions:</b> <paramref name="fr"/> is non-empty (need not be page-aligned); a reference is held on every page in it.</remarks>
    (int FD, Error? Error) DataFD(FileRange fr);

    /// <summary>
    /// The file descriptor the file represents. Its contents may not be valid yet: to map it into an
    /// address space, use <see cref="DataFD"/>.
    /// </summary>
    int FD { get; }

    /// <summary>Reads <c>dst.Length</c> bytes at <paramref name="offset"/>; a short read always carries an error.</summary>
    /// <remarks>
    /// <b>Preconditions:</b> <see cref="MapInternal"/> returned <see cref="BufferedIOFallbackError"/>;
    /// a reference is held on every page read. The default implementation throws, since a file that
    /// never falls back never gets here.
    /// </remarks>
    (ulong Count, Error? Error) BufferReadAt(ulong offset, Span<byte> dst) => ThrowNoFallback();

    /// <summary>Writes <paramref name="src"/> at <paramref name="offset"/>; a short write always carries an error.</summary>
    /// <remarks><inheritdoc cref="BufferReadAt" path="/remarks"/></remarks>
    (ulong Count, Error? Error) BufferWriteAt(ulong offset, ReadOnlySpan<byte> src) => ThrowNoFallback();

    [DoesNotReturn]
    private static (ulong, Error?) ThrowNoFallback() =>
        throw new InvalidOperationException(
            "Buffered I/O was requested from a file whose MapInternal never returns BufferedIOFallbackError.");
}
