using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>A read-only <see cref="Stream"/> over an <see cref="IReader"/>.</summary>
/// <remarks>
/// Reads go through a pinned buffer, since the caller's span may be movable memory. A read that
/// transfers some bytes returns them and keeps any error it came with for the next read;
/// <see cref="WellKnownErrors.EndOfStream"/> becomes end of stream (0); any other error is thrown
/// as an <see cref="ErrorException"/>. Not thread-safe.
/// </remarks>
public sealed class BlockReaderStream(IReader reader) : SequentialStream
{
    private const int MaxConsecutiveEmptyReads = 100;

    private readonly IReader _reader = reader ?? throw new ArgumentNullException(nameof(reader));
    private PinnedScratch _scratch;

    // An error that came with bytes: reported by the next read instead of being lost.
    private Error? _pending;

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        if (_pending is not null)
        {
            Error pending = _pending;
            _pending = null;
            return ReferenceEquals(pending, WellKnownErrors.EndOfStream) ? 0 : throw new ErrorException(pending);
        }
        Block scratch = _scratch.Get(buffer.Length);
        for (int attempt = 0; attempt < MaxConsecutiveEmptyReads; attempt++)
        {
            (ulong n, Error? error) = _reader.ReadToBlocks(BlockSeq.Of(scratch));
            if (n != 0)
            {
                scratch.AsSpan((int)n).CopyTo(buffer);
                _pending = error;
                return (int)n;
            }
            if (ReferenceEquals(error, WellKnownErrors.EndOfStream))
            {
                return 0;
            }
            if (error is not null)
            {
                throw new ErrorException(error);
            }
        }
        throw new ErrorException(WellKnownErrors.NoProgress);
    }
}
