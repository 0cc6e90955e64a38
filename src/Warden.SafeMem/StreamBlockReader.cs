using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>An <see cref="IReader"/> that reads from a <see cref="Stream"/> (Go's <c>safemem.FromIOReader</c>).</summary>
/// <remarks>
/// Each block gets one <see cref="Stream.Read(Span{byte})"/>; a short read ends the call without an
/// error. An <see cref="IOException"/> becomes an <see cref="ExceptionError"/>; end of stream
/// becomes <see cref="WellKnownErrors.EndOfStream"/>. Not thread-safe.
/// </remarks>
public sealed class StreamBlockReader(Stream stream) : IReader
{
    private readonly Stream _stream = stream ?? throw new ArgumentNullException(nameof(stream));

    /// <inheritdoc/>
    public (ulong Count, Error? Error) ReadToBlocks(BlockSeq dsts)
    {
        ulong done = 0;
        foreach (Block block in dsts)
        {
            int n;
            try
            {
                n = _stream.Read(block.AsSpan());
            }
            catch (IOException e)
            {
                return (done, new ExceptionError(e));
            }
            done += (ulong)n;
            if (n == 0)
            {
                return (done, done == 0 ? WellKnownErrors.EndOfStream : null);
            }
            if (n < block.Length)
            {
                break;
            }
        }
        return (done, null);
    }
}
