using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;
using Warden.UserMem;

namespace Warden.Cli;

// The copy paths `warden bench` measures. Each copies the whole of a BytesIO's buffer to or from a
// pinned buffer of the same size, so that every path moves the same bytes between the same memory.

/// <summary>
/// A baseline: <see cref="Span{T}.CopyTo(Span{T})"/> from <paramref name="source"/> to
/// <paramref name="destination"/>, with no IO in between.
/// </summary>
/// <remarks>
/// There is one per direction because the direction matters even between the same two arrays:
/// how far apart source and destination are modulo 4 KiB decides whether the CPU mistakes loads
/// for dependants of earlier stores (4K aliasing), which can change a page copy's time by half.
/// </remarks>
internal readonly struct RawSpanCopy(byte[] source, byte[] destination, string name) : ICopyOperation
{
    /// <inheritdoc/>
    public string Name => name;

    /// <inheritdoc/>
    public (long Count, Error? Error) Run()
    {
        source.AsSpan().CopyTo(destination);
        return (source.Length, null);
    }
}

/// <summary><see cref="IMemoryIO.CopyIn"/> on a <see cref="BytesIO"/>, called through the interface as the kernel calls it.</summary>
internal readonly struct BytesIOCopyIn(IMemoryIO io, IContext ctx, byte[] buffer) : ICopyOperation
{
    /// <inheritdoc/>
    public string Name => "BytesIO.CopyIn";

    /// <inheritdoc/>
    public (long Count, Error? Error) Run() => io.CopyIn(ctx, Addr.Zero, buffer, default);
}

/// <summary><see cref="IMemoryIO.CopyOut"/> on a <see cref="BytesIO"/>, called through the interface.</summary>
internal readonly struct BytesIOCopyOut(IMemoryIO io, IContext ctx, byte[] buffer) : ICopyOperation
{
    /// <inheritdoc/>
    public string Name => "BytesIO.CopyOut";

    /// <inheritdoc/>
    public (long Count, Error? Error) Run() => io.CopyOut(ctx, Addr.Zero, buffer, default);
}

/// <summary><see cref="IOSequence.CopyIn"/> over a single-range sequence covering the memory.</summary>
internal readonly struct IOSequenceCopyIn(IOSequence seq, IContext ctx, byte[] buffer) : ICopyOperation
{
    /// <inheritdoc/>
    public string Name => "IOSequence.CopyIn";

    /// <inheritdoc/>
    public (long Count, Error? Error) Run() => seq.CopyIn(ctx, buffer);
}

/// <summary><see cref="IOSequence.CopyOut"/> over a single-range sequence covering the memory.</summary>
internal readonly struct IOSequenceCopyOut(IOSequence seq, IContext ctx, byte[] buffer) : ICopyOperation
{
    /// <inheritdoc/>
    public string Name => "IOSequence.CopyOut";

    /// <inheritdoc/>
    public (long Count, Error? Error) Run() => seq.CopyOut(ctx, buffer);
}

/// <summary>
/// <see cref="IOSequence.CopyInTo"/> over a single-range sequence, into a <see cref="BlockSeqWriter"/>
/// over the buffer (the shape of a <c>write(2)</c> to a host file, with memory for the file).
/// </summary>
internal readonly struct IOSequenceCopyInTo(IOSequence seq, IContext ctx, BlockSeqWriter writer, BlockSeq buffer) : ICopyOperation
{
    /// <inheritdoc/>
    public string Name => "IOSequence.CopyInTo (BlockSeqWriter)";

    /// <inheritdoc/>
    public (long Count, Error? Error) Run()
    {
        // The writer consumes its blocks; give it the whole buffer again.
        writer.Blocks = buffer;
        return seq.CopyInTo(ctx, writer);
    }
}
