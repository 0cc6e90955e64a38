using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.MemMap;

/// <summary>
/// A memory-mappable object: a mutable mapping from offsets to (<see cref="IFile"/>, file offset) pairs
/// (gVisor's <c>memmap.Mappable</c>), such as a regular file or shared anonymous memory.
/// </summary>
/// <remarks>
/// <b>Preconditions</b> (every method): address and mappable ranges are non-empty; addresses and
/// offsets are page-aligned.
/// </remarks>
public interface IMappable
{
    /// <summary>
    /// Records that <paramref name="ms"/> maps addresses <paramref name="ar"/> to offsets
    /// <c>[offset, offset + ar.Length)</c>. <paramref name="writable"/> says whether the mapping can
    /// modify the data (a shared mapping that may be translated for writing); it never changes.
    /// </summary>
    /// <remarks><b>Preconditions:</b> <c>offset + ar.Length</c> does not overflow.</remarks>
    Error? AddMapping(IContext ctx, IMappingSpace ms, AddrRange ar, ulong offset, bool writable);

    /// <summary>Records that a mapping made by <see cref="AddMapping"/> is gone.</summary>
    /// <remarks>
    /// <b>Preconditions:</b> <c>offset + ar.Length</c> does not overflow; the mapping exists, with the
    /// same <paramref name="writable"/> as when it was added.
    /// </remarks>
    void RemoveMapping(IContext ctx, IMappingSpace ms, AddrRange ar, ulong offset, bool writable);

    /// <summary>
    /// Records an attempt to copy the mapping at <paramref name="srcAR"/> in <paramref name="ms"/> to
    /// <paramref name="dstAR"/> (as by <c>mremap</c>); usually the same as <see cref="AddMapping"/>.
    /// The two ranges' lengths may differ, and <paramref name="srcAR"/> may be empty.
    /// </summary>
    /// <remarks>
    /// <b>Preconditions:</b> <c>offset + srcAR.Length</c> and <c>offset + dstAR.Length</c> do not
    /// overflow; the mapping at <paramref name="srcAR"/> exists, with the same <paramref name="writable"/>.
    /// </remarks>
    Error? CopyMapping(IContext ctx, IMappingSpace ms, AddrRange srcAR, AddrRange dstAR, ulong offset, bool writable);

    /// <summary>
    /// Returns where the offsets in at least <paramref name="required"/> and at most
    /// <paramref name="optional"/> live now, usable for the accesses <paramref name="at"/>.
    /// </summary>
    /// <returns>
    /// The translations (see <see cref="TranslationChecks.CheckTranslateResult"/> for what they must
    /// satisfy) and, if they do not cover all of <paramref name="required"/>, an error saying why
    /// (a <see cref="BusError"/> when the fault should raise SIGBUS).
    /// </returns>
    /// <remarks>
    /// <para>
    /// Translations stay valid until the mappable calls <see cref="IMappingSpace.Invalidate"/> for them or
    /// the caller removes its mapping. The mappable keeps a reference on every file page a valid
    /// translation may name.
    /// </para>
    /// <para>
    /// <b>Preconditions:</b> <paramref name="required"/> is non-empty; <paramref name="optional"/> is a
    /// superset of it; both are page-aligned; the caller has mapped all these offsets with
    /// <see cref="AddMapping"/>; the caller keeps Translate from racing with invalidation.
    /// </para>
    /// </remarks>
    (Translation[] Translations, Error? Error) Translate(IContext ctx, MappableRange required, MappableRange optional, AccessType at);

    /// <summary>Asks the mappable to invalidate translations that cannot survive a checkpoint and restore.</summary>
    /// <remarks>Never runs concurrently with any other method of the mappable.</remarks>
    Error? InvalidateUnsavable(IContext ctx);
}
