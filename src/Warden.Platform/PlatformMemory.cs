using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;

namespace Warden.Platform;

/// <summary>Operations built on <see cref="IMemory"/>.</summary>
public static class PlatformMemory
{
    /// <summary>
    /// Allocates <paramref name="length"/> bytes of <paramref name="kind"/> memory from
    /// <paramref name="mem"/> and fills them from <paramref name="reader"/>, reading until the memory
    /// is full or the reader returns an error.
    /// </summary>
    /// <returns>
    /// The memory filled, cut down to whole pages (the pages past it are freed), and the error the
    /// reader stopped with, if any (for example <see cref="WellKnownErrors.EndOfStream"/>); a range
    /// shorter than <paramref name="length"/> always comes with one. If allocation or mapping fails,
    /// an empty range and that error, with nothing left allocated.
    /// </returns>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="length"/> is page-aligned and non-zero.</para>
    /// <para><b>Postconditions:</b> the caller owns one reference on every page of the returned range,
    /// and none on any other page of the allocation. The range may be empty (it then starts where the
    /// allocation did).</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="length"/> is zero or not page-aligned.</exception>
    public static (FileRange Range, Error? Error) AllocateAndFill(this IMemory mem, ulong length, MemoryKind kind, IReader reader)
    {
        ArgumentNullException.ThrowIfNull(mem);
        ArgumentNullException.ThrowIfNull(reader);
        if (length == 0 || !Arch.IsPageAligned(length))
        {
            ThrowHelper.ThrowArgument(nameof(length), "AllocateAndFill needs a non-zero page-aligned length, not 0x{0:x}.", length);
        }

        (FileRange fr, Error? allocateError) = mem.Allocate(length, kind);
        if (allocateError is not null)
        {
            return (default, allocateError);
        }

        (BlockSeq dsts, Error? mapError) = mem.MapInternal(fr, AccessType.WriteOnly);
        if (mapError is not null)
        {
            mem.DecRef(fr);
            return (default, mapError);
        }

        (ulong read, Error? readError) = reader.ReadFullToBlocks(dsts);
        // A partly filled page is not worth keeping: the caller gets only whole pages of data.
        ulong kept = Arch.PageRoundDown(read);
        if (kept < length)
        {
            mem.DecRef(new FileRange(fr.Start + kept, fr.End));
            fr = new FileRange(fr.Start, fr.Start + kept);
        }
        return (fr, readError);
    }
}
