using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>A write-only <see cref="Stream"/> over an <see cref="IWriter"/>.</summary>
/// <remarks>
/// Writes go through a pinned buffer, since the caller's span may be movable memory. A write either
/// transfers every byte or throws an <see cref="ErrorException"/> carrying the writer's error and
/// the count written. Not thread-safe.
/// </remarks>
public sealed class BlockWriterStream(IWriter writer) : SequentialStream
{
    private readonly IWriter _writer = writer ?? throw new ArgumentNullException(nameof(writer));
    private PinnedScratch _scratch;

    /// <inheritdoc/>
    public override bool CanRead => false;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        long written = 0;
        while (!buffer.IsEmpty)
        {
            Block scratch = _scratch.Get(buffer.Length);
            buffer[..scratch.Length].CopyTo(scratch.AsSpan());
            (ulong n, Error? error) = _writer.WriteFullFromBlocks(BlockSeq.Of(scratch));
            written += (long)n;
            if (error is not null)
            {
                throw new ErrorException(error, written);
            }
            buffer = buffer[scratch.Length..];
        }
    }
}
